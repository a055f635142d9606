"""Load a clinical scenario file (``../shared/scenarios/FORMAT.md``) into the database.

Every event goes through the same services as the web forms. An unknown event type or field
fails loudly (``ScenarioError``); nothing is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from patients import services
from patients.models import Course
from patients.reevaluation import batch
from tracker.engine import scenario as engine_scenario

ScenarioError = engine_scenario.ScenarioError


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _confirmation(kind: str):
    def record(common: dict, event: dict) -> None:
        services.confirmation_record(**common, kind=kind)

    return record


def _contraception(kind: str):
    def record(common: dict, event: dict) -> None:
        services.contraception_record(**common, kind=kind, methods=list(event["methods"]))

    return record


# Event type -> loader through the services.
EVENT_LOADERS: dict[str, Callable[[dict, dict], Any]] = {
    "consent": _confirmation("consent"),
    "risk_acknowledgement": _confirmation("risk_acknowledgement"),
    "second_prescriber": _confirmation("second_prescriber"),
    "rems_confirmation": _confirmation("rems_confirmation"),
    "contraception_start": _contraception("start"),
    "contraception_attestation": _contraception("attestation"),
    "pregnancy_test": lambda c, e: services.pregnancy_test_record(
        **c, result=e["result"], setting=e["setting"]
    ),
    "mood_screen": lambda c, e: services.mood_screen_record(
        **c, instrument=e["instrument"], total=e["total"], item9=e.get("item9")
    ),
    "sexual_function": lambda c, e: services.sexual_function_record(**c, concern=e["concern"]),
    "lab": lambda c, e: services.lab_result_record(
        **c, analyte=e["analyte"], value=e["value"], unit=e["unit"], uln=e.get("uln")
    ),
    "dose": lambda c, e: services.dose_record(**c, mg_per_day=e["mg_per_day"]),
    "weight": lambda c, e: services.weight_record(**c, kg=e["kg"]),
    "prescription": lambda c, e: services.prescription_record(**c, supply_days=e["supply_days"]),
    "dispense": lambda c, e: services.dispense_record(**c, supply_days=e["supply_days"]),
    "hold_resolved": lambda c, e: services.hold_resolve(**c, reason=e["reason"]),
    "alert_review": lambda c, e: services.alert_review_record(
        **c,
        source=e["source"],
        analyte=e.get("analyte") or "",
        instrument=e.get("instrument") or "",
        note=e.get("note") or "Reviewed.",
    ),
}


def read_scenario(path: Path) -> dict[str, Any]:
    """Read and validate a scenario file: an unknown key, event type or field is an error."""
    data = json.loads(path.read_text("utf-8"))
    engine_scenario.course_facts(data)  # validates the whole file, raising ScenarioError
    return data


def latest_date(data: dict[str, Any]) -> date:
    """The latest date the scenario mentions: used as "today" while loading it."""
    dates = [_d(e["date"]) for e in data.get("events", [])]
    dates += [_d(c["as_of"]) for c in data.get("checks", [])]
    dates += [_d(data["course"].get("start")), _d(data["course"].get("end"))]
    return max(d for d in dates if d is not None)


@transaction.atomic
@batch()  # the course is evaluated once, when every event is in
def load_scenario(data: dict[str, Any], *, by: AbstractBaseUser | None) -> Course:
    sid = data.get("id", "?")
    engine_scenario.course_facts(data)  # validates the whole file, raising ScenarioError
    patient_data, course_data = data["patient"], data["course"]
    today = latest_date(data)
    exempt = bool(patient_data.get("contraception_exempt", False))
    patient = services.patient_create(
        mrn=f"SCN-{sid}",
        given_name="Scenario",
        family_name=str(sid),
        date_of_birth=_d(patient_data["date_of_birth"]),
        profile=data["profile"],
        category=patient_data["category"],
        category_reason="As in the scenario file.",
        home_testing_permitted=bool(patient_data.get("home_testing_permitted", False)),
        contraception_exempt=exempt,
        contraception_exempt_reason="Documented no-risk agreement." if exempt else "",
        previous_course_end=_d(patient_data.get("previous_course_end")),
        by=by,
        today=today,
    )
    course = services.course_create(
        patient=patient,
        start=_d(course_data["start"]),
        start_is_planned=bool(course_data.get("start_is_planned", False)),
        end=_d(course_data.get("end")),
        weight_kg=course_data["weight_kg"],
        target_mg_per_kg=course_data.get("target_mg_per_kg", 150),
        cumulative_method=course_data.get("cumulative_method", "daily_weight"),
        by=by,
        today=today,
    )
    events = sorted(enumerate(data.get("events", [])), key=lambda p: (p[1]["date"], p[0]))
    for index, event in events:
        kind = event.get("type")
        if kind not in EVENT_LOADERS:
            raise ScenarioError(f"{sid}: event {index} has an unknown type {kind!r}")
        loader = EVENT_LOADERS[kind]
        common = {"course": course, "date": _d(event["date"]), "by": by, "today": today}
        loader(common, event)
    course.refresh_from_db()
    return course
