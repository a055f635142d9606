"""Dispensing checks, ready to prescribe, and the dates of a planned course."""

from __future__ import annotations

import pytest

from tests.tracker.engine_helpers import (
    CNGP,
    UK_CGP_BASELINE,
    US_CGP_BASELINE,
    d,
    default_rules,
    ev,
    facts,
    lab,
    neg,
    pos,
    run,
)
from tracker.engine import RuleSet, evaluate

S = "2026-03-02"
STARTED = [ev(S, "dose", mg_per_day=40), ev(S, "dispense", supply_days=30)]


def rules_of(evaluation) -> set[tuple[str, str]]:
    return {(v.rule, str(v.date)) for v in evaluation.violations}


# --- violations ------------------------------------------------------------------------------


@pytest.mark.parametrize(("dispensed", "violated"), [("2026-04-05", False), ("2026-04-06", True)])
def test_us_dispense_within_7_days_of_the_test_specimen_day_1(dispensed: str, violated: bool):
    events = [*US_CGP_BASELINE, *STARTED, neg("2026-03-30", "lab")]
    evaluation = run("2026-04-10", [*events, ev(dispensed, "dispense", supply_days=30)])
    assert (("US-RX-WINDOW", dispensed) in rules_of(evaluation)) == violated


def test_us_window_is_not_checked_for_cngp():
    evaluation = run("2026-04-10", [ev(S, "dispense", supply_days=30)], category=CNGP)
    assert rules_of(evaluation) == set()


@pytest.mark.parametrize(("days", "violated"), [(30, False), (31, True)])
def test_supply_is_at_most_30_days(days: int, violated: bool):
    events = [*UK_CGP_BASELINE, ev("2026-02-28", "dispense", supply_days=days)]
    evaluation = run("2026-03-01", events, profile="UK")
    assert (("RX-SUPPLY", "2026-02-28") in rules_of(evaluation)) == violated


@pytest.mark.parametrize(("dispensed", "violated"), [("2026-03-05", False), ("2026-03-06", True)])
def test_uk_dispense_within_7_days_of_its_prescription(dispensed: str, violated: bool):
    events = [*UK_CGP_BASELINE, ev(dispensed, "dispense", supply_days=30)]
    evaluation = run("2026-03-10", events, profile="UK", start=dispensed)
    assert (("UK-RX-DISPENSE", dispensed) in rules_of(evaluation)) == violated


@pytest.mark.parametrize(("tested", "violated"), [("2026-03-27", False), ("2026-03-26", True)])
def test_uk_prescription_within_3_days_after_a_negative_test(tested: str, violated: bool):
    events = [
        *UK_CGP_BASELINE,
        *STARTED,
        neg(tested, "remote_supervised"),
        ev("2026-03-30", "prescription", supply_days=30),
    ]
    evaluation = run("2026-04-01", events, profile="UK")
    assert (("UK-RX-TEST-WINDOW", "2026-03-30") in rules_of(evaluation)) == violated


def test_uk_test_window_is_not_checked_for_cngp():
    events = [ev("2026-03-30", "prescription", supply_days=30)]
    assert rules_of(run("2026-04-01", events, profile="UK", category=CNGP)) == set()


def test_a_violation_is_not_reported_before_its_event_date():
    events = [*UK_CGP_BASELINE, ev("2026-03-10", "dispense", supply_days=40)]
    assert rules_of(run("2026-03-09", events, profile="UK")) == set()


def test_legacy_lockout_is_not_reported_for_a_confirmation_test_19_days_after_the_screening():
    events = [
        ev("2026-01-05", "contraception_start", methods=["implant", "male_condom"]),
        neg("2026-01-05"),
        neg("2026-01-24"),
        ev("2026-01-25", "dispense", supply_days=30),
    ]
    assert rules_of(run("2026-01-26", events, start="2026-01-25")) == set()


def test_a_first_dispense_on_a_test_18_days_after_the_screening_is_no_lockout():
    # No confirmation window was missed: the test is simply no confirmation test, so the
    # finding is US-B4 (overdue), not US-RX-LOCKOUT (section 8).
    events = [
        ev("2026-01-05", "contraception_start", methods=["implant", "male_condom"]),
        neg("2026-01-05"),
        neg("2026-01-23"),
        ev("2026-01-25", "dispense", supply_days=30),
    ]
    evaluation = run("2026-01-26", events, start="2026-01-25")
    assert "US-RX-LOCKOUT" not in {rule for rule, _ in rules_of(evaluation)}
    assert evaluation.item("US-B4").status == "overdue"


def test_a_first_dispense_on_the_screening_test_alone_is_no_lockout():
    events = [
        ev("2026-01-05", "contraception_start", methods=["implant", "male_condom"]),
        neg("2026-02-10"),
        ev("2026-02-10", "dispense", supply_days=30),
    ]
    evaluation = run("2026-02-11", events, start="2026-02-10")
    assert "US-RX-LOCKOUT" not in {rule for rule, _ in rules_of(evaluation)}
    assert evaluation.item("US-B4").status == "overdue"


def test_legacy_lockout_is_reported_after_a_missed_confirmation_window():
    events = [
        ev("2026-01-05", "contraception_start", methods=["implant", "male_condom"]),
        neg("2026-01-05"),  # screening
        neg("2026-02-01"),  # confirmation: its 7 days pass with no dispense
        neg("2026-02-12"),  # 11 days later: locked out
        ev("2026-02-14", "dispense", supply_days=30),
    ]
    evaluation = run("2026-02-15", events, start="2026-02-14")
    assert ("US-RX-LOCKOUT", "2026-02-14") in rules_of(evaluation)


def test_a_test_19_days_after_a_missed_window_is_a_new_confirmation_test():
    events = [
        ev("2026-01-05", "contraception_start", methods=["implant", "male_condom"]),
        neg("2026-01-05"),
        neg("2026-02-01"),  # missed window
        neg("2026-02-20"),  # 19 days later: counts
        ev("2026-02-22", "dispense", supply_days=30),
    ]
    evaluation = run("2026-02-23", events, start="2026-02-22")
    assert "US-RX-LOCKOUT" not in {rule for rule, _ in rules_of(evaluation)}


# --- ready to prescribe ----------------------------------------------------------------------


def test_us_ready_for_a_later_dispense_with_a_recent_test():
    events = [*US_CGP_BASELINE, *STARTED, neg("2026-03-28", "lab")]
    evaluation = run("2026-03-30", events)
    assert evaluation.ready.ready, evaluation.ready.unmet


@pytest.mark.parametrize(("tested", "ready"), [("2026-03-24", True), ("2026-03-23", False)])
def test_us_ready_needs_a_test_within_the_last_7_days(tested: str, ready: bool):
    events = [*US_CGP_BASELINE, *STARTED, neg(tested, "lab")]
    assert run("2026-03-30", events).ready.ready == ready


def test_us_first_dispense_needs_a_clinic_or_lab_test():
    events = [e for e in US_CGP_BASELINE if e != neg("2026-03-01")]
    home = run(S, [*events, neg("2026-03-01", "home")], planned=True, home=True)
    clinic = run(S, [*events, neg("2026-03-01")], planned=True)
    assert not home.ready.ready
    assert clinic.ready.ready, clinic.ready.unmet


def test_first_dispense_needs_every_baseline_item():
    events = [e for e in US_CGP_BASELINE if e["type"] != "mood_screen"]
    evaluation = run(S, events, planned=True)
    assert not evaluation.ready.ready
    assert any(u.startswith("US-B7") for u in evaluation.ready.unmet)


def test_not_ready_while_a_gating_item_is_overdue():
    events = [*US_CGP_BASELINE, *STARTED, neg("2026-04-20", "lab")]
    evaluation = run("2026-04-20", events)  # counselling was due 2026-04-01
    assert evaluation.item("US-R2").status == "overdue"
    assert not evaluation.ready.ready


def test_not_ready_while_on_hold_even_after_the_alert_is_reviewed():
    events = [
        *US_CGP_BASELINE,
        *STARTED,
        pos("2026-03-25"),
        ev("2026-03-26", "alert_review", source="pregnancy_test"),
        neg("2026-03-27"),
    ]
    evaluation = run("2026-03-28", events)
    assert evaluation.on_hold
    assert not evaluation.ready.ready


def test_not_ready_with_an_unreviewed_critical_lab_alert():
    events = [*US_CGP_BASELINE, *STARTED, neg("2026-03-28"), lab("2026-03-28", "alt", 300, "U/L")]
    assert not run("2026-03-30", events).ready.ready


def test_an_ended_course_is_never_ready():
    events = [*US_CGP_BASELINE, *STARTED, neg("2026-03-28")]
    assert not run("2026-03-30", events, end="2026-03-29").ready.ready


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"category": None}, "category"),
        ({"start": None}, "start date"),
        ({"weight": None}, "weight"),
    ],
)
def test_a_missing_fact_means_not_ready(changes: dict, reason: str):
    events = [*US_CGP_BASELINE, *STARTED, neg("2026-03-28")]
    evaluation = run("2026-03-30", events, **changes)
    assert not evaluation.ready.ready
    assert any(reason in u for u in evaluation.ready.unmet)


def test_no_rules_for_the_profile_means_not_ready():
    empty = RuleSet(rules=())
    evaluation = evaluate(facts([], category=CNGP), empty, d("2026-03-01"))
    assert not evaluation.ready.ready
    assert "rules_missing" in evaluation.flags


@pytest.mark.parametrize(("tested", "ready"), [("2026-03-27", True), ("2026-03-26", False)])
def test_uk_ready_needs_a_test_within_the_last_4_days(tested: str, ready: bool):
    events = [*UK_CGP_BASELINE, *STARTED, neg(tested, "remote_supervised")]
    assert run("2026-03-30", events, profile="UK").ready.ready == ready


def test_uk_never_accepts_a_home_test():
    events = [*UK_CGP_BASELINE, *STARTED, neg("2026-03-29", "home")]
    assert not run("2026-03-30", events, profile="UK", home=True).ready.ready


def test_cngp_needs_no_pregnancy_test_to_be_ready():
    events = [
        ev("2026-02-20", "consent"),
        lab("2026-02-20", "triglycerides", 98),
        lab("2026-02-20", "total_cholesterol", 170),
        lab("2026-02-20", "alt", 18, "U/L", uln=40),
        ev("2026-02-20", "mood_screen", instrument="PHQ-9", total=2, item9=0),
    ]
    evaluation = run(S, events, planned=True, category=CNGP)
    assert evaluation.ready.ready, evaluation.ready.unmet


# --- planned-course dates --------------------------------------------------------------------


def test_us_first_dispense_deadline_is_6_days_after_the_latest_confirmation_test():
    evaluation = run("2026-03-01", US_CGP_BASELINE, planned=True)
    assert evaluation.derived.first_dispense_deadline == d("2026-03-07")


def test_a_screening_test_alone_gives_no_first_dispense_deadline():
    events = [e for e in US_CGP_BASELINE if e != neg("2026-03-01")]
    assert run("2026-02-28", events, planned=True).derived.first_dispense_deadline is None


def test_a_locked_out_legacy_test_cannot_set_the_deadline():
    events = [
        ev("2026-01-02", "contraception_start", methods=["implant", "male_condom"]),
        neg("2026-01-02"),
        neg("2026-02-05"),  # confirmation, window passes without a dispense
        neg("2026-02-15"),  # 10 days later: locked out
    ]
    evaluation = run("2026-02-16", events, planned=True, start="2026-03-01")
    assert evaluation.derived.first_dispense_deadline == d("2026-02-11")


def test_us_earliest_start_is_undefined_without_a_clinic_test():
    events = [ev("2026-08-20", "contraception_start", methods=["implant", "male_condom"])]
    assert (
        run("2026-08-21", events, planned=True, start="2026-10-01").derived.earliest_compliant_start
        is None
    )


def test_earliest_start_is_undefined_for_an_exempt_uk_patient():
    evaluation = run("2026-02-01", [], profile="UK", planned=True, exempt=True)
    assert evaluation.derived.earliest_compliant_start is None


def test_planned_dates_are_not_computed_once_the_course_has_started():
    evaluation = run("2026-03-05", [*US_CGP_BASELINE, *STARTED])
    assert evaluation.derived.first_dispense_deadline is None
    assert evaluation.derived.earliest_compliant_start is None


def test_the_default_rule_set_is_shared():
    assert default_rules() is default_rules()


def test_last_dispense_day_is_6_days_after_the_current_us_test():
    events = [*US_CGP_BASELINE, *STARTED, neg("2026-03-28", "lab")]
    assert run("2026-03-30", events).derived.last_dispense_day == d("2026-04-03")


def test_last_dispense_day_before_the_first_dispense_counts_clinic_and_lab_tests_only():
    events = [*US_CGP_BASELINE, neg("2026-03-02", "home")]
    evaluation = run("2026-03-02", events, planned=True, home=True)
    assert evaluation.derived.last_dispense_day == d("2026-03-07")


def test_last_dispense_day_in_the_uk_is_6_days_after_the_latest_prescription():
    evaluation = run("2026-02-28", UK_CGP_BASELINE, profile="UK", planned=True)
    assert evaluation.derived.last_dispense_day == d("2026-03-05")
