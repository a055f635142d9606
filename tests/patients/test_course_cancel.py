"""A planned course can be cancelled before its first dispense; it is kept, stopped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from patients import services
from patients.models import CourseStatus
from tests.html_forms import submit
from tracker.models import WorklistEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(alice):
    patient = services.patient_create(
        mrn="P1",
        given_name="Priya",
        family_name="Nair",
        date_of_birth=dt.date(2000, 1, 1),
        profile="US",
        category="can_get_pregnant",
        by=alice,
    )
    return services.course_create(
        patient=patient,
        start=timezone.localdate() + dt.timedelta(days=10),
        start_is_planned=True,
        weight_kg=55,
        by=alice,
    )


def test_cancelling_a_planned_course_keeps_it_stopped_and_clears_the_worklist(
    client, alice, planned
):
    assert WorklistEntry.objects.filter(course=planned).exists()
    client.force_login(alice)
    url = reverse("patients:course_cancel", args=[planned.patient_id, planned.pk])
    response = submit(client, url, stopped_reason="Patient chose not to start")
    assert response.status_code == 302
    planned.refresh_from_db()
    assert planned.status == CourseStatus.STOPPED
    assert planned.stopped_reason == "Patient chose not to start"
    assert not WorklistEntry.objects.filter(course=planned).exists()
    assert planned.monitoring.ready_to_prescribe is False


def test_cancelling_needs_a_reason(client, alice, planned):
    client.force_login(alice)
    url = reverse("patients:course_cancel", args=[planned.patient_id, planned.pk])
    response = client.post(url, {"stopped_reason": ""})
    assert response.status_code == 200
    planned.refresh_from_db()
    assert planned.status == CourseStatus.PLANNED


def test_a_started_course_cannot_be_cancelled(client, alice):
    patient = services.patient_create(
        mrn="P2",
        given_name="Ana",
        family_name="Lee",
        date_of_birth=dt.date(2000, 1, 1),
        profile="US",
        category="can_get_pregnant",
        by=alice,
    )
    course = services.course_create(
        patient=patient, start=timezone.localdate(), weight_kg=55, by=alice
    )
    client.force_login(alice)
    url = reverse("patients:course_cancel", args=[patient.pk, course.pk])
    assert client.post(url, {"stopped_reason": "x"}).status_code == 404


def test_staff_cannot_cancel(client, bob, planned):
    client.force_login(bob)
    url = reverse("patients:course_cancel", args=[planned.patient_id, planned.pk])
    assert client.post(url, {"stopped_reason": "x"}).status_code == 403
