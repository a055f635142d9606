"""Small builders for engine tests: a course written like a scenario file, evaluated on a date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any

from tracker.engine import Evaluation, RuleSet, evaluate, load_default_ruleset
from tracker.engine.facts import CourseFacts
from tracker.engine.scenario import course_facts

CGP = "can_get_pregnant"
CNGP = "cannot_get_pregnant"


@cache
def default_rules() -> RuleSet:
    return load_default_ruleset()


def d(iso: str) -> date:
    return date.fromisoformat(iso)


def ev(on: str, kind: str, **fields: Any) -> dict[str, Any]:
    """One scenario event, e.g. ``ev("2026-03-01", "pregnancy_test", result="negative", ...)``."""
    return {"date": on, "type": kind, **fields}


def neg(on: str, setting: str = "clinic") -> dict[str, Any]:
    return ev(on, "pregnancy_test", result="negative", setting=setting)


def pos(on: str, setting: str = "clinic") -> dict[str, Any]:
    return ev(on, "pregnancy_test", result="positive", setting=setting)


def lab(on: str, analyte: str, value: float, unit: str = "mg/dL", **extra: Any) -> dict[str, Any]:
    return ev(on, "lab", analyte=analyte, value=value, unit=unit, **extra)


def mood(on: str, total: int = 2, instrument: str = "PHQ-9", item9: int | None = 0) -> dict:
    fields: dict[str, Any] = {"instrument": instrument, "total": total}
    if item9 is not None and instrument in ("PHQ-9", "PHQ-A"):
        fields["item9"] = item9
    return ev(on, "mood_screen", **fields)


def scenario(
    events: Iterable[dict[str, Any]] = (),
    *,
    profile: str = "US",
    category: str | None = CGP,
    dob: str = "1995-06-15",
    start: str | None = "2026-03-02",
    planned: bool = False,
    end: str | None = None,
    weight: float | None = 60,
    home: bool = False,
    exempt: bool = False,
    previous_end: str | None = None,
    target: float = 150,
    method: str = "daily_weight",
    checks: Iterable[dict[str, Any]] = (),
    sid: str = "T",
) -> dict[str, Any]:
    patient: dict[str, Any] = {
        "category": category,
        "date_of_birth": dob,
        "home_testing_permitted": home,
        "contraception_exempt": exempt,
    }
    if previous_end:
        patient["previous_course_end"] = previous_end
    return {
        "id": sid,
        "title": sid,
        "profile": profile,
        "patient": patient,
        "course": {
            "start": start,
            "start_is_planned": planned,
            "end": end,
            "weight_kg": weight,
            "target_mg_per_kg": target,
            "cumulative_method": method,
        },
        "events": list(events),
        "checks": list(checks),
    }


def facts(events: Iterable[dict[str, Any]] = (), **kw: Any) -> CourseFacts:
    return course_facts(scenario(events, **kw))


def run(on: str, events: Iterable[dict[str, Any]] = (), **kw: Any) -> Evaluation:
    return evaluate(facts(events, **kw), default_rules(), d(on))


# A US patient who can get pregnant, with every baseline item met for a start on 2026-03-02.
US_CGP_BASELINE = [
    ev("2026-01-26", "consent"),
    ev("2026-01-26", "contraception_start", methods=["combined_pill", "male_condom"]),
    neg("2026-01-26"),
    lab("2026-02-20", "triglycerides", 98),
    lab("2026-02-20", "total_cholesterol", 170),
    lab("2026-02-20", "alt", 18, "U/L", uln=40),
    mood("2026-02-20"),
    neg("2026-03-01"),
]

# A UK patient who can get pregnant, with every baseline item met for a start on 2026-03-02.
UK_CGP_BASELINE = [
    ev("2026-01-15", "contraception_start", methods=["implant"]),
    ev("2026-02-20", "risk_acknowledgement"),
    lab("2026-02-20", "alt", 17, "U/L", uln=40),
    lab("2026-02-20", "triglycerides", 85),
    lab("2026-02-20", "total_cholesterol", 155),
    mood("2026-02-20"),
    ev("2026-02-20", "sexual_function", concern=False),
    neg("2026-02-27"),
    ev("2026-02-27", "prescription", supply_days=30),
]
