"""The monitoring panel of the patient page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from patients import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(alice):
    today = timezone.localdate()
    patient = services.patient_create(
        mrn="PN1",
        given_name="Lena",
        family_name="Vogel",
        date_of_birth=dt.date(1996, 2, 2),
        profile="US",
        category="can_get_pregnant",
        home_testing_permitted=True,
        by=alice,
    )
    return services.course_create(
        patient=patient, start=today - dt.timedelta(days=40), weight_kg=60, by=alice
    )


def panel(client, user, course) -> str:
    client.force_login(user)
    return client.get(reverse("patients:detail", args=[course.patient_id])).content.decode()


def test_a_dispense_day_in_the_past_says_a_new_test_is_needed(client, alice, course):
    services.pregnancy_test_record(
        course=course,
        date=timezone.localdate() - dt.timedelta(days=20),
        result="negative",
        setting="clinic",
        by=alice,
    )
    assert "passed: a new test is needed" in panel(client, alice, course)


def test_a_dispense_day_still_ahead_is_not_marked_passed(client, alice, course):
    services.pregnancy_test_record(
        course=course, date=timezone.localdate(), result="negative", setting="clinic", by=alice
    )
    page = panel(client, alice, course)
    assert "Last day to dispense on the current test" in page
    assert "passed: a new test is needed" not in page


def test_the_panel_never_says_ready_when_the_category_is_missing(client, alice):
    patient = services.patient_create(
        mrn="PN2",
        given_name="Kim",
        family_name="Ode",
        date_of_birth=dt.date(1996, 2, 2),
        profile="UK",
        by=alice,
    )
    course = services.course_create(
        patient=patient, start=timezone.localdate(), weight_kg=60, by=alice
    )
    page = panel(client, alice, course)
    assert "Ready to prescribe today" in page
    assert course.monitoring.ready_to_prescribe is False
    assert "category" in " ".join(course.monitoring.unmet).lower()


def test_the_patient_page_shows_the_review_history_of_items(client, alice, bob, course):
    from tracker.monitoring import review as monitoring

    key = course.worklist_entries.filter(kind="item").first().key
    monitoring.outreach_record(
        course=course, key=key, method="left_message", note="Voicemail, will call back", by=bob
    )
    page = panel(client, alice, course)
    assert "Review history of items and alerts" in page
    assert "Voicemail, will call back" in page
    assert "Outreach" in page


def test_dose_flags_are_named_in_words(client, alice, course):
    services.dose_record(course=course, date=course.start, mg_per_day=10, by=alice)
    page = panel(client, alice, course)
    assert "Daily dose below 0.5 mg/kg" in page
