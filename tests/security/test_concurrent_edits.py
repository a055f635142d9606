"""Two people edit the same record: the second save is refused with what changed, and
nothing is overwritten silently."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from patients import services
from patients.models import Course, Patient
from tests import factories
from tracker.models import MonitoringRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(alice):
    patient = services.patient_create(
        mrn="C1",
        given_name="Chloe",
        family_name="Martin",
        date_of_birth=dt.date(1998, 4, 4),
        profile="UK",
        category="can_get_pregnant",
        by=alice,
    )
    services.course_create(
        patient=patient,
        start=dt.date.today() - dt.timedelta(days=20),
        weight_kg=60,
        by=alice,
    )
    return patient


def patient_form_data(client: Client, patient: Patient, **changes) -> dict:
    form = client.get(reverse("patients:edit", args=[patient.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["responsible_clinician"] = ""
    data.update(changes)
    return {k: ("on" if v is True else v) for k, v in data.items() if v is not False}


def test_the_second_of_two_patient_edits_is_refused_with_the_changes(alice, patient):
    first, second = Client(), Client()
    first.force_login(alice)
    other = factories.clinician(username="dana")
    second.force_login(other)
    data_first = patient_form_data(first, patient, given_name="Chloé")
    data_second = patient_form_data(second, patient, family_name="Martin-Smith")

    assert first.post(reverse("patients:edit", args=[patient.pk]), data_first).status_code == 302
    response = second.post(reverse("patients:edit", args=[patient.pk]), data_second)

    assert response.status_code == 200
    text = response.content.decode()
    assert "Someone else saved this patient" in text
    assert "Chloe → Chloé" in text
    patient.refresh_from_db()
    assert (patient.given_name, patient.family_name) == ("Chloé", "Martin")


def test_saving_again_after_seeing_the_changes_goes_through(alice, patient):
    first, second = Client(), Client()
    first.force_login(alice)
    second.force_login(alice)
    data_first = patient_form_data(first, patient, given_name="Chloé")
    data_second = patient_form_data(second, patient, family_name="Martin-Smith")
    first.post(reverse("patients:edit", args=[patient.pk]), data_first)
    refused = second.post(reverse("patients:edit", args=[patient.pk]), data_second)
    resubmit = dict(refused.context["form"].data.items())
    resubmit["given_name"] = "Chloé"
    assert second.post(reverse("patients:edit", args=[patient.pk]), resubmit).status_code == 302
    patient.refresh_from_db()
    assert (patient.given_name, patient.family_name) == ("Chloé", "Martin-Smith")


def test_a_stale_course_edit_is_refused(alice, patient):
    course = patient.courses.get()
    url = reverse("patients:course_edit", args=[patient.pk, course.pk])
    client = Client()
    client.force_login(alice)
    data = {
        "start": course.start.isoformat(),
        "weight_kg": "61.0",
        "target_mg_per_kg": "150",
        "cumulative_method": "daily_weight",
        "version": course.version,
    }
    services.course_update(course=course, by=alice, weight_kg=70, version=course.version)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Someone else saved this course" in response.content.decode()
    assert Course.objects.get(pk=course.pk).weight_kg == 70


def test_a_stale_rule_edit_in_the_admin_is_refused(carol, admin_client):
    rule = MonitoringRule.objects.get(code="US-R1", profile="US")
    url = reverse("admin:tracker_monitoringrule_change", args=[rule.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    for key in ("instruments", "analytes", "prerequisites"):
        data[key] = "[]" if not data.get(key) else str(data[key]).replace("'", '"')
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    data["_save"] = "Save"

    rule.lead = 10
    rule.version += 1
    rule.save()
    data["lead"] = 3
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Someone else saved this rule" in response.content.decode()
    rule.refresh_from_db()
    assert rule.lead == 10
