"""``evaluate``: the whole monitoring picture of one course on one date."""

from __future__ import annotations

from datetime import date
from types import MappingProxyType

from tracker.engine.alerts import evaluate_alerts, lab_levels
from tracker.engine.context import build_context
from tracker.engine.dispensing import (
    earliest_compliant_start,
    evaluate_violations,
    first_dispense_deadline,
    last_dispense_day,
    readiness,
)
from tracker.engine.dose import dose_summary
from tracker.engine.facts import CourseFacts, CumulativeMethod
from tracker.engine.items import evaluate_items
from tracker.engine.results import Derived, Evaluation, Flag
from tracker.engine.rules import RuleSet


def evaluate(course: CourseFacts, ruleset: RuleSet, today: date) -> Evaluation:
    """Evaluate ``course`` under ``ruleset`` on ``today``; only facts dated on or before
    ``today`` count."""
    ctx = build_context(course, ruleset, today)
    alerts = evaluate_alerts(ctx)
    items = evaluate_items(ctx, lab_levels(alerts))
    dose = dose_summary(ctx)

    flags = set(dose.flags)
    missing: list[str] = []
    if ctx.settings is None or not ruleset.rules_for(str(course.profile)):
        flags.add(Flag.RULES_MISSING)
        missing.append(f"The rule set has no rules for the {course.profile} profile.")
    if course.patient.category is None:
        flags.add(Flag.CATEGORY_MISSING)
        missing.append("The pregnancy-potential category is not assigned.")
    if course.start is None:
        flags.add(Flag.START_MISSING)
        missing.append("The course start date is not set.")
    if Flag.WEIGHT_MISSING in flags:
        missing.append("The patient's weight is not recorded.")
    if Flag.DOSE_MISSING in flags:
        missing.append("A treatment day has no recorded dose.")

    method = course.cumulative_method
    other = (
        CumulativeMethod.START_WEIGHT
        if method == CumulativeMethod.DAILY_WEIGHT
        else CumulativeMethod.DAILY_WEIGHT
    )
    derived = Derived(
        course_started=ctx.started,
        course_ended=ctx.ended,
        course_on_hold=ctx.on_hold,
        hold_since=ctx.hold_test.date if ctx.hold_test else None,
        cumulative_method=str(method),
        cumulative_mg_per_kg=dose.by_method(method),
        cumulative_mg_per_kg_alternative=dose.by_method(other),
        cumulative_mg_per_kg_daily_weight=dose.daily_weight,
        cumulative_mg_per_kg_start_weight=dose.start_weight,
        total_mg=dose.total_mg,
        daily_mg_per_kg=dose.daily_mg_per_kg,
        target_reached_on=dose.target_reached_on,
        first_dispense_deadline=first_dispense_deadline(ctx),
        earliest_compliant_start=earliest_compliant_start(ctx),
        last_dispense_day=last_dispense_day(ctx),
    )
    return Evaluation(
        today=today,
        profile=str(course.profile),
        items=MappingProxyType(items),
        alerts=alerts,
        violations=evaluate_violations(ctx),
        on_hold=ctx.on_hold,
        ready=readiness(ctx, items, alerts, missing),
        flags=frozenset(str(f) for f in flags),
        derived=derived,
        known_item_codes=ruleset.known_item_codes(),
    )
