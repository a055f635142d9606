"""The scenario loader fails loudly on what it does not know, and stores what it loads."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from patients.models import LabResult, PregnancyTest
from tracker.monitoring.scenarios import ScenarioError, load_scenario, read_scenario

S01 = Path(__file__).resolve().parents[2].parent / "shared" / "scenarios"


@pytest.fixture
def s01():
    return json.loads((S01 / "S01-us-cgp-baseline-readiness.json").read_text())


@pytest.mark.django_db
def test_an_unknown_event_type_fails_loudly(s01, alice):
    data = copy.deepcopy(s01)
    data["events"].append({"date": "2026-08-11", "type": "vaccination"})
    with pytest.raises(ScenarioError, match="vaccination"):
        load_scenario(data, by=alice)


@pytest.mark.django_db
def test_an_unknown_event_field_fails_loudly(s01, alice):
    data = copy.deepcopy(s01)
    data["events"][2]["specimen"] = "urine"
    with pytest.raises(ScenarioError, match="specimen"):
        load_scenario(data, by=alice)


def test_a_bare_lab_code_in_a_check_is_an_error(tmp_path, s01):
    data = copy.deepcopy(s01)
    data["checks"][0]["items"]["US-B5"] = "satisfied"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    from tracker.engine.scenario import (
        compare_checks,
        evaluate_scenario,  # noqa: F401
    )

    with pytest.raises((ScenarioError, KeyError)):
        compare_checks(_evaluation_of(read_scenario(path)), data["checks"][0])


def _evaluation_of(data):
    from datetime import date

    from tracker.engine import load_default_ruleset
    from tracker.engine.evaluation import evaluate
    from tracker.engine.scenario import course_facts

    return evaluate(course_facts(data), load_default_ruleset(), date(2026, 9, 13))


@pytest.mark.django_db
def test_loading_goes_through_the_services_and_stores_every_record(s01, alice):
    course = load_scenario(s01, by=alice)
    assert PregnancyTest.objects.filter(course=course).count() == 2
    assert LabResult.objects.get(course=course, analyte="alt").created_by == alice
    assert course.monitoring.evaluated_on.isoformat() == "2026-09-15"
