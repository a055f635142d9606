"""The course grid: each item month by month, classified with the engine from the facts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from patients import services
from patients.models import Course
from tracker.web.grid import course_grid

pytestmark = pytest.mark.django_db

START = dt.date(2026, 3, 2)
TODAY = dt.date(2026, 6, 10)  # month 4 (31 May – 29 Jun)
METHODS = ["combined_pill", "male_condom"]


def build_history(by, *, mrn="G1", today=TODAY, clinician=None) -> Course:
    """A US patient who can get pregnant: every baseline item met, month 1 complete, month 3
    with a pregnancy test only, and a high triglyceride result on 5 May."""
    patient = services.patient_create(
        mrn=mrn,
        given_name="Ana",
        family_name="Silva",
        date_of_birth=dt.date(1995, 6, 15),
        profile="US",
        category="can_get_pregnant",
        responsible_clinician=clinician,
        by=by,
        today=today,
    )
    course = services.course_create(patient=patient, start=START, weight_kg=60, by=by, today=today)
    kw = {"course": course, "by": by, "today": today}
    jan26, feb20 = dt.date(2026, 1, 26), dt.date(2026, 2, 20)
    services.confirmation_record(date=jan26, kind="consent", **kw)
    services.contraception_record(date=jan26, kind="start", methods=METHODS, **kw)
    services.pregnancy_test_record(date=jan26, result="negative", setting="clinic", **kw)
    services.lab_result_record(date=feb20, analyte="triglycerides", value=98, unit="mg/dL", **kw)
    services.lab_result_record(
        date=feb20, analyte="total_cholesterol", value=170, unit="mg/dL", **kw
    )
    services.lab_result_record(date=feb20, analyte="alt", value=18, unit="U/L", uln=40, **kw)
    services.mood_screen_record(date=feb20, instrument="PHQ-9", total=2, item9=0, **kw)
    services.pregnancy_test_record(
        date=dt.date(2026, 3, 1), result="negative", setting="clinic", **kw
    )
    services.dose_record(date=START, mg_per_day=40, **kw)
    mar30 = dt.date(2026, 3, 30)
    services.pregnancy_test_record(date=mar30, result="negative", setting="clinic", **kw)
    services.mood_screen_record(date=mar30, instrument="PHQ-9", total=3, item9=0, **kw)
    services.confirmation_record(date=mar30, kind="rems_confirmation", **kw)
    services.contraception_record(date=mar30, kind="attestation", methods=METHODS, **kw)
    may5 = dt.date(2026, 5, 5)
    services.lab_result_record(date=may5, analyte="triglycerides", value=600, unit="mg/dL", **kw)
    services.lab_result_record(date=may5, analyte="alt", value=30, unit="U/L", uln=40, **kw)
    services.pregnancy_test_record(
        date=dt.date(2026, 5, 10), result="negative", setting="clinic", **kw
    )
    return course


@pytest.fixture
def course(alice):
    return build_history(alice)


def states(grid, code):
    row = next(r for r in grid["rows"] if r["code"] == code)
    return [cell["state"] for cell in row["cells"]]


def column(grid, label):
    return [c.label for c in grid["columns"]].index(label)


def test_columns_run_from_before_start_to_six_months_for_an_ongoing_course(course):
    grid = course_grid(course, today=TODAY)
    labels = [c.label for c in grid["columns"]]
    assert labels == ["Before start", *(f"Month {m}" for m in range(1, 7))]
    month4 = grid["columns"][4]
    assert (month4.first, month4.last) == (dt.date(2026, 5, 31), dt.date(2026, 6, 29))


def test_baseline_items_met_before_the_start_are_done_in_the_first_column(course):
    grid = course_grid(course, today=TODAY)
    assert states(grid, "US-B1")[:2] == ["done", "none"]
    assert states(grid, "US-B5:triglycerides")[0] == "done"


def test_recurring_items_are_not_applicable_before_the_start(course):
    assert states(course_grid(course, today=TODAY), "US-R1")[0] == "not_applicable"


def test_monthly_test_done_in_a_month_is_a_tick_there(course):
    grid = course_grid(course, today=TODAY)
    r1 = states(grid, "US-R1")
    assert r1[column(grid, "Month 1")] == "done"
    assert r1[column(grid, "Month 3")] == "done"


def test_monthly_item_overdue_at_the_end_of_a_month_without_an_event_is_missed(course):
    # the counselling confirmation of 30 March was due again on 29 April (overdue from 7 May)
    grid = course_grid(course, today=TODAY)
    assert states(grid, "US-R2")[column(grid, "Month 3")] == "missed"


def test_repeat_after_a_high_result_is_missed_once_overdue(course):
    grid = course_grid(course, today=TODAY)
    repeat = states(grid, "X-L2:triglycerides")
    assert repeat[column(grid, "Month 2")] == "not_applicable"
    assert repeat[column(grid, "Month 3")] == "missed"


def test_item_due_soon_in_the_current_month_is_due(course):
    # pregnancy test of 10 May: next due 9 June, grace until 16 June
    grid = course_grid(course, today=TODAY)
    assert states(grid, "US-R1")[column(grid, "Month 4")] == "due"


def test_future_months_are_planned_for_monthly_items(course):
    grid = course_grid(course, today=TODAY)
    assert states(grid, "US-R1")[column(grid, "Month 5") :] == ["planned", "planned"]
    assert states(grid, "US-B1")[column(grid, "Month 5")] == "none"


def test_current_month_is_highlighted(course):
    grid = course_grid(course, today=TODAY)
    assert grid["current_index"] == column(grid, "Month 4")
    html = render_to_string("tracker/_course_grid.html", {"grid": grid})
    assert html.count('aria-current="date"') == 1
    assert 'grid-current" aria-current="date"' in html
    assert "Month 4" in html


def test_grid_table_is_accessible_and_prints_in_black_and_white(course):
    html = render_to_string("tracker/_course_grid.html", {"grid": course_grid(course, today=TODAY)})
    assert '<th scope="col"' in html
    assert '<th scope="row"' in html
    for symbol in ("✓", "✗", "○", "–"):
        assert symbol in html
    assert "Missed or overdue" in html  # legend
    assert "style=" not in html


def test_each_cell_states_its_status_in_words_and_escapes_what_it_shows(course):
    grid = course_grid(course, today=TODAY)
    html = render_to_string("tracker/_course_grid.html", {"grid": grid})
    cells = [cell for group in grid["groups"] for row in group["rows"] for cell in row["cells"]]
    assert html.count('<td class="grid-cell') == len(cells)
    current = sum(1 for cell in cells if cell["current"])
    assert html.count('grid-current" title=') == current > 0
    for cell in cells:
        assert f'data-state="{cell["state"]}"' in html
        assert f'<span class="visually-hidden">{cell["words"]}</span>' in html
    hostile = {**cells[0], "title": '"><script>alert(1)</script>', "words": "<b>due</b>"}
    grid["groups"][0]["rows"][0]["cells"][0] = hostile
    html = render_to_string("tracker/_course_grid.html", {"grid": grid})
    assert "<script>" not in html
    assert "<b>due</b>" not in html
    assert 'title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_ended_course_gets_an_after_end_column_with_post_course_items(alice):
    course = build_history(alice, today=dt.date(2026, 8, 1))
    services.course_update(
        course=course, by=alice, end=dt.date(2026, 5, 31), status="completed", today=TODAY
    )
    grid = course_grid(course, today=dt.date(2026, 7, 10))
    assert [c.label for c in grid["columns"]][-1] == "After end"
    assert len(grid["columns"]) == 6  # before, months 1-4 (month 4 is 31 May only), after
    # the post-course test was due 30 June (grace 7 days): overdue on 10 July
    assert states(grid, "US-P1")[-1] == "missed"


def test_entered_in_error_records_do_not_count(course, alice):
    test = course.pregnancytests.get(date=dt.date(2026, 5, 10))
    services.record_mark_entered_in_error(
        record=test, reason="wrong patient", by=alice, today=TODAY
    )
    grid = course_grid(course, today=TODAY)
    assert states(grid, "US-R1")[column(grid, "Month 3")] == "missed"


def test_query_count_does_not_grow_with_the_number_of_records(course, alice):
    course_grid(course, today=TODAY)  # the rule set is cached after the first read

    def count():
        fresh = Course.objects.get(pk=course.pk)
        with CaptureQueriesContext(connection) as ctx:
            course_grid(fresh, today=TODAY)
        return len(ctx)

    before = count()
    for day in range(1, 9):
        services.lab_result_record(
            course=course,
            date=dt.date(2026, 6, day),
            analyte="alt",
            value=20 + day,
            unit="U/L",
            by=alice,
            today=TODAY,
        )
        services.weight_record(
            course=course, date=dt.date(2026, 6, day), kg=60, by=alice, today=TODAY
        )
    assert count() == before
