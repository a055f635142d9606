"""Stored monitoring state: kept true on every write, refreshed nightly, drift detected."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from patients import services
from tracker.models import CourseMonitoring, MonitoringAlert, MonitoringItem, MonitoringRule
from tracker.monitoring.rule_changes import rules_changed
from tracker.monitoring.store import refresh_courses

pytestmark = pytest.mark.django_db

START = dt.date(2026, 9, 14)
TODAY = dt.date(2026, 10, 1)


@pytest.fixture
def course(alice):
    patient = services.patient_create(
        mrn="M1",
        given_name="Ana",
        family_name="Silva",
        date_of_birth=dt.date(1999, 2, 14),
        profile="US",
        category="can_get_pregnant",
        by=alice,
        today=TODAY,
    )
    return services.course_create(patient=patient, start=START, weight_kg=60, by=alice, today=TODAY)


def item(course, code):
    return MonitoringItem.objects.get(course=course, code=code)


def test_creating_a_course_stores_every_item_of_its_profile(course):
    codes = set(MonitoringItem.objects.filter(course=course).values_list("code", flat=True))
    assert {"US-B1", "US-B3", "US-R1", "US-L1:alt", "US-B5:triglycerides"} <= codes
    assert not any(code.startswith("UK-") for code in codes)


def test_recording_a_lab_result_updates_the_stored_item_in_the_same_write(course, alice):
    assert item(course, "US-B6:alt").status == "overdue"
    services.lab_result_record(
        course=course,
        date=dt.date(2026, 9, 1),
        analyte="alt",
        value=20,
        unit="U/L",
        by=alice,
        today=TODAY,
    )
    stored = item(course, "US-B6:alt")
    assert stored.status == "satisfied"
    assert stored.satisfied_on == dt.date(2026, 9, 1)


def test_marking_a_record_entered_in_error_puts_the_item_back(course, alice):
    lab = services.lab_result_record(
        course=course,
        date=dt.date(2026, 9, 1),
        analyte="alt",
        value=20,
        unit="U/L",
        by=alice,
        today=TODAY,
    )
    services.record_mark_entered_in_error(record=lab, reason="Wrong patient", by=alice, today=TODAY)
    assert item(course, "US-B6:alt").status == "overdue"


def test_a_critical_result_opens_a_stored_alert(course, alice):
    services.lab_result_record(
        course=course,
        date=dt.date(2026, 9, 20),
        analyte="triglycerides",
        value=900,
        unit="mg/dL",
        by=alice,
        today=TODAY,
    )
    alert = MonitoringAlert.objects.get(course=course, analyte="triglycerides")
    assert (alert.level, alert.is_open) == ("critical", True)
    assert CourseMonitoring.objects.get(course=course).ready_to_prescribe is False


def test_nightly_refresh_moves_items_on_with_the_date(course):
    # US-R1 is first due 30 days after the start (14 Oct); overdue once the 7-day grace
    # has passed (from 22 Oct).
    refresh_courses(today=dt.date(2026, 10, 21))
    assert item(course, "US-R1").status == "due_soon"
    refresh_courses(today=dt.date(2026, 10, 22))
    assert item(course, "US-R1").status == "overdue"


def test_refresh_is_idempotent(course):
    refresh_courses(today=dt.date(2026, 10, 21))
    again = refresh_courses(today=dt.date(2026, 10, 21))
    assert again.changed_items == 0
    assert again.changed_alerts == 0


def test_a_nightly_run_counts_its_changes_and_the_check_lists_them(course):
    refresh_courses(today=dt.date(2026, 10, 21))
    check = refresh_courses(today=dt.date(2026, 10, 22), write=False)
    assert any(
        f"course {course.pk} US-R1: status due_soon -> overdue" in line
        for line in check.differences
    )

    nightly = refresh_courses(today=dt.date(2026, 10, 22))

    assert nightly.changed_items == check.changed_items > 0
    # Not listed in words when written: the run's memory does not grow with its changes.
    assert nightly.differences == []
    assert item(course, "US-R1").status == "overdue"


def test_refresh_check_lists_drift_and_fails(course):
    call_command("refresh_monitoring", "--as-of", "2026-10-01", stdout=StringIO())
    MonitoringItem.objects.filter(course=course, code="US-R1").update(status="satisfied")
    out = StringIO()
    with pytest.raises(CommandError, match="drifted"):
        call_command("refresh_monitoring", "--check", "--as-of", "2026-10-01", stdout=out)
    assert "US-R1" in out.getvalue()
    # --check writes nothing.
    assert item(course, "US-R1").status == "satisfied"


def test_refresh_check_passes_when_state_is_true(course):
    call_command("refresh_monitoring", "--as-of", "2026-10-01", stdout=StringIO())
    out = StringIO()
    call_command("refresh_monitoring", "--check", "--as-of", "2026-10-01", stdout=out)
    assert "No drift" in out.getvalue()


def test_refresh_prints_a_one_line_summary_when_not_in_a_terminal(course):
    out = StringIO()
    call_command("refresh_monitoring", "--as-of", "2026-10-01", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Refreshed 1 courses")


def test_changing_a_rule_re_evaluates_the_courses_of_its_profile(course):
    refresh_courses(today=dt.date(2026, 10, 10))
    assert item(course, "US-R1").status == "due_soon"
    rule = MonitoringRule.objects.get(code="US-R1", profile="US")
    rule.lead, rule.grace = 0, 0
    rule.save()
    rules_changed(profiles=["US"], today=dt.date(2026, 10, 10))
    assert item(course, "US-R1").status == "upcoming"


def test_monitoring_report_prints_items_and_alerts_as_json(course):
    out = StringIO()
    call_command("monitoring_report", "--as-of", "2026-10-01", "--format", "json", stdout=out)
    rows = json.loads(out.getvalue())["rows"]
    codes = {r["code"] for r in rows if r["mrn"] == "M1"}
    assert "US-R1" in codes


def test_monitoring_report_as_csv_for_one_patient(course):
    out = StringIO()
    call_command(
        "monitoring_report",
        "--as-of",
        "2026-10-01",
        "--format",
        "csv",
        "--patient",
        "M1",
        stdout=out,
    )
    header, *rows = out.getvalue().strip().splitlines()
    assert header.startswith("mrn,course_start,kind,code,status")
    assert any(",US-B1," in row for row in rows)


def test_monitoring_report_for_an_unknown_patient_is_a_clear_error(course):
    with pytest.raises(CommandError, match="No course"):
        call_command("monitoring_report", "--as-of", "2026-10-01", "--patient", "NOPE")


def test_a_batch_of_writes_evaluates_each_touched_course_once_at_the_end(course, alice):
    from patients.reevaluation import batch

    with batch():
        services.lab_result_record(
            course=course,
            date=dt.date(2026, 9, 1),
            analyte="alt",
            value=20,
            unit="U/L",
            by=alice,
            today=TODAY,
        )
        # Not yet: stored state is brought up to date when the block ends.
        assert item(course, "US-B6:alt").status == "overdue"
    assert item(course, "US-B6:alt").status == "satisfied"
