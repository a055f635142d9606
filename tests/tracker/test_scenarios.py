"""Every clinical scenario file, loaded through the services the web forms use.

Runs every ``*.json`` in ``../shared/scenarios/`` and in ``$SCENARIO_DIR`` when set. A scenario
that uses an event type or field the loader does not know fails; none is ever skipped.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from tracker.engine.scenario import compare_checks
from tracker.models import CourseMonitoring, MonitoringItem
from tracker.monitoring.scenarios import load_scenario, read_scenario
from tracker.monitoring.store import course_refresh

SHARED_SCENARIOS = Path(__file__).resolve().parents[2].parent / "shared" / "scenarios"


def scenario_files() -> list[Path]:
    files = sorted(SHARED_SCENARIOS.glob("*.json"))
    extra = os.environ.get("SCENARIO_DIR")
    if extra:
        files += sorted(Path(extra).glob("*.json"))
    return files


def test_the_shared_scenarios_are_found():
    # Without this, a moved folder would silently run no scenario at all.
    assert SHARED_SCENARIOS.is_dir(), f"scenario folder missing: {SHARED_SCENARIOS}"
    assert list(SHARED_SCENARIOS.glob("*.json"))


def test_every_file_in_scenario_dir_is_collected():
    extra = os.environ.get("SCENARIO_DIR")
    if extra:
        assert Path(extra).is_dir(), f"SCENARIO_DIR is not a folder: {extra}"
        names = {p.name for p in scenario_files()}
        assert {p.name for p in Path(extra).glob("*.json")} <= names


@pytest.mark.django_db
@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.name)
def test_scenario(path: Path, alice):
    data = read_scenario(path)
    course = load_scenario(data, by=alice)
    failures: list[str] = []
    for check in data["checks"]:
        as_of = date.fromisoformat(check["as_of"])
        evaluation = course_refresh(course, today=as_of)
        failures += compare_checks(evaluation, check, scenario_id=data["id"])
        # The stored state the worklist reads agrees with the evaluation.
        stored = dict(MonitoringItem.objects.filter(course=course).values_list("code", "status"))
        for code, item in evaluation.items.items():
            if stored.get(code) != str(item.status):
                failures.append(
                    f"{data['id']} {as_of} {code}: stored {stored.get(code)}, "
                    f"evaluated {item.status}"
                )
        failures += stored_summary_mismatches(course, check, scenario_id=data["id"])
    assert not failures, "\n".join(failures)


def stored_summary_mismatches(course, check: dict, *, scenario_id: str) -> list[str]:
    """The stored course summary (what the patient page and worklist read) against the
    scenario's expectations: readiness, hold and dated derived values."""
    summary = CourseMonitoring.objects.get(course=course)
    when = f"{scenario_id} on {check['as_of']} (stored)"
    out = []
    if "ready_to_prescribe" in check and summary.ready_to_prescribe != check["ready_to_prescribe"]:
        out.append(
            f"{when} ready_to_prescribe: expected {check['ready_to_prescribe']}, stored "
            f"{summary.ready_to_prescribe} (unmet: {'; '.join(summary.unmet) or 'none'})"
        )
    for key, expected in check.get("derived", {}).items():
        stored = summary.derived.get(key)
        if key == "course_on_hold":
            stored = summary.on_hold
        elif isinstance(expected, int | float) and not isinstance(expected, bool):
            same = stored is not None and round(stored, 1) == round(float(expected), 1)
            if not same:
                out.append(f"{when} derived {key}: expected {expected}, stored {stored}")
            continue
        if stored != expected:
            out.append(f"{when} derived {key}: expected {expected}, stored {stored}")
    return out
