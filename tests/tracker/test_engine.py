"""Item statuses of the monitoring engine: one behaviour per test, edges on both sides."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

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
    mood,
    neg,
    pos,
    run,
)
from tracker.engine import Evaluation, Status, evaluate
from tracker.engine.items import item_status

S = "2026-03-02"
STARTED = [ev(S, "dose", mg_per_day=40), ev(S, "dispense", supply_days=30)]


def us(on: str, *extra: dict, **kw) -> Evaluation:
    """A started US CGP course with its baseline met, evaluated on ``on``."""
    return run(on, [*US_CGP_BASELINE, *STARTED, *extra], **kw)


# --- the status function ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2026-04-21", Status.UPCOMING),  # the day before due soon
        ("2026-04-22", Status.DUE_SOON),  # D - L
        ("2026-04-29", Status.DUE_SOON),  # D
        ("2026-05-06", Status.DUE_SOON),  # D + G
        ("2026-05-07", Status.OVERDUE),  # the day after grace
    ],
)
def test_item_status_edges_of_lead_due_and_grace(today: str, expected: Status):
    assert item_status(due_on=d("2026-04-29"), today=d(today), lead=7, grace=7) == expected


# --- recurring items -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2026-04-21", Status.UPCOMING),
        ("2026-04-22", Status.DUE_SOON),
        ("2026-05-06", Status.DUE_SOON),
        ("2026-05-07", Status.OVERDUE),
    ],
)
def test_monthly_test_due_30_days_after_the_last_negative_test(today: str, expected: Status):
    item = us(today, neg("2026-03-30", "lab")).item("US-R1")
    assert item.status == expected
    assert item.due_on == d("2026-04-29")


def test_monthly_test_overdue_the_day_after_grace_explains_why():
    item = us("2026-05-07", neg("2026-03-30", "lab")).item("US-R1")
    assert item.explanation == (
        "Overdue: monthly pregnancy test was due 2026-04-29 (30 days after the negative "
        "pregnancy test of 2026-03-30); 7-day grace ended 2026-05-06."
    )


def test_monthly_test_is_first_due_30_days_after_the_start_with_no_test():
    events = [e for e in US_CGP_BASELINE if e["type"] != "pregnancy_test"] + STARTED
    assert run("2026-03-10", events).item("US-R1").due_on == d("2026-04-01")


def test_a_positive_test_does_not_anchor_the_monthly_test():
    item = us("2026-04-05", pos("2026-03-30")).item("US-R1")
    assert item.status == Status.NOT_APPLICABLE  # on hold


def test_a_home_test_anchors_the_monthly_test_only_when_home_testing_is_permitted():
    assert us("2026-04-05", neg("2026-03-30", "home")).item("US-R1").due_on == d("2026-03-31")
    permitted = us("2026-04-05", neg("2026-03-30", "home"), home=True)
    assert permitted.item("US-R1").due_on == d("2026-04-29")


def test_a_test_in_future_is_ignored():
    assert us("2026-03-29", neg("2026-03-30")).item("US-R1").due_on == d("2026-03-31")


@pytest.mark.parametrize(
    ("last_test", "expected"),
    [
        ("2026-05-21", Status.DUE_SOON),  # D = E: still open
        ("2026-05-22", Status.CLOSED),  # D = E + 1: after the stop
    ],
)
def test_monthly_test_closes_when_the_next_due_date_is_after_the_end(last_test, expected):
    evaluation = us("2026-06-21", neg(last_test, "lab"), end="2026-06-20")
    assert evaluation.item("US-R1").status == expected


@pytest.mark.parametrize(
    ("attested", "expected"),
    [("2026-06-20", Status.DUE_SOON), ("2026-06-21", Status.CLOSED)],
)
def test_contraception_attestation_runs_until_30_days_after_the_end(attested, expected):
    attestation = ev(attested, "contraception_attestation", methods=["implant", "male_condom"])
    item = us("2026-07-20", attestation, end="2026-06-20").item("US-R3")
    assert item.status == expected


def test_an_attestation_with_one_method_does_not_count():
    one = ev("2026-03-30", "contraception_attestation", methods=["implant"])
    assert us("2026-04-05", one).item("US-R3").due_on == d("2026-04-01")


def test_the_end_counts_only_once_it_is_on_or_before_today():
    evaluation = us("2026-06-19", neg("2026-05-22", "lab"), end="2026-06-20")
    assert evaluation.item("US-R1").status == Status.DUE_SOON


def test_on_hold_gating_items_are_not_applicable_even_past_their_stop_date():
    evaluation = us("2026-08-01", pos("2026-06-10"), end="2026-06-20")
    for code in ("US-R1", "US-R2", "US-R3"):
        assert evaluation.item(code).status == Status.NOT_APPLICABLE
    assert evaluation.item("US-R4").status == Status.OVERDUE  # not a gating item


def test_mood_check_takes_a_phq2_but_not_a_gad7():
    assert us("2026-04-05", mood("2026-03-30", instrument="PHQ-2")).item("US-R4").due_on == d(
        "2026-04-29"
    )
    gad = us("2026-04-05", mood("2026-03-30", instrument="GAD-7", total=2))
    assert gad.item("US-R4").due_on == d("2026-03-22")


def test_recurring_items_are_not_applicable_before_the_start():
    evaluation = run("2026-02-25", US_CGP_BASELINE, planned=True)
    for code in ("US-R1", "US-R2", "US-R3", "US-R4", "US-L1:alt", "US-L1:triglycerides"):
        assert evaluation.item(code).status == Status.NOT_APPLICABLE


def test_a_start_in_the_future_is_not_started_even_when_not_planned():
    evaluation = run("2026-03-01", US_CGP_BASELINE)
    assert evaluation.item("US-R1").status == Status.NOT_APPLICABLE
    assert not evaluation.derived.course_started


# --- effective dates and categories ------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [("2026-08-07", Status.OVERDUE), ("2026-08-08", Status.NOT_APPLICABLE)],
)
def test_counselling_of_cngp_stops_after_2026_08_07(today: str, expected: Status):
    events = [ev("2026-06-01", "consent"), ev("2026-06-01", "dose", mg_per_day=40)]
    evaluation = run(today, events, category=CNGP, start="2026-06-01")
    assert evaluation.item("US-R2").status == expected


def test_counselling_of_cgp_continues_after_2026_08_08():
    events = [ev("2026-06-01", "dose", mg_per_day=40), ev("2026-08-01", "rems_confirmation")]
    evaluation = run("2026-08-20", events, start="2026-06-01")
    assert evaluation.item("US-R2").due_on == d("2026-08-31")


def test_a_missing_category_applies_the_pregnancy_rules():
    evaluation = us("2026-04-05", category=None)
    assert evaluation.item("US-R1").status != Status.NOT_APPLICABLE
    assert "category_missing" in evaluation.flags


def test_cngp_patients_have_no_pregnancy_items():
    evaluation = us("2026-04-05", category=CNGP)
    for code in ("US-B2", "US-B3", "US-B4", "US-R1", "US-R3", "US-P1"):
        assert evaluation.item(code).status == Status.NOT_APPLICABLE


# --- one-off baseline items ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tested", "satisfied"),
    [
        ("2025-12-01", False),  # S - 91
        ("2025-12-02", True),  # S - 90
        ("2026-02-11", True),  # S - 19
        ("2026-02-12", False),  # S - 18
    ],
)
def test_screening_test_window_is_90_to_19_days_before_the_start(tested: str, satisfied: bool):
    events = [e for e in US_CGP_BASELINE if e["type"] != "pregnancy_test"]
    status = run(S, [*events, neg(tested)], planned=True).item("US-B3").status
    assert (status == Status.SATISFIED) == satisfied


@pytest.mark.parametrize(
    ("confirmed", "satisfied"),
    [
        ("2026-02-23", False),  # S - 7: before the window
        ("2026-02-24", True),  # S - 6, 19 days after the screening test
        ("2026-03-02", True),  # S
    ],
)
def test_confirmation_test_window_is_the_6_days_before_the_start(confirmed, satisfied):
    events = [
        ev("2026-01-10", "contraception_start", methods=["implant", "male_condom"]),
        neg("2026-02-05"),
        neg(confirmed),
    ]
    status = run(S, events, planned=True).item("US-B4").status
    assert (status == Status.SATISFIED) == satisfied


@pytest.mark.parametrize(("screening", "satisfied"), [("2026-02-07", False), ("2026-02-06", True)])
def test_confirmation_test_is_19_days_after_the_screening_test(screening, satisfied):
    events = [
        ev("2026-01-10", "contraception_start", methods=["implant", "male_condom"]),
        neg(screening),
        neg("2026-02-25"),
    ]
    status = run(S, events, planned=True).item("US-B4").status
    assert (status == Status.SATISFIED) == satisfied


@pytest.mark.parametrize(("started", "satisfied"), [("2026-01-27", False), ("2026-01-26", True)])
def test_confirmation_test_is_30_days_after_the_contraception_start(started, satisfied):
    events = [
        ev(started, "contraception_start", methods=["implant", "male_condom"]),
        neg("2026-01-20"),
        neg("2026-02-25"),
    ]
    status = run(S, events, planned=True).item("US-B4").status
    assert (status == Status.SATISFIED) == satisfied


def test_confirmation_test_without_a_screening_test_is_not_met():
    events = [ev("2026-01-10", "contraception_start", methods=["implant", "male_condom"])]
    item = run("2026-02-28", [*events, neg("2026-02-27")], planned=True).item("US-B4")
    assert item.status == Status.DUE_SOON
    assert "US-B3" in item.explanation


def test_a_home_test_never_counts_before_the_start():
    events = [e for e in US_CGP_BASELINE if e != neg("2026-03-01")]
    evaluation = run(S, [*events, neg("2026-03-01", "home")], planned=True, home=True)
    assert evaluation.item("US-B4").status == Status.DUE_SOON


@pytest.mark.parametrize(
    ("methods", "satisfied"),
    [(["implant"], False), (["implant", "male_condom"], True), (["abstinence"], True)],
)
def test_us_contraception_needs_two_methods_or_abstinence(methods, satisfied):
    item = run(S, [ev("2026-01-01", "contraception_start", methods=methods)]).item("US-B2")
    assert (item.status == Status.SATISFIED) == satisfied


@pytest.mark.parametrize(
    ("started", "satisfied"), [("2026-01-30", True), ("2026-01-31", True), ("2026-02-01", False)]
)
def test_contraception_starts_at_least_30_days_before_the_start(started, satisfied):
    item = run(S, [ev(started, "contraception_start", methods=["abstinence"])]).item("US-B2")
    assert (item.status == Status.SATISFIED) == satisfied


@pytest.mark.parametrize(
    ("collected", "satisfied"),
    [("2026-01-30", False), ("2026-01-31", True), ("2026-03-02", True), ("2026-03-03", False)],
)
def test_baseline_labs_are_collected_within_30_days_before_the_start(collected, satisfied):
    status = us("2026-03-05", lab(collected, "ldl", 100)).item("US-B5:triglycerides").status
    assert status == Status.SATISFIED  # the baseline result of 2026-02-20
    item = run("2026-03-05", [lab(collected, "alt", 20, "U/L")]).item("US-B6:alt")
    assert (item.status == Status.SATISFIED) == satisfied


def test_a_baseline_item_is_overdue_the_day_after_the_start():
    events = [e for e in US_CGP_BASELINE if e["type"] != "mood_screen"]
    assert run(S, events).item("US-B7").status == Status.DUE_SOON
    assert run("2026-03-03", events).item("US-B7").status == Status.OVERDUE


@pytest.mark.parametrize(
    ("today", "expected"),
    [("2026-02-15", Status.UPCOMING), ("2026-02-16", Status.DUE_SOON)],
)
def test_baseline_items_are_due_soon_14_days_before_the_start(today: str, expected: Status):
    assert run(today, [], planned=True).item("US-B1").status == expected


# --- peak-dose labs --------------------------------------------------------------------------


def test_peak_dose_labs_are_due_60_days_after_the_start_without_an_increase():
    assert us("2026-03-10").item("US-L1:alt").due_on == d("2026-05-01")


def test_peak_dose_labs_move_with_a_later_dose_increase():
    evaluation = us("2026-04-10", ev("2026-04-05", "dose", mg_per_day=60))
    assert evaluation.item("US-L1:alt").due_on == d("2026-05-05")


def test_returning_to_an_earlier_peak_does_not_move_the_peak_dose_labs():
    doses = [
        ev("2026-04-05", "dose", mg_per_day=60),
        ev("2026-04-20", "dose", mg_per_day=40),
        ev("2026-05-10", "dose", mg_per_day=60),
    ]
    assert us("2026-05-12", *doses).item("US-L1:alt").due_on == d("2026-05-05")


@pytest.mark.parametrize(("collected", "satisfied"), [("2026-04-09", False), ("2026-04-10", True)])
def test_peak_dose_labs_are_accepted_from_21_days_before_the_due_date(collected, satisfied):
    item = us("2026-04-20", lab(collected, "alt", 20, "U/L")).item("US-L1:alt")
    assert (item.status == Status.SATISFIED) == satisfied


def test_peak_dose_labs_are_not_needed_when_the_course_ends_before_the_window():
    assert us("2026-04-15", end="2026-04-09").item("US-L1:alt").status == Status.NOT_APPLICABLE
    assert us("2026-04-15", end="2026-04-10").item("US-L1:alt").status == Status.UPCOMING


def test_peak_dose_labs_after_the_end_do_not_count():
    item = us("2026-05-03", lab("2026-04-20", "alt", 20, "U/L"), end="2026-04-15").item("US-L1:alt")
    assert item.status == Status.DUE_SOON


# --- post-course items -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tested", "satisfied"),
    [("2026-07-18", False), ("2026-07-19", True), ("2026-08-20", True), ("2026-08-21", False)],
)
def test_post_course_test_window_is_28_to_60_days_after_the_end(tested: str, satisfied: bool):
    item = us("2026-08-25", neg(tested), end="2026-06-21").item("US-P1")
    assert (item.status == Status.SATISFIED) == satisfied


def test_post_course_test_is_not_applicable_until_the_end_is_reached():
    assert us("2026-06-20", end="2026-06-21").item("US-P1").status == Status.NOT_APPLICABLE
    item = us("2026-06-21", end="2026-06-21").item("US-P1")
    assert item.status == Status.UPCOMING
    assert item.due_on == d("2026-07-21")


# --- UK items --------------------------------------------------------------------------------


def uk(on: str, *extra: dict, **kw) -> Evaluation:
    return run(on, [*UK_CGP_BASELINE, *STARTED, *extra], profile="UK", **kw)


@pytest.mark.parametrize(
    ("dob", "applies"),
    [("2007-06-03", True), ("2007-06-02", False)],  # 17 on S; 18 on S
)
def test_second_prescriber_applies_under_18_at_the_start(dob: str, applies: bool):
    evaluation = run("2025-06-01", [], profile="UK", start="2025-06-02", dob=dob)
    assert (evaluation.item("UK-B2").status != Status.NOT_APPLICABLE) == applies


@pytest.mark.parametrize(
    ("start", "applies"),
    [("2023-10-30", False), ("2023-10-31", True), ("2026-01-21", True), ("2026-01-22", False)],
)
def test_second_prescriber_applies_to_starts_from_2023_10_31_to_2026_01_21(start, applies):
    evaluation = run(start, [], profile="UK", start=start, dob="2010-01-01")
    assert (evaluation.item("UK-B2").status != Status.NOT_APPLICABLE) == applies


def test_uk_contraception_needs_one_method():
    item = uk("2026-03-05").item("UK-B3")
    assert item.status == Status.SATISFIED


def test_uk_contraception_is_not_applicable_when_exempt():
    assert uk("2026-03-05", exempt=True).item("UK-B3").status == Status.NOT_APPLICABLE


@pytest.mark.parametrize(("tested", "satisfied"), [("2026-02-23", False), ("2026-02-24", True)])
def test_uk_pre_start_test_is_within_3_days_before_the_first_prescription(tested, satisfied):
    events = [e for e in UK_CGP_BASELINE if e["type"] != "pregnancy_test"] + [neg(tested)]
    item = run("2026-03-05", [*events, *STARTED], profile="UK").item("UK-B4")
    assert item.due_on == d("2026-02-27")
    assert (item.status == Status.SATISFIED) == satisfied


@pytest.mark.parametrize(
    ("exempt", "satisfied"),
    [(False, False), (True, True)],
)
def test_uk_pre_start_test_waits_30_days_after_contraception_unless_exempt(exempt, satisfied):
    events = [
        ev("2026-02-10", "contraception_start", methods=["implant"]),
        neg("2026-02-27"),
        ev("2026-02-27", "prescription", supply_days=30),
    ]
    item = run("2026-02-28", events, profile="UK", planned=True, exempt=exempt).item("UK-B4")
    assert (item.status == Status.SATISFIED) == satisfied


def test_uk_remote_supervised_test_counts_during_treatment_but_not_home():
    assert uk("2026-04-01", neg("2026-03-28", "remote_supervised")).item("UK-R1").due_on == d(
        "2026-04-27"
    )
    assert uk("2026-04-01", neg("2026-03-28", "home"), home=True).item("UK-R1").due_on == d(
        "2026-03-29"
    )


@pytest.mark.parametrize(("collected", "satisfied"), [("2026-03-22", False), ("2026-03-23", True)])
def test_one_month_labs_are_accepted_from_day_21(collected: str, satisfied: bool):
    item = uk("2026-04-01", lab(collected, "alt", 20, "U/L")).item("UK-L1:alt")
    assert item.due_on == d("2026-04-01")
    assert (item.status == Status.SATISFIED) == satisfied


def test_three_monthly_labs_wait_for_the_one_month_labs_per_analyte():
    evaluation = uk("2026-04-01", lab("2026-03-25", "alt", 20, "U/L"))
    assert evaluation.item("UK-L2:alt").status == Status.UPCOMING
    assert evaluation.item("UK-L2:alt").due_on == d("2026-06-23")
    assert evaluation.item("UK-L2:triglycerides").status == Status.NOT_APPLICABLE


def test_an_item_listed_before_the_item_it_waits_for_still_waits_for_it():
    """Rule order is the admin's to choose: an item that waits for another is evaluated after
    it wherever it is listed, and items are still reported in rule order."""
    rules = default_rules()
    waiting = tuple(r for r in rules.rules if r.code == "UK-L2")
    reordered = replace(rules, rules=waiting + tuple(r for r in rules.rules if r.code != "UK-L2"))
    course = facts([*UK_CGP_BASELINE, *STARTED, lab("2026-03-25", "alt", 20, "U/L")], profile="UK")

    evaluation = evaluate(course, reordered, d("2026-04-01"))

    assert evaluation.item("UK-L2:alt").status == Status.UPCOMING
    assert evaluation.item("UK-L2:alt").due_on == d("2026-06-23")
    assert evaluation.item("UK-L2:triglycerides").status == Status.NOT_APPLICABLE
    assert "waits until UK-L1:triglycerides" in evaluation.item("UK-L2:triglycerides").explanation
    assert list(evaluation.items)[:2] == ["UK-L2:alt", "UK-L2:triglycerides"]
    assert dict(evaluation.items) == dict(evaluate(course, rules, d("2026-04-01")).items)


def test_three_monthly_labs_run_from_the_latest_result_on_or_after_day_21():
    evaluation = uk(
        "2026-06-01", lab("2026-03-25", "alt", 20, "U/L"), lab("2026-05-20", "alt", 22, "U/L")
    )
    assert evaluation.item("UK-L2:alt").due_on == d("2026-08-18")


def test_eu_has_no_mhra_only_items():
    evaluation = run("2026-03-05", UK_CGP_BASELINE, profile="EU")
    for code in ("UK-B1", "UK-B2", "UK-B8", "UK-R3"):
        assert code not in evaluation.items
        assert evaluation.item(code).status == Status.NOT_APPLICABLE
    assert evaluation.item("UK-B3").status == Status.SATISFIED


# --- repeat after an abnormal result ---------------------------------------------------------


def test_repeat_is_due_14_days_after_a_high_result_and_due_soon_7_days_before():
    events = [lab("2026-04-01", "triglycerides", 500)]
    assert run("2026-04-07", events).item("X-L2:triglycerides").status == Status.UPCOMING
    assert run("2026-04-08", events).item("X-L2:triglycerides").status == Status.DUE_SOON
    assert run("2026-04-15", events).item("X-L2:triglycerides").status == Status.DUE_SOON
    assert run("2026-04-16", events).item("X-L2:triglycerides").status == Status.OVERDUE


def test_repeat_is_satisfied_by_any_later_result_of_the_analyte():
    events = [lab("2026-04-01", "triglycerides", 520), lab("2026-04-10", "triglycerides", 200)]
    item = run("2026-04-20", events).item("X-L2:triglycerides")
    assert item.status == Status.SATISFIED
    assert item.satisfied_by is not None
    assert item.satisfied_by.date == d("2026-04-10")


def test_a_same_day_result_does_not_satisfy_the_repeat():
    events = [lab("2026-04-01", "triglycerides", 520), lab("2026-04-01", "triglycerides", 510)]
    assert run("2026-04-20", events).item("X-L2:triglycerides").status == Status.OVERDUE


def test_repeat_applies_before_the_course_starts():
    events = [lab("2026-02-01", "alt", 130, "U/L", uln=40)]
    assert run("2026-02-10", events, planned=True).item("X-L2:alt").status == Status.DUE_SOON


def test_repeat_is_not_applicable_for_an_info_result_or_no_result():
    evaluation = run("2026-04-10", [lab("2026-04-01", "alt", 41, "U/L", uln=40)])
    assert evaluation.item("X-L2:alt").status == Status.NOT_APPLICABLE
    assert evaluation.item("X-L2:ck").status == Status.NOT_APPLICABLE


# --- the items mapping -----------------------------------------------------------------------


def test_every_rule_of_the_profile_is_reported():
    evaluation = us("2026-04-05")
    codes = set(evaluation.items)
    assert {"US-B1", "US-B5:triglycerides", "US-B5:total_cholesterol", "US-L1:alt"} <= codes
    assert "US-B5" not in codes
    assert all(code.startswith(("US-", "X-L2:")) for code in codes)


def test_a_bare_lab_code_is_not_an_item():
    with pytest.raises(KeyError):
        us("2026-04-05").item("US-B5")


def test_an_unknown_code_is_not_an_item():
    with pytest.raises(KeyError):
        us("2026-04-05").item("US-Z1")


def test_a_missing_start_leaves_baseline_items_due_with_no_date():
    evaluation = run("2026-02-01", [], start=None)
    assert evaluation.item("US-B1").status == Status.DUE_SOON
    assert evaluation.item("US-B1").due_on is None
    assert evaluation.item("US-R1").status == Status.NOT_APPLICABLE
    assert "start_missing" in evaluation.flags


def test_only_events_on_or_before_today_count():
    later = date(2026, 3, 1) + timedelta(days=1)
    evaluation = run("2026-03-01", [ev(later.isoformat(), "consent")], planned=True)
    assert evaluation.item("US-B1").status == Status.DUE_SOON
