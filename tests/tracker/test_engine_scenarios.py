"""Every clinical scenario file, evaluated directly by the engine (no database).

Runs every ``*.json`` in ``../shared/scenarios/`` and in ``$SCENARIO_DIR`` when set, plus the
scenarios written below for what the shared files do not cover. A malformed scenario fails.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.tracker.engine_helpers import (
    CNGP,
    UK_CGP_BASELINE,
    US_CGP_BASELINE,
    default_rules,
    ev,
    lab,
    mood,
    neg,
    pos,
    scenario,
)
from tracker.engine import evaluate
from tracker.engine.scenario import ScenarioError, evaluate_scenario

SHARED_SCENARIOS = Path(__file__).resolve().parents[2].parent / "shared" / "scenarios"


def scenario_files() -> list[Path]:
    files = sorted(SHARED_SCENARIOS.glob("*.json"))
    extra = os.environ.get("SCENARIO_DIR")
    if extra:
        files += sorted(Path(extra).glob("*.json"))
    return files


def assert_scenario(data: dict[str, Any]) -> None:
    failures = evaluate_scenario(data, default_rules(), evaluate)
    assert not failures, "\n".join(failures)


def test_the_shared_scenario_folder_has_files():
    assert SHARED_SCENARIOS.is_dir(), f"scenario folder missing: {SHARED_SCENARIOS}"
    assert list(SHARED_SCENARIOS.glob("*.json"))


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.name)
def test_scenario_file(path: Path):
    assert_scenario(json.loads(path.read_text("utf-8")))


# --- scenarios of our own ---------------------------------------------------------------------

UK_RX_CHECKS = scenario(
    [
        *UK_CGP_BASELINE,
        ev("2026-03-02", "dose", mg_per_day=30),
        ev("2026-03-02", "dispense", supply_days=30),
        # no test within [Rx - 3, Rx]
        neg("2026-03-25"),
        ev("2026-03-30", "prescription", supply_days=30),
        # dispensed 9 days after its prescription
        ev("2026-04-08", "dispense", supply_days=30),
        # supply over 30 days
        neg("2026-04-27", "remote_supervised"),
        ev("2026-04-28", "prescription", supply_days=60),
        ev("2026-04-29", "dispense", supply_days=30),
    ],
    profile="UK",
    sid="X-UK-RX",
    checks=[
        {
            "as_of": "2026-04-30",
            "violations": [
                {"rule": "UK-RX-TEST-WINDOW", "date": "2026-03-30"},
                {"rule": "UK-RX-DISPENSE", "date": "2026-04-08"},
                {"rule": "RX-SUPPLY", "date": "2026-04-28"},
            ],
            "items": {"UK-R1": {"status": "upcoming", "due_on": "2026-05-27"}},
            "ready_to_prescribe": True,
        },
        {"as_of": "2026-03-02", "no_violations": True},
    ],
)

EU_EXEMPT_LOW_DOSE = scenario(
    [
        lab("2026-02-20", "alt", 17, "U/L", uln=40),
        lab("2026-02-20", "triglycerides", 85),
        lab("2026-02-20", "total_cholesterol", 155),
        mood("2026-02-20", instrument="PHQ-9"),
        neg("2026-02-27"),
        ev("2026-03-02", "dose", mg_per_day=20),
        # dispensed with no prescription
        ev("2026-03-02", "dispense", supply_days=30),
    ],
    profile="EU",
    exempt=True,
    sid="X-EU",
    checks=[
        {
            "as_of": "2026-03-10",
            "items": {
                "UK-B1": "not_applicable",
                "UK-B2": "not_applicable",
                "UK-B3": "not_applicable",
                "UK-B4": {"status": "satisfied", "due_on": "2026-03-02"},
                "UK-B8": "not_applicable",
                "UK-R3": "not_applicable",
                "UK-R1": {"status": "upcoming", "due_on": "2026-03-29"},
                "UK-R2": {"status": "upcoming", "due_on": "2026-03-22"},
                "US-B1": "not_applicable",
            },
            "violations": [{"rule": "UK-RX-DISPENSE", "date": "2026-03-02"}],
            "flags": ["dose_below_band"],
            # no qualifying test within [T - 3, T]
            "ready_to_prescribe": False,
        }
    ],
)

US_LEGACY_LOCKOUT = scenario(
    [
        ev("2026-01-05", "consent"),
        ev("2026-01-05", "contraception_start", methods=["implant", "male_condom"]),
        neg("2026-01-05"),
        lab("2026-01-20", "triglycerides", 100),
        lab("2026-01-20", "total_cholesterol", 160),
        lab("2026-01-20", "alt", 20, "U/L", uln=40),
        mood("2026-01-20"),
        # a confirmation test whose 7 days pass without a dispense...
        neg("2026-02-01"),
        # ...so a test 11 days later is locked out
        neg("2026-02-12"),
        ev("2026-02-14", "dose", mg_per_day=40),
        ev("2026-02-14", "dispense", supply_days=30),
    ],
    start="2026-02-14",
    sid="X-US-LOCKOUT",
    checks=[
        {
            "as_of": "2026-02-14",
            "items": {"US-B4": "satisfied"},
            "violations": [{"rule": "US-RX-LOCKOUT", "date": "2026-02-14"}],
        }
    ],
)

US_NO_LOCKOUT_AFTER_CUTOFF = scenario(
    [
        ev("2026-09-05", "consent"),
        ev("2026-09-05", "contraception_start", methods=["implant", "male_condom"]),
        neg("2026-09-05"),
        lab("2026-10-01", "triglycerides", 100),
        lab("2026-10-01", "total_cholesterol", 160),
        lab("2026-10-01", "alt", 20, "U/L", uln=40),
        mood("2026-10-01"),
        neg("2026-10-02"),
        neg("2026-10-12"),
        ev("2026-10-14", "dose", mg_per_day=40),
        ev("2026-10-14", "dispense", supply_days=30),
    ],
    start="2026-10-14",
    sid="X-US-NO-LOCKOUT",
    checks=[{"as_of": "2026-10-14", "no_violations": True, "items": {"US-B4": "satisfied"}}],
)

US_FIRST_DISPENSE_HOME_TEST = scenario(
    [
        *[e for e in US_CGP_BASELINE if e != neg("2026-03-01")],
        neg("2026-02-28", "home"),
        ev("2026-03-02", "dose", mg_per_day=40),
        ev("2026-03-02", "dispense", supply_days=30),
        neg("2026-03-30", "remote_supervised"),
        # 8 days after the last test
        ev("2026-04-07", "dispense", supply_days=30),
    ],
    home=True,
    sid="X-US-WINDOW",
    checks=[
        {
            "as_of": "2026-04-10",
            "violations": [
                {"rule": "US-RX-WINDOW", "date": "2026-03-02"},
                {"rule": "US-RX-FIRST-SETTING", "date": "2026-03-02"},
                {"rule": "US-RX-WINDOW", "date": "2026-04-07"},
            ],
            "items": {"US-B4": "overdue", "US-R1": {"status": "upcoming", "due_on": "2026-04-29"}},
        }
    ],
)

US_HOLD_AND_REVIEW = scenario(
    [
        *US_CGP_BASELINE,
        ev("2026-03-02", "dose", mg_per_day=40),
        ev("2026-03-02", "dispense", supply_days=30),
        pos("2026-03-30"),
        ev("2026-03-30", "rems_confirmation"),
        ev("2026-03-30", "contraception_attestation", methods=["combined_pill", "male_condom"]),
        mood("2026-03-30"),
        ev("2026-04-02", "hold_resolved", reason="serum hCG negative: false positive"),
        neg("2026-04-03"),
        ev("2026-04-03", "alert_review", source="pregnancy_test", note="false positive"),
    ],
    sid="X-US-HOLD",
    checks=[
        {
            "as_of": "2026-03-30",
            "items": {
                "US-R1": "not_applicable",
                "US-R2": "not_applicable",
                "US-R3": "not_applicable",
                "US-R4": "upcoming",
            },
            "alerts": [{"source": "pregnancy_test", "level": "critical"}],
            "ready_to_prescribe": False,
            "derived": {"course_on_hold": True},
        },
        {
            # the hold is lifted, the alert is not reviewed yet
            "as_of": "2026-04-02",
            "items": {"US-R1": {"status": "due_soon", "due_on": "2026-03-31"}},
            "alerts": [{"source": "pregnancy_test", "level": "critical"}],
            "ready_to_prescribe": False,
            "derived": {"course_on_hold": False},
        },
        {
            "as_of": "2026-04-03",
            "items": {"US-R1": {"status": "upcoming", "due_on": "2026-05-03"}},
            "no_alerts": True,
            "ready_to_prescribe": True,
        },
    ],
)

US_SAME_DAY_RESOLUTION = scenario(
    [
        *US_CGP_BASELINE,
        ev("2026-03-02", "dose", mg_per_day=40),
        ev("2026-03-02", "dispense", supply_days=30),
        pos("2026-03-30"),
        ev("2026-03-30", "hold_resolved", reason="test read wrongly; repeat negative"),
    ],
    sid="X-US-HOLD-SAME-DAY",
    checks=[
        {
            "as_of": "2026-03-30",
            "derived": {"course_on_hold": False},
            "items": {"US-R1": "due_soon"},
            "alerts": [{"source": "pregnancy_test", "level": "critical"}],
        }
    ],
)

US_MOOD_AND_LAB_REVIEWS = scenario(
    [
        ev("2026-01-26", "consent"),
        mood("2026-02-20", total=12, item9=1),
        mood("2026-02-20", total=10, instrument="GAD-7"),
        lab("2026-02-20", "alt", 130, "U/L"),  # > 3 x the assumed ULN of 40
        lab("2026-02-20", "triglycerides", 520),
        ev("2026-02-21", "alert_review", source="mood_screen", instrument="PHQ-A"),
        ev("2026-02-22", "alert_review", source="lab", analyte="alt"),
        ev("2026-02-23", "alert_review", source="mood_screen", instrument="PHQ-9"),
    ],
    category=CNGP,
    sid="X-US-REVIEWS",
    checks=[
        {
            "as_of": "2026-02-21",
            "alerts": [
                {"source": "mood_screen", "instrument": "PHQ-9", "level": "critical"},
                {"source": "mood_screen", "instrument": "GAD-7", "level": "high"},
                {"source": "lab", "analyte": "alt", "level": "high"},
                {"source": "lab", "analyte": "triglycerides", "level": "high"},
            ],
            "ready_to_prescribe": False,
        },
        {
            "as_of": "2026-02-23",
            "alerts": [
                {"source": "mood_screen", "instrument": "GAD-7", "level": "high"},
                {"source": "lab", "analyte": "triglycerides", "level": "high"},
            ],
            "items": {
                "X-L2:alt": {"status": "upcoming", "due_on": "2026-03-06"},
                "X-L2:triglycerides": {"status": "upcoming", "due_on": "2026-03-06"},
            },
        },
    ],
)

US_DOSE_FLAGS = scenario(
    [
        ev("2026-01-05", "dose", mg_per_day=40),
        ev("2026-04-05", "dose", mg_per_day=80),
    ],
    category=CNGP,
    start="2026-01-05",
    previous_end="2025-11-20",
    sid="X-US-DOSE",
    checks=[
        {
            "as_of": "2026-04-04",
            "derived": {"cumulative_mg_per_kg": 60.0},
            "flags": ["retreatment_gap"],
        },
        {
            "as_of": "2026-04-05",
            "flags": ["dose_above_band", "retreatment_gap"],
            "derived": {"target_reached_on": "2026-06-11"},
        },
        {"as_of": "2026-05-15", "derived": {"cumulative_mg_per_kg": 114.7}},
        {"as_of": "2026-05-20", "flags": ["target_band_reached"]},
        {"as_of": "2026-06-11", "flags": ["target_band_reached", "above_150"]},
    ],
)

US_PLANNED_EARLIEST_START = scenario(
    [
        ev("2026-08-20", "contraception_start", methods=["implant", "male_condom"]),
        neg("2026-09-15"),
        neg("2026-10-05"),
    ],
    start="2026-10-20",
    planned=True,
    sid="X-US-EARLIEST",
    checks=[
        {
            "as_of": "2026-09-16",
            "derived": {"earliest_compliant_start": "2026-10-04", "first_dispense_deadline": None},
        },
        {
            "as_of": "2026-10-06",
            "derived": {
                "earliest_compliant_start": "2026-10-04",
                "first_dispense_deadline": "2026-10-11",
            },
        },
    ],
)

UK_PLANNED_DATES = scenario(
    [
        ev("2026-02-01", "contraception_start", methods=["implant"]),
        ev("2026-03-05", "prescription", supply_days=30),
    ],
    profile="UK",
    start="2026-03-08",
    planned=True,
    sid="X-UK-PLANNED",
    checks=[
        {
            "as_of": "2026-03-05",
            "derived": {
                "earliest_compliant_start": "2026-03-03",
                "first_dispense_deadline": "2026-03-11",
            },
            "items": {"UK-B4": {"status": "due_soon", "due_on": "2026-03-05"}},
            "ready_to_prescribe": False,
        }
    ],
)

OWN_SCENARIOS = [
    UK_RX_CHECKS,
    EU_EXEMPT_LOW_DOSE,
    US_LEGACY_LOCKOUT,
    US_NO_LOCKOUT_AFTER_CUTOFF,
    US_FIRST_DISPENSE_HOME_TEST,
    US_HOLD_AND_REVIEW,
    US_SAME_DAY_RESOLUTION,
    US_MOOD_AND_LAB_REVIEWS,
    US_DOSE_FLAGS,
    US_PLANNED_EARLIEST_START,
    UK_PLANNED_DATES,
]


@pytest.mark.parametrize("data", OWN_SCENARIOS, ids=lambda s: s["id"])
def test_own_scenario(data: dict[str, Any]):
    assert_scenario(data)


# --- the runner fails loudly ------------------------------------------------------------------


def _with(**changes: Any) -> dict[str, Any]:
    data = scenario([ev("2026-01-26", "consent")], sid="BAD")
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "data",
    [
        _with(events=[ev("2026-01-26", "telepathy")]),
        _with(events=[ev("2026-01-26", "consent", witness="x")]),
        _with(events=[lab("2026-01-26", "glucose", 5)]),
        _with(events=[lab("2026-01-26", "alt", 5, "mmol/L")]),
        _with(events=[ev("2026-01-26", "contraception_start", methods=["hope"])]),
        _with(checks=[{"as_of": "2026-03-01", "items": {"US-B5": "satisfied"}}]),
        _with(checks=[{"as_of": "2026-03-01", "items": {"US-Z9": "satisfied"}}]),
        _with(checks=[{"as_of": "2026-03-01", "items": {"US-B1": "fine"}}]),
        _with(checks=[{"as_of": "2026-03-01", "surprise": True}]),
        _with(checks=[{"as_of": "2026-03-01", "flags": ["lucky"]}]),
        _with(checks=[{"as_of": "2026-03-01", "derived": {"mood": 1}}]),
        _with(checks=[{"as_of": "2026-03-01", "violations": [{"rule": "US-B1", "date": "x"}]}]),
        _with(extra_top_level_key=1),
    ],
    ids=[
        "event-type",
        "event-field",
        "analyte",
        "unit",
        "method",
        "bare-lab-code",
        "rule-code",
        "status",
        "check-key",
        "flag",
        "derived",
        "violation-code",
        "top-level-key",
    ],
)
def test_a_malformed_scenario_fails_loudly(data: dict[str, Any]):
    with pytest.raises(ScenarioError):
        evaluate_scenario(data, default_rules(), evaluate)


def test_a_mismatch_names_scenario_date_rule_expected_and_actual():
    data = _with(checks=[{"as_of": "2026-03-01", "items": {"US-B1": "overdue"}}])
    (message,) = evaluate_scenario(data, default_rules(), evaluate)
    assert "BAD" in message
    assert "2026-03-01" in message
    assert "US-B1" in message
    assert "expected status overdue" in message
    assert "got satisfied" in message


def test_no_flags_looks_at_the_dose_flags_only():
    # no dose recorded: the missing-fact flag dose_missing is raised, not a dose flag
    data = _with(
        course={"start": "2026-03-02", "weight_kg": 60},
        checks=[{"as_of": "2026-03-05", "no_flags": True}],
    )
    data["patient"]["category"] = "cannot_get_pregnant"
    assert evaluate_scenario(data, default_rules(), evaluate) == []
