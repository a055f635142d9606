"""The clinic worklist: what is overdue, due soon or abnormal, and the review actions on it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients import services
from tracker.models import MonitoringAlert, ReviewAction, WorklistEntry
from tracker.monitoring import review as monitoring

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def make_course(
    by, *, mrn, profile="US", category="can_get_pregnant", started_days_ago=60, clinician=None
):
    patient = services.patient_create(
        mrn=mrn,
        given_name="Pat",
        family_name=f"Family{mrn}",
        date_of_birth=dt.date(1995, 5, 5),
        profile=profile,
        category=category,
        responsible_clinician=clinician,
        by=by,
    )
    return services.course_create(
        patient=patient,
        start=today() - dt.timedelta(days=started_days_ago),
        weight_kg=60,
        by=by,
    )


def critical_tg(course, by):
    services.lab_result_record(
        course=course,
        date=today() - dt.timedelta(days=1),
        analyte="triglycerides",
        value=900,
        unit="mg/dL",
        by=by,
    )
    return MonitoringAlert.objects.get(course=course, analyte="triglycerides")


@pytest.fixture
def course(alice):
    return make_course(alice, mrn="W1", clinician=alice)


def test_worklist_is_the_home_page_and_lists_overdue_items(client, bob, course):
    client.force_login(bob)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Monthly pregnancy test" in response.text or "pregnancy test" in response.text.lower()
    assert "FamilyW1" in response.text


def test_critical_alerts_come_first_then_most_overdue(client, bob, alice, course):
    critical_tg(course, alice)
    client.force_login(bob)
    response = client.get(reverse("home"))
    rows = list(response.context["page"])
    assert rows[0].level == "critical"
    overdue = [r for r in rows if r.status == "overdue"]
    assert [r.due_on for r in overdue] == sorted(r.due_on for r in overdue)


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("status=overdue", lambda e: e.status == "overdue"),
        ("status=open", lambda e: e.kind == "alert"),
        ("item_kind=pregnancy_test", lambda e: e.item_kind == "pregnancy_test"),
        ("level=critical", lambda e: e.level == "critical"),
        ("profile=US", lambda e: e.profile == "US"),
        ("category=can_get_pregnant", lambda e: e.category == "can_get_pregnant"),
    ],
)
def test_each_filter_keeps_only_matching_rows(client, bob, alice, course, query, check):
    critical_tg(course, alice)
    make_course(alice, mrn="W2", profile="UK", category="cannot_get_pregnant")
    client.force_login(bob)
    rows = list(client.get(reverse("home") + "?" + query).context["page"])
    assert rows
    assert all(check(e) for e in rows)


def test_my_patients_shows_only_the_clinicians_own(client, alice, course):
    make_course(alice, mrn="W3")  # no responsible clinician
    client.force_login(alice)
    rows = list(client.get(reverse("home") + "?mine=on").context["page"])
    assert rows
    assert {e.patient.mrn for e in rows} == {"W1"}


def test_filter_by_clinician(client, bob, alice, course):
    make_course(alice, mrn="W4")
    client.force_login(bob)
    rows = list(client.get(reverse("home") + f"?clinician={alice.pk}").context["page"])
    assert {e.patient.mrn for e in rows} == {"W1"}


def test_sorting_by_patient_name(client, bob, alice, course):
    make_course(alice, mrn="A0")
    client.force_login(bob)
    rows = list(client.get(reverse("home") + "?sort=patient").context["page"])
    names = [e.patient.family_name for e in rows]
    assert names == sorted(names)


def test_malformed_filters_give_a_clear_message_not_an_error(client, bob, course):
    client.force_login(bob)
    response = client.get(
        reverse("home") + "?status=nonsense&clinician=abc&page=zz&sort=%E2%80%AEurgency"
    )
    assert response.status_code == 200
    assert "not understood" in response.text


def test_htmx_request_gets_only_the_results(client, bob, course):
    client.force_login(bob)
    response = client.get(reverse("home"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "worklist-row" in response.text


def test_csv_export_has_exactly_the_filtered_rows(client, bob, alice, course):
    critical_tg(course, alice)
    client.force_login(bob)
    response = client.get(reverse("tracker:worklist_csv") + "?level=critical")
    lines = response.content.decode().strip().splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert len(lines) == 2  # header + the one critical alert
    assert "W1" in lines[1]


def test_worklist_query_count_does_not_grow_with_patients(client, bob, alice):
    make_course(alice, mrn="Q1", clinician=alice)
    client.force_login(bob)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    for n in range(2, 8):
        make_course(alice, mrn=f"Q{n}", clinician=alice)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("home"))
    assert len(many) == len(few)


def entry(course, key):
    return WorklistEntry.objects.get(course=course, key=key)


def overdue_key(course):
    return WorklistEntry.objects.filter(course=course, status="overdue").first().key


def test_clinician_snoozes_an_item_and_it_leaves_the_list(client, alice, course):
    key = overdue_key(course)
    client.force_login(alice)
    response = client.post(
        reverse("tracker:snooze", args=[course.pk, key]),
        {"until": (today() + dt.timedelta(days=7)).isoformat(), "reason": "Away, test booked"},
    )
    assert response.status_code == 302
    keys = {e.key for e in client.get(reverse("home")).context["page"] if e.course_id == course.pk}
    assert key not in keys
    assert ReviewAction.objects.filter(key=key, action="snooze").exists()


def test_snooze_longer_than_30_days_is_refused_next_to_the_field(client, alice, course):
    key = overdue_key(course)
    client.force_login(alice)
    response = client.post(
        reverse("tracker:snooze", args=[course.pk, key]),
        {"until": (today() + dt.timedelta(days=31)).isoformat(), "reason": "x"},
    )
    assert response.status_code == 200
    assert "at most 30 days" in response.text
    assert not ReviewAction.objects.exists()


def test_a_snoozed_item_returns_at_once_when_its_status_worsens(alice):
    # Started 23 days ago: the monthly test is due soon (due in 7 days).
    course = make_course(alice, mrn="S1", started_days_ago=23)
    key = "US-R1"
    assert entry(course, key).status == "due_soon"
    monitoring.review_snooze(
        course=course, key=key, until=today() + dt.timedelta(days=20), reason="r", by=alice
    )
    assert entry(course, key).snoozed_until is not None
    from tracker.monitoring.store import refresh_courses

    refresh_courses(today=today() + dt.timedelta(days=15))  # now overdue
    assert entry(course, key).status == "overdue"
    assert entry(course, key).snoozed_until is None


def test_a_snooze_ends_on_its_date(alice):
    course = make_course(alice, mrn="S2")
    key = overdue_key(course)
    monitoring.review_snooze(
        course=course, key=key, until=today() + dt.timedelta(days=3), reason="r", by=alice
    )
    from tracker.monitoring.selectors import worklist_entries
    from tracker.web.filters import WorklistFilter

    def visible(on):
        qs = WorklistFilter({}, queryset=worklist_entries(), today=on).qs
        return qs.filter(course=course, key=key).exists()

    assert not visible(today() + dt.timedelta(days=3))
    assert visible(today() + dt.timedelta(days=4))


def test_waive_removes_the_item_but_never_makes_the_course_ready(client, alice, course):
    key = overdue_key(course)
    client.force_login(alice)
    client.post(reverse("tracker:waive", args=[course.pk, key]), {"reason": "Not needed"})
    assert entry(course, key).waived
    assert course.monitoring.ready_to_prescribe is False


def test_reviewing_an_alert_closes_it_and_keeps_it(client, alice, course):
    alert = critical_tg(course, alice)
    client.force_login(alice)
    response = client.post(
        reverse("tracker:acknowledge", args=[course.pk, alert.key]),
        {"note": "Repeat fasting lipids; diet advice"},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.is_open is False
    assert not WorklistEntry.objects.filter(course=course, key=alert.key).exists()
    assert ReviewAction.objects.get(key=alert.key).status_at_action == "open"


def test_acknowledging_an_item_shows_on_the_worklist(client, alice, course):
    key = overdue_key(course)
    client.force_login(alice)
    client.post(reverse("tracker:acknowledge", args=[course.pk, key]), {"note": "Seen"})
    assert entry(course, key).acknowledged_by == alice


def test_acknowledging_without_a_note_is_refused(client, alice, course):
    key = overdue_key(course)
    client.force_login(alice)
    response = client.post(reverse("tracker:acknowledge", args=[course.pk, key]), {"note": ""})
    assert response.status_code == 200
    assert not ReviewAction.objects.exists()


@pytest.mark.parametrize("action", ["acknowledge", "snooze", "waive"])
def test_staff_cannot_review(client, bob, course, action):
    key = overdue_key(course)
    client.force_login(bob)
    data = {"note": "n", "reason": "r", "until": (today() + dt.timedelta(days=3)).isoformat()}
    response = client.post(reverse(f"tracker:{action}", args=[course.pk, key]), data)
    assert response.status_code == 403
    assert not ReviewAction.objects.exists()


def test_staff_log_outreach_and_it_shows_on_the_worklist(client, bob, course):
    key = overdue_key(course)
    client.force_login(bob)
    response = client.post(
        reverse("tracker:outreach", args=[course.pk, key]),
        {"method": "left_message", "note": "Voicemail"},
    )
    assert response.status_code == 302
    assert "Left a message" in entry(course, key).last_outreach
    page = client.get(reverse("home"))
    assert "Voicemail" in page.text


def test_review_page_shows_the_history(client, bob, course):
    key = overdue_key(course)
    monitoring.outreach_record(course=course, key=key, method="called", note="No answer", by=bob)
    client.force_login(bob)
    response = client.get(reverse("tracker:review", args=[course.pk, key]))
    assert "No answer" in response.text
    assert "Status" in response.text


def test_review_of_an_unknown_item_is_404(client, bob, course):
    client.force_login(bob)
    assert client.get(reverse("tracker:review", args=[course.pk, "NOPE-1"])).status_code == 404
