"""Recurring items name the qualifying event their schedule runs from."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tracker.engine import evaluate, load_default_ruleset
from tracker.engine.scenario import course_facts

SCENARIOS = Path(__file__).resolve().parents[2].parent / "shared" / "scenarios"


def evaluation_of(name: str, on: date):
    data = json.loads((SCENARIOS / name).read_text())
    return evaluate(course_facts(data), load_default_ruleset(), on)


def test_monthly_test_names_the_latest_negative_test_it_runs_from():
    item = evaluation_of("S03-us-cgp-missed-mood-peak-labs.json", date(2026, 5, 20)).items["US-R1"]
    assert item.satisfied_by is None
    assert (item.latest_event.kind, item.latest_event.date) == ("pregnancy_test", date(2026, 4, 28))


def test_a_recurring_item_with_no_event_yet_runs_from_the_start():
    item = evaluation_of("S03-us-cgp-missed-mood-peak-labs.json", date(2026, 3, 10)).items["US-R3"]
    assert item.latest_event is None
    assert item.due_on == date(2026, 4, 1)
