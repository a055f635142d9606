"""What the monitoring panel of a course shows, and the review page of one item or alert."""

from __future__ import annotations

from datetime import date

from django.http import Http404

from patients.models import Course
from tracker.engine.facts import CourseFacts
from tracker.engine.vocabulary import RULE_GROUP_LABELS, flag_label
from tracker.models import WorklistEntry
from tracker.monitoring.rulesets import CurrentRules, current_rules
from tracker.monitoring.selectors import course_review_history, course_state, key_history


def course_monitoring_context(
    course: Course,
    *,
    today: date,
    rules: CurrentRules | None = None,
    facts: CourseFacts | None = None,
) -> dict:
    """Everything the monitoring panel of a patient page shows for one course."""
    rules = rules or current_rules()
    state = course_state(course, today=today, rules=rules, facts=facts)
    summary = state.summary
    profile = course.patient.profile
    groups = [
        {
            "key": str(group),
            "label": label,
            "items": [
                i for i in state.items if rules.ruleset.display_group(profile, i.rule_code) == group
            ],
        }
        for group, label in RULE_GROUP_LABELS.items()
    ]
    derived = summary.derived
    last_day = derived.get("last_dispense_day")
    return {
        "course": course,
        "today": today,
        "summary": summary,
        "state": state,
        "groups": [g for g in groups if g["items"]],
        "items": state.items,
        "alerts": state.alerts,
        "open_alerts": state.open_alerts,
        "derived": derived,
        "target": float(course.target_mg_per_kg),
        "cumulative": derived.get("cumulative_mg_per_kg"),
        "last_dispense_passed": bool(last_day) and date.fromisoformat(last_day) < today,
        "history": course_review_history(course),
        "flags": [(code, flag_label(code, rules.ruleset.settings)) for code in summary.flags],
    }


def review_context(course: Course, key: str, *, today: date) -> dict:
    """One item or alert of a course with its history of status changes and actions."""
    state = course_state(course, today=today)
    item = next((i for i in state.items if i.code == key), None)
    alert = None if item else next((a for a in state.alerts if a.key == key), None)
    if item is None and alert is None:
        raise Http404("Nothing with that code is monitored on this course.")
    return {
        "course": course,
        "patient": course.patient,
        "key": key,
        "item": item,
        "alert": alert,
        "entry": WorklistEntry.objects.filter(course=course, key=key).first(),
        "history": key_history(course, key),
    }
