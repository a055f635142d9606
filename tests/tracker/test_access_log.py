"""Every view of a patient's record is recorded; clinic admins read the log."""

from __future__ import annotations

import pytest
from django.urls import reverse

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
