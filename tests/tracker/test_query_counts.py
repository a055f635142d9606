"""The number of SQL queries of each page and of the write path is fixed: it does not grow with
the number of patients, with the rows a page shows or with the length of a course's history.

Timings are measured by the benchmark (bench/run.py, docs/performance.md), never here.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients import services
from tracker.models import CourseMonitoring, WorklistEntry
from tracker.monitoring.store import refresh_courses

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def make_course(by, *, mrn, profile="US", started_days_ago=60):
    patient = services.patient_create(
        mrn=mrn,
        given_name="Pat",
        family_name=f"Family{mrn}",
        date_of_birth=dt.date(1995, 5, 5),
        profile=profile,
        category="can_get_pregnant",
        responsible_clinician=by,
        by=by,
    )
    return services.course_create(
        patient=patient,
        start=today() - dt.timedelta(days=started_days_ago),
        weight_kg=60,
        by=by,
    )


def add_history(course, by, *, months: int):
    """Monthly tests, mood screens and labs, as a course that has run for a while."""
    for month in range(months):
        on = course.start + dt.timedelta(days=30 * month + 1)
        services.pregnancy_test_record(
            course=course, date=on, result="negative", setting="clinic", by=by
        )
        services.mood_screen_record(
            course=course, date=on, instrument="PHQ-9", total=2, item9=0, by=by
        )
        services.lab_result_record(
            course=course, date=on, analyte="alt", value=25, unit="U/L", uln=40, by=by
        )


def count(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def get(client, url):
    def call():
        assert client.get(url).status_code == 200

    return call


@pytest.mark.parametrize("query", ["", "?status=overdue&profile=US", "?sort=patient&mine=on"])
def test_worklist_queries_do_not_grow_with_patients_or_rows_shown(client, bob, alice, query):
    make_course(alice, mrn="Q1")
    client.force_login(bob)
    url = reverse("home") + query
    few = count(get(client, url))
    for n in range(2, 9):
        make_course(alice, mrn=f"Q{n}", profile=["US", "UK", "EU"][n % 3])
    assert WorklistEntry.objects.count() > 8
    assert count(get(client, url)) == few


def test_patient_page_queries_do_not_grow_with_the_course_history(client, bob, alice):
    course = make_course(alice, mrn="P1", started_days_ago=100)
    # One month of records to start with (a course with no record at all has no one who
    # recorded anything to look up: one query fewer).
    add_history(course, alice, months=1)
    client.force_login(bob)
    url = reverse("patients:detail", args=[course.patient_id])
    short = count(get(client, url))
    add_history(course, alice, months=3)
    assert count(get(client, url)) == short


def test_patient_page_queries_do_not_grow_with_other_patients(client, bob, alice):
    course = make_course(alice, mrn="P1")
    client.force_login(bob)
    url = reverse("patients:detail", args=[course.patient_id])
    alone = count(get(client, url))
    for n in range(2, 7):
        add_history(make_course(alice, mrn=f"P{n}"), alice, months=1)
    assert count(get(client, url)) == alone


def test_a_course_stored_yesterday_is_evaluated_for_the_page_without_a_write(client, bob, alice):
    course = make_course(alice, mrn="P1")
    client.force_login(bob)
    url = reverse("patients:detail", args=[course.patient_id])
    # Stored yesterday, and nothing has changed since: each view evaluates it in memory.
    CourseMonitoring.objects.filter(course=course).update(
        evaluated_on=today() - dt.timedelta(days=1)
    )
    with CaptureQueriesContext(connection) as first:
        get(client, url)()
    second = count(get(client, url))
    assert second == len(first)
    writes = [q["sql"] for q in first if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    # The session and the access log are the only writes.
    assert all("django_session" in sql or "tracker_accesslog" in sql for sql in writes)


def test_recording_a_lab_result_queries_do_not_grow_with_the_course_history(alice):
    course = make_course(alice, mrn="L1", started_days_ago=100)

    def record():
        services.lab_result_record(
            course=course, date=today(), analyte="alt", value=30, unit="U/L", uln=40, by=alice
        )

    # Counted on a second result of the day: the stored rows change the same way each time.
    record()
    short = count(record)
    add_history(course, alice, months=3)
    record()
    assert count(record) == short


def test_refresh_queries_per_batch_do_not_grow_with_courses(alice):
    courses = [make_course(alice, mrn=f"R{n}") for n in range(1, 7)]
    ids = [c.pk for c in courses]
    two = count(lambda: refresh_courses(course_ids=ids[:2]))
    six = count(lambda: refresh_courses(course_ids=ids))
    assert six == two
