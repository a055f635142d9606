"""The rule set as data: the shipped JSON, loading, dumping, validation and plain words."""

from __future__ import annotations

import copy
from dataclasses import fields, replace

import pytest

from tests.tracker.engine_helpers import CNGP, d, default_rules, ev, facts
from tracker.engine import (
    DispensingCheckSpec,
    RuleSpec,
    Status,
    ThresholdSpec,
    describe_rule,
    evaluate,
    load_ruleset,
    ruleset_to_dict,
)
from tracker.engine.rules import RuleSetError, default_ruleset_data


def test_the_shipped_json_round_trips():
    data = default_ruleset_data()
    assert ruleset_to_dict(load_ruleset(data)) == data


@pytest.mark.parametrize(
    ("key", "spec"),
    [("rules", RuleSpec), ("checks", DispensingCheckSpec), ("thresholds", ThresholdSpec)],
)
def test_every_shipped_row_spells_out_every_field(key: str, spec: type):
    names = {f.name for f in fields(spec)}
    for row in default_ruleset_data()[key]:
        assert set(row) == names


def test_every_rule_and_check_cites_a_source():
    data = default_ruleset_data()
    assert all(r["source"] for r in data["rules"] + data["checks"])


def test_every_rule_code_of_the_specification_is_shipped():
    codes = {(r.profile, r.code) for r in default_rules().rules}
    us = {
        f"US-{c}"
        for c in (["B1", "B2", "B3", "B4", "B5", "B6", "B7", "R1", "R2", "R3", "R4", "L1", "P1"])
    }
    uk = {
        f"UK-{c}"
        for c in (
            ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "R1", "R2", "R3", "L1", "L2", "P1"]
        )
    }
    assert {c for p, c in codes if p == "US"} == us | {"X-L2"}
    assert {c for p, c in codes if p == "UK"} == uk | {"X-L2"}
    assert {c for p, c in codes if p == "EU"} == uk - {"UK-B1", "UK-B2", "UK-B8", "UK-R3"} | {
        "X-L2"
    }


def test_eu_rows_are_copies_of_the_uk_rows():
    rules = default_rules().rules
    uk = {r.code: r for r in rules if r.profile == "UK"}
    for r in rules:
        if r.profile == "EU":
            assert replace(r, profile="UK") == uk[r.code]


def test_us_counselling_is_two_rows_one_ending_for_cngp():
    rows = [r for r in default_rules().rules if r.code == "US-R2"]
    assert [(str(r.category), r.effective_to) for r in rows] == [
        ("can_get_pregnant", None),
        ("cannot_get_pregnant", d("2026-08-07")),
    ]


def test_an_unknown_field_is_refused():
    data = default_ruleset_data()
    data["rules"][0]["colour"] = "red"
    with pytest.raises(RuleSetError, match="colour"):
        load_ruleset(data)


def test_a_dangling_prerequisite_is_refused():
    data = default_ruleset_data()
    us_b4 = next(r for r in data["rules"] if r["code"] == "US-B4")
    us_b4["prerequisites"][0]["rule"] = "US-B99"
    with pytest.raises(RuleSetError, match="US-B99"):
        load_ruleset(data)


def test_an_unknown_analyte_is_refused():
    data = default_ruleset_data()
    next(r for r in data["rules"] if r["code"] == "US-B6")["analytes"] = ["glucose"]
    with pytest.raises(RuleSetError, match="glucose"):
        load_ruleset(data)


def test_an_unknown_dispensing_check_is_refused():
    data = default_ruleset_data()
    data["checks"][0]["code"] = "US-RX-MAGIC"
    with pytest.raises(RuleSetError, match="US-RX-MAGIC"):
        load_ruleset(data)


def test_a_clinic_can_change_a_number_without_code():
    data = copy.deepcopy(default_ruleset_data())
    for r in data["rules"]:
        if r["code"] == "US-R4":
            r["interval"] = 28
    events = [
        ev("2026-03-02", "dose", mg_per_day=40),
        ev("2026-03-10", "mood_screen", instrument="PHQ-9", total=1, item9=0),
    ]
    evaluation = evaluate(facts(events, category=CNGP), load_ruleset(data), d("2026-03-20"))
    assert evaluation.item("US-R4").due_on == d("2026-04-07")


def test_a_switched_off_rule_is_reported_not_applicable():
    data = copy.deepcopy(default_ruleset_data())
    for r in data["rules"]:
        if r["code"] == "US-R4":
            r["active"] = False
    events = [ev("2026-03-02", "dose", mg_per_day=40)]
    evaluation = evaluate(facts(events, category=CNGP), load_ruleset(data), d("2026-05-20"))
    assert evaluation.item("US-R4").status == Status.NOT_APPLICABLE


def test_describe_a_monthly_pregnancy_test():
    rule = next(r for r in default_rules().rules if r.code == "US-R1")
    text = describe_rule(rule)
    assert text.startswith(
        "Monthly pregnancy test every 30 days after the last negative pregnancy test"
    )
    assert "due soon 7 days before; overdue 7 days after (grace)." in text
    assert "Gates dispensing." in text


@pytest.mark.parametrize("rule", default_rules().rules, ids=lambda r: f"{r.profile}-{r.code}")
def test_every_rule_can_be_described(rule: RuleSpec):
    assert describe_rule(rule).endswith(".")


def test_known_item_codes_cover_sub_items_and_repeats_but_not_bare_lab_codes():
    codes = default_rules().known_item_codes()
    assert {"US-B5:triglycerides", "UK-L2:alt", "X-L2:ck", "US-B1"} <= codes
    assert "US-B5" not in codes


def test_every_known_check_code_has_its_check():
    from tracker.engine.dispensing import CHECKS
    from tracker.engine.rules import CHECK_CODES

    assert set(CHECKS) == CHECK_CODES
