"""Cumulative dose, projection and dose flags."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.tracker.engine_helpers import CNGP, d, ev, run
from tracker.engine.dose import _Series

S = "2026-01-05"  # day 90 is 2026-04-04


def course(on: str, *events: dict, **kw):
    kw.setdefault("category", CNGP)
    kw.setdefault("start", S)
    return run(on, [ev(S, "dose", mg_per_day=40), *events], **kw)


def test_40_mg_a_day_for_90_days_at_60_kg_is_60_mg_per_kg():
    derived = course("2026-04-04").derived
    assert derived.cumulative_mg_per_kg == pytest.approx(60.0)
    assert derived.total_mg == pytest.approx(3600)


def test_the_cumulative_dose_stops_at_the_end():
    derived = course("2026-06-01", end="2026-04-04").derived
    assert derived.cumulative_mg_per_kg == pytest.approx(60.0)


def test_daily_weight_method_divides_each_day_by_that_days_weight():
    derived = course("2026-04-04", ev("2026-02-04", "weight", kg=50)).derived
    # 30 days at 40/60, then 60 days at 40/50
    assert derived.cumulative_mg_per_kg == pytest.approx(20 + 48)
    assert derived.cumulative_mg_per_kg_alternative == pytest.approx(60.0)


def test_start_weight_method_divides_the_total_by_the_start_weight():
    derived = course("2026-04-04", ev("2026-02-04", "weight", kg=50), method="start_weight").derived
    assert derived.cumulative_mg_per_kg == pytest.approx(60.0)
    assert derived.cumulative_mg_per_kg_alternative == pytest.approx(68.0)


def test_a_weight_recorded_on_the_start_replaces_the_start_weight():
    derived = course("2026-01-05", ev(S, "weight", kg=40)).derived
    assert derived.cumulative_mg_per_kg == pytest.approx(1.0)


def test_a_weight_before_the_start_is_superseded_by_the_start_weight():
    derived = course("2026-01-05", ev("2026-01-01", "weight", kg=40)).derived
    assert derived.cumulative_mg_per_kg == pytest.approx(40 / 60)


def test_the_projection_uses_todays_dose_and_weight():
    # 60 mg/kg on 2026-04-04; at 80 mg / 60 kg from 2026-04-05 the 150 target falls on 06-11
    evaluation = course("2026-04-05", ev("2026-04-05", "dose", mg_per_day=80))
    assert evaluation.derived.target_reached_on == d("2026-06-11")


def test_the_projection_uses_the_courses_own_target():
    evaluation = course("2026-01-10", target=120)
    # 120 mg/kg at 2/3 mg/kg/day: day 180
    assert evaluation.derived.target_reached_on == d("2026-07-03")


def test_a_target_already_reached_reports_the_day_it_was_reached():
    evaluation = course("2026-08-01", target=60)
    assert evaluation.derived.target_reached_on == d("2026-04-04")


def test_an_end_recorded_after_today_does_not_cut_the_projection_short():
    # E counts only once E <= T: on 10 Jan the course is ongoing, so the projection at
    # 40 mg / 60 kg (150 mg/kg on day 225) runs past the recorded last dose of 1 Mar.
    assert course("2026-01-10", end="2026-03-01").derived.target_reached_on == d("2026-08-17")


def test_a_course_that_ended_below_its_target_has_no_projection():
    assert course("2026-03-02", end="2026-03-01").derived.target_reached_on is None


@pytest.mark.parametrize(
    ("on", "flags"),
    [
        ("2026-07-02", set()),  # day 179: 119.3 mg/kg
        ("2026-07-03", {"target_band_reached"}),  # day 180: 120.0
        ("2026-08-17", {"target_band_reached"}),  # day 225: 150.0
        ("2026-08-18", {"target_band_reached", "above_150"}),  # day 226: 150.7
    ],
)
def test_cumulative_dose_flags(on: str, flags: set[str]):
    assert course(on).flags == flags


@pytest.mark.parametrize(
    ("mg", "flags"),
    [
        (29, {"dose_below_band"}),
        (30, set()),  # 0.5 mg/kg/day
        (60, set()),  # 1.0 mg/kg/day
        (61, {"dose_above_band"}),
    ],
)
def test_dose_band_flags(mg: float, flags: set[str]):
    assert run("2026-01-10", [ev(S, "dose", mg_per_day=mg)], category=CNGP, start=S).flags == flags


def test_dose_band_uses_the_latest_weight():
    evaluation = course("2026-02-10", ev("2026-02-01", "weight", kg=90))
    assert "dose_below_band" in evaluation.flags
    assert evaluation.derived.daily_mg_per_kg == pytest.approx(40 / 90)


def test_dose_band_flags_only_on_treatment_days():
    low = [ev(S, "dose", mg_per_day=20)]
    assert (
        "dose_below_band" in run("2026-03-01", low, category=CNGP, start=S, end="2026-03-01").flags
    )
    assert run("2026-03-02", low, category=CNGP, start=S, end="2026-03-01").flags == set()


@pytest.mark.parametrize(
    ("previous_end", "flagged"),
    [("2025-11-11", True), ("2025-11-10", False)],  # S - 56 days is 2025-11-10
)
def test_retreatment_gap_is_under_56_days(previous_end: str, flagged: bool):
    evaluation = course("2026-01-10", previous_end=previous_end)
    assert ("retreatment_gap" in evaluation.flags) == flagged


def test_retreatment_gap_shows_before_the_course_starts():
    evaluation = run("2025-12-01", [], start=S, planned=True, previous_end="2025-12-01")
    assert "retreatment_gap" in evaluation.flags


def test_a_missing_weight_is_flagged():
    assert "weight_missing" in course("2026-01-10", weight=None).flags
    assert course("2026-01-10", weight=None).derived.cumulative_mg_per_kg is None


@given(
    entries=st.lists(
        st.tuples(
            st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 3, 1)),
            st.integers(min_value=0, max_value=5),
            st.floats(min_value=1, max_value=200, allow_nan=False),
        ),
        max_size=8,
    ),
    first=st.dates(min_value=dt.date(2025, 12, 20), max_value=dt.date(2026, 2, 20)),
    count=st.integers(min_value=1, max_value=90),
)
def test_a_series_read_day_by_day_in_one_pass_gives_each_days_value(entries, first, count):
    """The dose and weight of every treatment day, read in one pass, are what a search for
    each day gives (the latest entry on or before the day; the last of a day wins)."""
    series = _Series(list(entries))
    expected = [series.on(first + dt.timedelta(days=n)) for n in range(count)]
    assert series.each_day(first, count) == expected
