"""The patient page reads a course's records once and derives the engine's facts from them:
those facts are the facts the engine gets everywhere else."""

from __future__ import annotations

from pathlib import Path

import pytest

from patients import services
from patients.models import CLINICAL_RECORD_MODELS, LabResult
from tests.tracker.test_scenarios import scenario_files
from tracker.monitoring.facts import course_facts, course_facts_from_records
from tracker.monitoring.scenarios import load_scenario, read_scenario

pytestmark = pytest.mark.django_db


def every_record(course) -> list:
    records = list(course.visits.all())
    for model in CLINICAL_RECORD_MODELS:
        records += model.objects.filter(course=course)
    return records


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.name)
def test_facts_from_the_records_read_are_the_courses_facts(path: Path, alice):
    course = load_scenario(read_scenario(path), by=alice)
    records = every_record(course)
    assert course_facts_from_records(course, records[::-1]) == course_facts(course)


def test_records_entered_in_error_stay_out_of_the_facts(alice):
    course = load_scenario(read_scenario(scenario_files()[0]), by=alice)
    lab = LabResult.objects.filter(course=course).first() or services.lab_result_record(
        course=course, date=course.start, analyte="alt", value=30, unit="U/L", by=alice
    )
    services.record_mark_entered_in_error(record=lab, reason="Wrong patient", by=alice)
    facts = course_facts_from_records(course, every_record(course))
    assert lab.pk not in {r.id for r in facts.lab_results}
    assert facts == course_facts(course)
