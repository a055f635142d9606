"""Lab, pregnancy-test and mood-screen alerts, and their review."""

from __future__ import annotations

import pytest

from tests.tracker.engine_helpers import d, ev, lab, mood, pos, run
from tracker.engine import Alert
from tracker.engine.analytes import to_canonical


def alert_of(*events: dict, on: str = "2026-04-10") -> Alert | None:
    alerts = run(on, list(events)).alerts
    assert len(alerts) <= 1
    return alerts[0] if alerts else None


def level_of(*events: dict) -> str | None:
    a = alert_of(*events)
    return None if a is None else str(a.level)


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "expected"),
    [
        ("triglycerides", 149, "mg/dL", None),
        ("triglycerides", 150, "mg/dL", "info"),
        ("triglycerides", 499, "mg/dL", "info"),
        ("triglycerides", 500, "mg/dL", "high"),
        ("triglycerides", 796, "mg/dL", "high"),
        ("triglycerides", 797, "mg/dL", "critical"),
        ("triglycerides", 8.99, "mmol/L", "high"),  # 796.2 mg/dL
        ("triglycerides", 9.0, "mmol/L", "critical"),  # 797.1 mg/dL
        ("triglycerides", 1.69, "mmol/L", None),  # 149.7 mg/dL: compared unrounded
        ("triglycerides", 1.70, "mmol/L", "info"),  # 150.6 mg/dL
        ("total_cholesterol", 239, "mg/dL", None),
        ("total_cholesterol", 240, "mg/dL", "info"),
        ("total_cholesterol", 300, "mg/dL", "info"),
        ("total_cholesterol", 301, "mg/dL", "high"),
        ("total_cholesterol", 7.8, "mmol/L", "high"),  # 301.6 mg/dL
        ("ldl", 159, "mg/dL", None),
        ("ldl", 160, "mg/dL", "info"),
        ("ldl", 189, "mg/dL", "info"),
        ("ldl", 190, "mg/dL", "high"),
        ("hdl", 40, "mg/dL", None),
        ("hdl", 39, "mg/dL", "info"),
        ("ggt", 500, "U/L", None),
    ],
)
def test_lipid_thresholds_in_canonical_units(analyte, value, unit, expected):
    assert level_of(lab("2026-04-01", analyte, value, unit)) == expected


@pytest.mark.parametrize(
    ("analyte", "value", "uln", "expected"),
    [
        ("alt", 40, 40, None),  # 1 x ULN is not above it
        ("alt", 41, 40, "info"),
        ("alt", 120, 40, "info"),
        ("alt", 121, 40, "high"),
        ("alt", 200, 40, "high"),
        ("alt", 201, 40, "critical"),
        ("alt", 100, 35, "info"),  # the lab's own ULN: 2.9 x
        ("alt", 106, 35, "high"),  # 3.03 x
        ("ast", 201, 40, "critical"),
        ("ck", 200, 40, None),
        ("ck", 201, 40, "high"),
        ("ck", 401, 40, "critical"),
    ],
)
def test_enzyme_thresholds_are_multiples_of_the_upper_limit_of_normal(
    analyte, value, uln, expected
):
    assert level_of(lab("2026-04-01", analyte, value, "U/L", uln=uln)) == expected


def test_enzyme_without_a_uln_uses_the_default_and_says_so():
    a = alert_of(lab("2026-04-01", "alt", 121, "U/L"))
    assert a is not None
    assert str(a.level) == "high"
    assert any("ULN assumed" in c for c in a.conditions)


def test_one_alert_per_result_at_the_highest_level_naming_every_condition():
    a = alert_of(lab("2026-04-01", "triglycerides", 9.4, "mmol/L"))
    assert a is not None
    assert str(a.level) == "critical"
    assert len(a.conditions) == 3


def test_conversion_factors():
    assert to_canonical("triglycerides", 1.0, "mmol/L") == pytest.approx(88.57)
    assert to_canonical("hdl", 1.0, "mmol/L") == pytest.approx(38.67)
    assert to_canonical("alt", 30, "U/L") == 30


@pytest.mark.parametrize(
    ("instrument", "total", "item9", "expected"),
    [
        ("PHQ-9", 9, 0, None),
        ("PHQ-9", 10, 0, "high"),
        ("PHQ-9", 19, 0, "high"),
        ("PHQ-9", 20, 0, "critical"),
        ("PHQ-9", 3, 1, "critical"),
        ("PHQ-9", 12, 1, "critical"),
        ("PHQ-A", 10, 0, "high"),
        ("PHQ-A", 2, 2, "critical"),
        ("GAD-7", 9, None, None),
        ("GAD-7", 10, None, "high"),
        ("PHQ-2", 6, None, None),
    ],
)
def test_mood_screen_thresholds(instrument, total, item9, expected):
    assert level_of(mood("2026-04-01", total, instrument, item9)) == expected


def test_phq9_total_12_with_item9_1_opens_one_critical_alert_with_both_conditions():
    a = alert_of(mood("2026-04-01", 12, "PHQ-9", 1))
    assert a is not None
    assert str(a.level) == "critical"
    assert len(a.conditions) == 2
    assert a.instrument == "PHQ-9"


def test_a_positive_pregnancy_test_opens_a_critical_alert():
    a = alert_of(pos("2026-04-01", "home"))
    assert a is not None
    assert (a.source, str(a.level)) == ("pregnancy_test", "critical")


@pytest.mark.parametrize(
    ("review", "is_open"),
    [
        (ev("2026-03-31", "alert_review", source="lab"), True),  # before the result
        (ev("2026-04-01", "alert_review", source="lab"), False),  # the same day
        (ev("2026-04-11", "alert_review", source="lab"), True),  # after today
        (ev("2026-04-05", "alert_review", source="lab", analyte="alt"), False),
        (ev("2026-04-05", "alert_review", source="lab", analyte="ast"), True),
        (ev("2026-04-05", "alert_review", source="mood_screen"), True),
    ],
)
def test_an_alert_stays_open_until_a_matching_review_on_or_after_it(review, is_open):
    a = alert_of(lab("2026-04-01", "alt", 130, "U/L", uln=40), review)
    assert a is not None
    assert a.open == is_open
    assert (a.reviewed_on is None) == is_open


def test_a_review_never_deletes_the_alert():
    a = alert_of(
        lab("2026-04-01", "alt", 130, "U/L", uln=40),
        ev("2026-04-02", "alert_review", source="lab", note="repeat ordered"),
    )
    assert a is not None
    assert a.reviewed_on == d("2026-04-02")
    assert a.review_id is not None


def test_a_review_by_instrument_closes_only_that_instrument():
    evaluation = run(
        "2026-04-10",
        [
            mood("2026-04-01", 12, "PHQ-9", 0),
            mood("2026-04-01", 11, "GAD-7", None),
            ev("2026-04-02", "alert_review", source="mood_screen", instrument="GAD-7"),
        ],
    )
    assert sorted((a.instrument, a.open) for a in evaluation.alerts) == [
        ("GAD-7", False),
        ("PHQ-9", True),
    ]
