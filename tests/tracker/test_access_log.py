"""Every view of a patient's record is recorded; clinic admins read the log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from patients import services
from tests.factories import PatientFactory
from tracker.models import AccessLog

pytestmark = pytest.mark.django_db


def test_viewing_a_patient_page_is_logged(client, bob):
    patient = PatientFactory()
    client.force_login(bob)
    client.get(reverse("patients:detail", args=[patient.pk]))
    entry = AccessLog.objects.get()
    assert (entry.user, entry.patient, entry.method) == (bob, patient, "GET")


def test_a_missing_patient_is_not_logged(client, bob):
    client.force_login(bob)
    client.get(reverse("patients:detail", args=[999999]))
    assert not AccessLog.objects.exists()


def test_the_patient_list_is_not_a_record_view(client, bob):
    PatientFactory()
    client.force_login(bob)
    client.get(reverse("patients:list"))
    assert not AccessLog.objects.exists()


def test_clinic_admin_reads_the_log_per_patient_and_per_user(client, carol, bob, alice):
    first, second = PatientFactory(mrn="A1"), PatientFactory(mrn="B2")
    client.force_login(bob)
    client.get(reverse("patients:detail", args=[first.pk]))
    client.force_login(alice)
    client.get(reverse("patients:detail", args=[second.pk]))
    client.force_login(carol)
    per_patient = client.get(reverse("tracker:access_log") + "?mrn=A1")
    assert [e.user for e in per_patient.context["page"]] == [bob]
    per_user = client.get(reverse("tracker:access_log") + "?user=alice")
    assert [e.patient for e in per_user.context["page"]] == [second]


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_only_clinic_admins_read_the_log(client, request, user):
    client.force_login(request.getfixturevalue(user))
    assert client.get(reverse("tracker:access_log")).status_code == 403


# Exports and refused attempts -----------------------------------------------------------------


@pytest.fixture
def course(alice):
    patient = services.patient_create(
        mrn="AL1",
        given_name="Alma",
        family_name="Log",
        date_of_birth=dt.date(1995, 3, 3),
        profile="US",
        category="can_get_pregnant",
        by=alice,
    )
    return services.course_create(
        patient=patient, start=timezone.localdate() - dt.timedelta(days=50), weight_kg=60, by=alice
    )


def test_the_worklist_export_is_logged_with_its_filters_and_rows(client, bob, course):
    client.force_login(bob)
    response = client.get(reverse("tracker:worklist_csv"), {"status": "overdue", "sort": "due"})
    entry = AccessLog.objects.get()
    rows = len(response.content.decode().strip().splitlines()) - 1  # less the header
    assert (entry.user, entry.kind, entry.refused, entry.patient) == (bob, "export", False, None)
    assert entry.path == "/monitoring/worklist.csv?status=overdue&sort=due"
    assert entry.rows == rows > 0


def test_a_served_worklist_or_patient_list_is_not_logged(client, bob, course):
    client.force_login(bob)
    client.get(reverse("home"))
    client.get(reverse("patients:list"))
    assert not AccessLog.objects.exists()


def test_a_refused_attempt_to_open_a_patient_page_is_logged(client, bob, course):
    client.force_login(bob)
    url = reverse("patients:edit", args=[course.patient_id])
    assert client.get(url).status_code == 403
    entry = AccessLog.objects.get()
    assert (entry.user, entry.patient, entry.kind, entry.refused) == (
        bob,
        course.patient,
        "record",
        True,
    )
    assert (entry.method, entry.path) == ("GET", url)


def test_a_refused_action_on_a_course_is_logged_against_its_patient(client, bob, course):
    client.force_login(bob)
    key = course.items.order_by("code").first().code
    url = reverse("tracker:waive", args=[course.pk, key])
    assert client.post(url, {"reason": "x"}).status_code == 403
    entry = AccessLog.objects.get()
    assert (entry.patient, entry.refused, entry.method) == (course.patient, True, "POST")


def test_a_refused_attempt_at_a_patient_that_does_not_exist_is_logged_without_one(client, bob):
    client.force_login(bob)
    assert client.get(reverse("patients:edit", args=[999999])).status_code == 403
    entry = AccessLog.objects.get()
    assert (entry.patient, entry.refused, entry.path) == (None, True, "/patients/999999/edit/")


def test_a_refused_attempt_at_the_access_log_is_logged(client, alice):
    client.force_login(alice)
    assert client.get(reverse("tracker:access_log")).status_code == 403
    entry = AccessLog.objects.get()
    assert (entry.user, entry.kind, entry.refused) == (alice, "list", True)


def test_the_log_page_shows_exports_and_refused_attempts(client, bob, carol, course):
    client.force_login(bob)
    client.get(reverse("tracker:worklist_csv"))
    client.get(reverse("patients:edit", args=[course.patient_id]))
    client.force_login(carol)
    page = client.get(reverse("tracker:access_log")).content.decode()
    assert "Worklist export" in page
    assert "Refused" in page
    refused_only = client.get(reverse("tracker:access_log"), {"refused": "1"})
    assert [e.kind for e in refused_only.context["page"]] == ["record"]
