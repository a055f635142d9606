"""A course with a recorded last dose E is ongoing on every date before E (section 8): what
is stored and reported for such a date follows the rules for that date, not the status field."""

from __future__ import annotations

import copy
import json
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from patients.models import CourseStatus
from tracker.models import CourseMonitoring
from tracker.monitoring.scenarios import load_scenario, read_scenario
from tracker.monitoring.store import course_refresh

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "scenarios"
READY_ON = date(2026, 11, 16)  # V01: ready to prescribe on this date


@pytest.fixture
def completed_course(alice):
    """V01 (ready on 16 Nov), but created with a last dose on 31 Dec: a completed course."""
    data = copy.deepcopy(read_scenario(next(SHARED.glob("V01-*.json"))))
    data["course"]["end"] = "2026-12-31"
    course = load_scenario(data, by=alice)
    assert course.status == CourseStatus.COMPLETED
    return course


@pytest.mark.django_db
def test_a_completed_course_is_stored_ready_on_a_date_before_its_last_dose(completed_course):
    evaluation = course_refresh(completed_course, today=READY_ON)
    summary = CourseMonitoring.objects.get(course=completed_course)
    assert evaluation.ready.ready, evaluation.ready.unmet
    assert summary.ready_to_prescribe, summary.unmet
    assert summary.unmet == []


@pytest.mark.django_db
def test_a_completed_course_is_stored_not_ready_from_its_last_dose_on(completed_course):
    course_refresh(completed_course, today=date(2026, 12, 31))
    summary = CourseMonitoring.objects.get(course=completed_course)
    assert not summary.ready_to_prescribe
    assert "The course ended on 2026-12-31." in summary.unmet


@pytest.mark.django_db
def test_a_cancelled_course_is_never_ready(alice):
    data = read_scenario(next(SHARED.glob("V01-*.json")))
    course = load_scenario(data, by=alice)
    course.status, course.start_is_planned = CourseStatus.STOPPED, True
    course.stopped_reason = "Cancelled."
    course.save()
    course_refresh(course, today=READY_ON)
    summary = CourseMonitoring.objects.get(course=course)
    assert not summary.ready_to_prescribe
    assert summary.unmet[0] == "The course was cancelled before it started."


@pytest.mark.django_db
def test_the_report_for_a_date_lists_a_course_completed_since(completed_course):
    out = StringIO()
    call_command("monitoring_report", "--as-of", READY_ON.isoformat(), stdout=out)
    rows = json.loads(out.getvalue())["rows"]
    codes = {row["code"] for row in rows if row["mrn"] == completed_course.patient.mrn}
    assert "US-R1" in codes


@pytest.mark.django_db
def test_the_report_for_a_date_after_the_last_dose_leaves_the_course_out(completed_course):
    out = StringIO()
    call_command("monitoring_report", "--as-of", "2027-01-05", stdout=out)
    rows = json.loads(out.getvalue())["rows"]
    assert all(row["mrn"] != completed_course.patient.mrn for row in rows)
