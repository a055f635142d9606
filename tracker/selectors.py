"""Reads for monitoring pages: the stored state of courses and the rule set in plain words."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from patients.models import Course
from tracker.models import CourseMonitoring, MonitoringAlert, MonitoringItem

# Display order of item groups on the patient page.
ITEM_GROUPS = (
    ("baseline", "Before the first dispense"),
    ("recurring", "Every month during treatment"),
    ("labs", "Laboratory monitoring"),
    ("post", "After the course"),
)
STATUS_ORDER = {
    "overdue": 0,
    "due_soon": 1,
    "upcoming": 2,
    "satisfied": 3,
    "closed": 4,
    "not_applicable": 5,
}


def _group(item: MonitoringItem) -> str:
    code = item.rule_code
    if "-P" in code:
        return "post"
    if "-L" in code:
        return "labs"
    if "-B" in code:
        return "baseline"
    return "recurring"


def course_summary(course: Course, *, today: date | None = None) -> CourseMonitoring | None:
    """The course's stored monitoring summary, re-evaluated first when it is not for today."""
    from tracker.services import course_refresh

    today = today or timezone.localdate()
    summary = CourseMonitoring.objects.filter(course=course).first()
    if summary is None or summary.evaluated_on != today:
        course_refresh(course, today=today)
        summary = CourseMonitoring.objects.filter(course=course).first()
    return summary


def course_monitoring_context(course: Course, *, today: date | None = None) -> dict:
    """Everything the monitoring panel of a patient page shows for one course."""
    today = today or timezone.localdate()
    summary = course_summary(course, today=today)
    items = sorted(
        MonitoringItem.objects.filter(course=course),
        key=lambda i: (STATUS_ORDER.get(i.status, 9), i.due_on or date.max, i.code),
    )
    groups = [
        {"key": key, "label": label, "items": [i for i in items if _group(i) == key]}
        for key, label in ITEM_GROUPS
    ]
    alerts = list(MonitoringAlert.objects.filter(course=course).order_by("-event_date", "-pk"))
    derived = summary.derived if summary else {}
    return {
        "course": course,
        "today": today,
        "summary": summary,
        "groups": [g for g in groups if g["items"]],
        "items": items,
        "alerts": alerts,
        "open_alerts": [a for a in alerts if a.is_open],
        "derived": derived,
        "target": float(course.target_mg_per_kg),
        "cumulative": derived.get("cumulative_mg_per_kg"),
    }


def schedule_rows(profile: str) -> dict:
    """The rules, dispensing checks and alert thresholds of a profile, stated in plain words."""
    from tracker.engine.rules import describe_rule
    from tracker.rulesets import current_ruleset

    ruleset = current_ruleset()
    rules = sorted(
        ruleset.rules_for(profile), key=lambda r: (r.code, r.effective_from or date.min)
    )
    return {
        "rules": [
            {"rule": r, "text": describe_rule(r), "active": r.active}
            for r in rules
        ],
        "checks": ruleset.checks_for(profile),
        "thresholds": [t for t in ruleset.thresholds if t.active],
        "ruleset_settings": ruleset.settings,
    }
