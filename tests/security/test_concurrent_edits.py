"""Two people edit the same record: the second save is refused with what changed, the refused
form shows the values now stored with what the user entered beside them, and saving it again
reverts nothing.

Every post here is what the page rendered (parsed from its HTML, hidden fields included),
with one field changed as a user would.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from patients import services
from patients.models import Course
from tests import factories
from tests.html_forms import page_form
from tracker.models import (
    AlertThreshold,
    DispensingCheck,
    MonitoringRule,
    ProfileSetting,
    RuleSetSetting,
)

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


@pytest.fixture
def dana(db):
    return factories.clinician(username="dana", first_name="Dana", last_name="Reyes")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def opened(client: Client, url: str) -> dict:
    """The edit page's form as the browser holds it after opening the page."""
    return page_form(client.get(url))


# Patient details ------------------------------------------------------------------------------


def test_the_patient_edit_page_carries_the_version_it_shows(alice, patient):
    data = opened(logged_in(alice), reverse("patients:edit", args=[patient.pk]))
    assert data["version"] == str(patient.version)


def test_the_second_of_two_patient_edits_reverts_nothing(alice, dana, patient):
    url = reverse("patients:edit", args=[patient.pk])
    first, second = logged_in(alice), logged_in(dana)
    data_first, data_second = opened(first, url), opened(second, url)
    data_first.update(contraception_exempt="on", contraception_exempt_reason="Agreement signed")
    data_second["responsible_clinician"] = str(dana.pk)

    assert first.post(url, data_first).status_code == 302
    refused = second.post(url, data_second)

    assert refused.status_code == 200
    text = refused.content.decode()
    assert "Someone else saved this patient" in text
    assert "You entered: Dana Reyes (not saved)." in text
    patient.refresh_from_db()
    assert patient.contraception_exempt is True
    assert patient.responsible_clinician is None


def test_a_refused_patient_form_shows_the_stored_values_and_saving_it_keeps_them(
    alice, dana, patient
):
    url = reverse("patients:edit", args=[patient.pk])
    first, second = logged_in(alice), logged_in(dana)
    data_first, data_second = opened(first, url), opened(second, url)
    data_first.update(contraception_exempt="on", contraception_exempt_reason="Agreement signed")
    data_second["responsible_clinician"] = str(dana.pk)
    first.post(url, data_first)
    refused = second.post(url, data_second)

    shown = page_form(refused)
    assert shown["contraception_exempt"] == "on"
    assert shown["contraception_exempt_reason"] == "Agreement signed"
    assert shown["responsible_clinician"] == ""
    patient.refresh_from_db()
    assert shown["version"] == str(patient.version)
    # "Save again" as shown: the other person's exemption stays.
    assert second.post(url, shown).status_code == 302
    patient.refresh_from_db()
    assert (patient.contraception_exempt, patient.responsible_clinician) == (True, None)
    # Entering the change again, having seen theirs, saves both.
    shown["responsible_clinician"] = str(dana.pk)
    shown["version"] = str(patient.version)
    assert second.post(url, shown).status_code == 302
    patient.refresh_from_db()
    assert (patient.contraception_exempt, patient.responsible_clinician) == (True, dana)


def test_only_the_fields_this_user_changed_get_a_note(alice, dana, patient):
    url = reverse("patients:edit", args=[patient.pk])
    first, second = logged_in(alice), logged_in(dana)
    data_first, data_second = opened(first, url), opened(second, url)
    data_first["given_name"] = "Chloé"
    data_second["family_name"] = "Martin-Smith"
    first.post(url, data_first)
    refused = second.post(url, data_second)

    errors = refused.context["form"].errors
    assert errors["family_name"] == ["You entered: Martin-Smith (not saved)."]
    assert "given_name" not in errors  # changed by the other person, not by this one
    assert "Chloe → Chloé" in refused.content.decode()


def test_a_patient_edit_without_its_version_is_refused(alice, patient):
    url = reverse("patients:edit", args=[patient.pk])
    client = logged_in(alice)
    data = opened(client, url)
    del data["version"]
    data["given_name"] = "Clo"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "sent without the version" in response.content.decode()
    patient.refresh_from_db()
    assert patient.given_name == "Chloe"


def test_the_second_of_two_category_assignments_is_refused(alice, dana, patient):
    url = reverse("patients:category", args=[patient.pk])
    first, second = logged_in(alice), logged_in(dana)
    data_first, data_second = opened(first, url), opened(second, url)
    data_first.update(category="cannot_get_pregnant", reason="Confirmed menopause")
    data_second["reason"] = "Clinical history"

    assert first.post(url, data_first).status_code == 302
    refused = second.post(url, data_second)

    assert "Someone else saved this patient" in refused.content.decode()
    shown = page_form(refused)
    assert (shown["category"], shown["reason"]) == ("cannot_get_pregnant", "Confirmed menopause")
    assert refused.context["form"].errors["reason"] == [
        "You entered: Clinical history (not saved)."
    ]
    patient.refresh_from_db()
    assert patient.category_reason == "Confirmed menopause"


# Courses --------------------------------------------------------------------------------------


def course_url(name: str, course: Course) -> str:
    return reverse(f"patients:{name}", args=[course.patient_id, course.pk])


def test_a_refused_course_edit_shows_the_stored_values_and_saving_it_keeps_them(
    alice, dana, patient
):
    course = patient.courses.get()
    url = course_url("course_edit", course)
    first, second = logged_in(alice), logged_in(dana)
    data_first, data_second = opened(first, url), opened(second, url)
    data_first["weight_kg"] = "70.0"
    data_second["target_mg_per_kg"] = "120.0"

    assert first.post(url, data_first).status_code == 302
    refused = second.post(url, data_second)

    assert "Someone else saved this course" in refused.content.decode()
    assert refused.context["form"].errors["target_mg_per_kg"] == ["You entered: 120.0 (not saved)."]
    shown = page_form(refused)
    assert (shown["weight_kg"], shown["target_mg_per_kg"]) == ("70.0", "150.0")
    assert second.post(url, shown).status_code == 302
    course.refresh_from_db()
    assert (course.weight_kg, course.target_mg_per_kg) == (70, 150)


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("course_complete", {"end": dt.date.today().isoformat()}),
        ("course_stop", {"end": dt.date.today().isoformat(), "stopped_reason": "Myalgia"}),
    ],
)
def test_completing_or_stopping_a_course_changed_meanwhile_is_refused(
    alice, dana, patient, name, changes
):
    course = patient.courses.get()
    client = logged_in(dana)
    data = opened(client, course_url(name, course))
    edit = logged_in(alice)
    edit_data = opened(edit, course_url("course_edit", course))
    edit_data["weight_kg"] = "64.0"
    assert edit.post(course_url("course_edit", course), edit_data).status_code == 302

    data.update(changes)
    refused = client.post(course_url(name, course), data)

    assert refused.status_code == 200
    assert "weight at start (kg): 60.0 → 64.0" in refused.content.decode()
    assert refused.context["form"].errors["end"] == [f"You entered: {changes['end']} (not saved)."]
    course.refresh_from_db()
    assert (course.status, course.end) == ("active", None)


def test_cancelling_a_planned_course_changed_meanwhile_is_refused(alice, dana):
    planned_patient = factories.PatientFactory(profile="UK")
    course = services.course_create(
        patient=planned_patient,
        start=dt.date.today() + dt.timedelta(days=10),
        start_is_planned=True,
        weight_kg=55,
        by=alice,
    )
    client = logged_in(dana)
    data = opened(client, course_url("course_cancel", course))
    services.course_update(course=course, by=alice, weight_kg=58, version=course.version)
    data["stopped_reason"] = "Patient chose not to start"

    refused = client.post(course_url("course_cancel", course), data)

    assert "Someone else saved this course" in refused.content.decode()
    course.refresh_from_db()
    assert course.status == "planned"


# The rule set in the Django admin -------------------------------------------------------------


@pytest.fixture
def rule_admins(carol):
    carol.is_staff = True  # the admin site needs staff status as well as the role
    carol.save()
    other = factories.clinic_admin(username="erin")
    other.is_staff = True
    other.save()
    return logged_in(carol), logged_in(other)


RULE_MODELS = [MonitoringRule, DispensingCheck, AlertThreshold, ProfileSetting, RuleSetSetting]


def admin_change_url(obj) -> str:
    return reverse(f"admin:tracker_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.mark.parametrize("model", RULE_MODELS, ids=lambda m: m.__name__)
def test_every_rule_change_page_carries_the_version_it_shows(rule_admins, model):
    obj = model.objects.order_by("pk").first()
    data = page_form(rule_admins[0].get(admin_change_url(obj)))
    assert data["version_seen"] == str(obj.version)


def test_a_refused_rule_edit_shows_the_stored_row_and_saving_it_keeps_it(rule_admins):
    rule = MonitoringRule.objects.get(code="US-R1", profile="US")
    grace = rule.grace
    url = admin_change_url(rule)
    first, second = rule_admins
    data_first, data_second = page_form(first.get(url)), page_form(second.get(url))
    data_first["lead"] = "10"
    data_second["grace"] = str(grace + 5)

    assert first.post(url, data_first).status_code == 302
    refused = second.post(url, data_second)

    assert refused.status_code == 200
    text = refused.content.decode()
    assert "Someone else saved this rule" in text
    assert f"You entered: {grace + 5} (not saved)." in text
    shown = page_form(refused)
    assert shown["lead"] == "10"
    assert second.post(url, shown).status_code == 302
    rule.refresh_from_db()
    assert (rule.lead, rule.grace) == (10, grace)
