"""Reads of monitoring: a course's state as pages show it, its review history, the worklist and
the rule set in plain words.

Pages only read. A course whose stored state is from an earlier day, or from an older revision
of the rule set, is evaluated in memory for the page, with the same value builders the store
uses (``tracker.monitoring.values``), so a row shows the same either way; the stored state is
brought up to date by the next write of the course or the nightly refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from patients.models import Course
from tracker.engine import evaluate
from tracker.engine.facts import CourseFacts
from tracker.engine.rules import describe_rule
from tracker.engine.vocabulary import event_label
from tracker.models import (
    AccessLog,
    CourseMonitoring,
    MonitoringAlert,
    MonitoringItem,
    ReviewAction,
    StatusChange,
    WorklistEntry,
)
from tracker.monitoring.facts import course_facts
from tracker.monitoring.rulesets import CurrentRules, current_rules, current_ruleset
from tracker.monitoring.values import alert_values, item_values, rule_names, summary_values

# The order items are listed in: what needs doing first.
STATUS_ORDER = {
    "overdue": 0,
    "due_soon": 1,
    "upcoming": 2,
    "satisfied": 3,
    "closed": 4,
    "not_applicable": 5,
}


@dataclass
class CourseState:
    """A course's summary, items and alerts as of a day: the stored rows, or rows evaluated in
    memory (not saved) when the stored ones are older (``stored`` is then the stored summary,
    or None)."""

    summary: CourseMonitoring
    items: list[MonitoringItem]
    alerts: list[MonitoringAlert]
    evaluated_now: bool
    stored: CourseMonitoring | None

    @property
    def open_alerts(self) -> list[MonitoringAlert]:
        return [a for a in self.alerts if a.is_open]


def course_state(
    course: Course,
    *,
    today: date,
    rules: CurrentRules | None = None,
    facts: CourseFacts | None = None,
) -> CourseState:
    """The course's monitoring as of ``today``, with the rule set's current revision. Reads
    only: nothing is written, whatever the age of the stored state."""
    rules = rules or current_rules()
    stored = CourseMonitoring.objects.filter(course=course).first()
    current = (
        stored is not None
        and stored.evaluated_on == today
        and stored.ruleset_revision == rules.revision
    )
    if current:
        return CourseState(
            summary=stored,
            items=_by_status(MonitoringItem.objects.filter(course=course)),
            alerts=list(
                MonitoringAlert.objects.filter(course=course).order_by("-event_date", "-pk")
            ),
            evaluated_now=False,
            stored=stored,
        )
    evaluation = evaluate(facts or course_facts(course), rules.ruleset, today)
    fixed = {"course": course, "evaluated_on": today}
    summary = CourseMonitoring(**fixed, **summary_values(evaluation, course, rules.revision))
    items = [
        MonitoringItem(**fixed, code=code, **values)
        for code, values in item_values(evaluation, rule_names(rules.ruleset)).items()
    ]
    alerts = [
        MonitoringAlert(**fixed, key=key, **values)
        for key, values in alert_values(evaluation).items()
    ]
    alerts.sort(key=lambda a: (a.event_date, a.event_id), reverse=True)
    return CourseState(summary, _by_status(items), alerts, evaluated_now=True, stored=stored)


def _by_status(items) -> list[MonitoringItem]:
    return sorted(
        items, key=lambda i: (STATUS_ORDER.get(i.status, 9), i.due_on or date.max, i.code)
    )


def _action_row(action: ReviewAction) -> dict:
    until = f" until {action.snoozed_until}" if action.snoozed_until else ""
    return {
        "when": action.created_at,
        "key": action.key,
        "who": action.created_by,
        "what": action.get_action_display() + until,
        "note": action.note,
        "action": action,
    }


def _change_row(change: StatusChange) -> dict:
    return {
        "when": change.created_at,
        "key": change.key,
        "who": None,
        "what": f"Status {change.old_status or 'new'} → {change.new_status} (as of {change.on})",
        "note": "",
        "action": None,
    }


def _history(actions, changes, limit: int | None = None) -> list[dict]:
    """Review actions and status changes together, newest first."""
    rows = [*map(_action_row, actions), *map(_change_row, changes)]
    return sorted(rows, key=lambda row: row["when"], reverse=True)[:limit]


def course_review_history(course: Course, limit: int = 50) -> list[dict]:
    """Recent status changes and review actions of every item and alert of a course."""
    actions = ReviewAction.objects.filter(course=course).select_related("created_by")
    changes = StatusChange.objects.filter(course=course)
    return _history(actions.order_by("-created_at")[:limit], changes[:limit], limit)


def key_history(course: Course, key: str) -> list[dict]:
    """The review actions and status changes of one item or alert, newest first."""
    actions = ReviewAction.objects.filter(course=course, key=key).select_related("created_by")
    return _history(actions, StatusChange.objects.filter(course=course, key=key))


# The worklist ---------------------------------------------------------------------------------


def worklist_entries() -> QuerySet[WorklistEntry]:
    """The worklist, with each entry's patient and responsible clinician."""
    return WorklistEntry.objects.select_related("patient", "responsible_clinician")


def visible_entries(queryset: QuerySet[WorklistEntry], today: date) -> QuerySet[WorklistEntry]:
    """Entries the worklist shows by default: not waived, and not snoozed beyond yesterday."""
    return queryset.filter(waived=False).filter(
        Q(snoozed_until__isnull=True) | Q(snoozed_until__lt=today)
    )


def worklist_counts(today: date) -> dict:
    """Visible worklist entries by status and by item kind (read from one index)."""
    rows = (
        visible_entries(WorklistEntry.objects.all(), today)
        .order_by()
        .values("status", "item_kind")
        .annotate(n=Count("*"))
    )
    by_status = {"overdue": 0, "due_soon": 0, "open": 0}
    by_kind: dict[str, int] = {}
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        by_kind[row["item_kind"]] = by_kind.get(row["item_kind"], 0) + row["n"]
    kinds = sorted(by_kind.items(), key=lambda kv: -kv[1])
    return {
        "status": by_status,
        "kind": [(event_label(kind), n) for kind, n in kinds],
        "total": sum(by_status.values()),
    }


def access_log_entries(*, mrn: str = "", username: str = "", refused: bool = False):
    """The access log, newest first: of one patient (MRN), of one user, refusals only."""
    entries = AccessLog.objects.select_related("user", "patient")
    if mrn:
        entries = entries.filter(patient__mrn__iexact=mrn)
    if username:
        entries = entries.filter(user__username__iexact=username)
    if refused:
        entries = entries.filter(refused=True)
    return entries


# The rule set ---------------------------------------------------------------------------------


def schedule_rows(profile: str) -> dict:
    """The rules, dispensing checks and alert thresholds of a profile, stated in plain words."""
    ruleset = current_ruleset()
    rules = sorted(ruleset.rules_for(profile), key=lambda r: (r.code, r.effective_from or date.min))
    return {
        "rules": [{"rule": r, "text": describe_rule(r), "active": r.active} for r in rules],
        "checks": ruleset.checks_for(profile),
        "thresholds": [t for t in ruleset.thresholds if t.active],
        "ruleset_settings": ruleset.settings,
    }
