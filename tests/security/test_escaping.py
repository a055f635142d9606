"""User data containing HTML or script comes back inert on every page that shows it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from patients import services
from tracker.monitoring import review as monitoring

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'

pytestmark = pytest.mark.django_db


@pytest.fixture
def hostile(alice):
    today = timezone.localdate()
    patient = services.patient_create(
        mrn="X<b>1</b>",
        given_name=PAYLOAD,
        family_name=f"O'Brien{PAYLOAD}",
        date_of_birth=dt.date(1996, 6, 6),
        profile="US",
        category="can_get_pregnant",
        category_reason=PAYLOAD,
        responsible_clinician=alice,
        by=alice,
    )
    course = services.course_create(
        patient=patient, start=today - dt.timedelta(days=60), weight_kg=60, by=alice
    )
    services.pregnancy_test_record(
        course=course,
        date=today - dt.timedelta(days=2),
        result="negative",
        setting="clinic",
        notes=PAYLOAD,
        by=alice,
    )
    lab = services.lab_result_record(
        course=course,
        date=today - dt.timedelta(days=1),
        analyte="alt",
        value=30,
        unit="U/L",
        notes=PAYLOAD,
        by=alice,
    )
    services.record_mark_entered_in_error(record=lab, reason=PAYLOAD, by=alice)
    key = course.worklist_entries.filter(kind="item").first().key
    monitoring.outreach_record(course=course, key=key, method="called", note=PAYLOAD, by=alice)
    return course, key


def assert_inert(response):
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert" not in body
    assert "<img src=x" not in body
    assert "<b>1</b>" not in body


def test_patient_list_escapes(client, alice, hostile):
    client.force_login(alice)
    assert_inert(client.get(reverse("patients:list") + "?q=O'Brien"))


def test_patient_page_escapes(client, alice, hostile):
    course, _ = hostile
    client.force_login(alice)
    response = client.get(reverse("patients:detail", args=[course.patient_id]))
    assert_inert(response)
    assert "&lt;script&gt;" in response.content.decode()


def test_history_page_escapes(client, alice, hostile):
    course, _ = hostile
    client.force_login(alice)
    assert_inert(client.get(reverse("patients:history", args=[course.patient_id])))


def test_worklist_escapes(client, alice, hostile):
    alice.first_name = PAYLOAD  # the responsible clinician's name is shown on each row
    alice.save()
    client.force_login(alice)
    response = client.get(reverse("home"))
    assert_inert(response)
    body = response.content.decode()
    # The hostile rows are there, shown as text: MRN, names, outreach note, clinician.
    assert "X&lt;b&gt;1&lt;/b&gt;" in body
    assert "O&#x27;Brien&lt;script&gt;" in body
    assert body.count("&lt;img src=x onerror=alert(1)&gt;") >= 3


def test_review_page_escapes(client, alice, hostile):
    course, key = hostile
    client.force_login(alice)
    assert_inert(client.get(reverse("tracker:review", args=[course.pk, key])))


def test_csv_export_neutralises_formulas(client, alice):
    today = timezone.localdate()
    patient = services.patient_create(
        mrn="=HYPERLINK(1)",
        given_name="+cmd",
        family_name="@SUM(A1)",
        date_of_birth=dt.date(1996, 6, 6),
        profile="US",
        category="can_get_pregnant",
        by=alice,
    )
    services.course_create(
        patient=patient, start=today - dt.timedelta(days=60), weight_kg=60, by=alice
    )
    client.force_login(alice)
    body = client.get(reverse("tracker:worklist_csv")).content.decode()
    assert "'=HYPERLINK(1)" in body
    assert ",=HYPERLINK" not in body
