"""What a course's evaluation stores: the values of its items, alerts, summary and worklist rows.

One set of builders for every use: ``tracker.monitoring.store`` writes these values to the
monitoring tables, and ``tracker.monitoring.selectors`` builds unsaved rows from them to show a
course evaluated in memory (a page never writes), so a row shows the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from patients.models import Course, CourseStatus
from tracker.engine.results import Evaluation
from tracker.engine.rules import RuleSet
from tracker.engine.vocabulary import alert_subject, item_title
from tracker.models import ReviewAction, ReviewActionKind


def jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def item_values(evaluation: Evaluation, rule_names: dict[str, str]) -> dict[str, dict]:
    values = {}
    for code, item in evaluation.items.items():
        ref = item.satisfied_by or item.latest_event
        values[code] = {
            "rule_code": item.rule_code,
            "analyte": item.analyte or "",
            "name": rule_names.get(item.rule_code, item.rule_code),
            "status": str(item.status),
            "due_on": item.due_on,
            "satisfied_kind": ref.kind if ref else "",
            "satisfied_id": ref.id if ref else None,
            "satisfied_on": ref.date if ref else None,
            "explanation": item.explanation,
            "gates_dispensing": item.gates_dispensing,
        }
    return values


def alert_values(evaluation: Evaluation) -> dict[str, dict]:
    return {
        f"{a.source}:{a.event_id}": {
            "source": a.source,
            "analyte": a.analyte or "",
            "instrument": a.instrument or "",
            "level": str(a.level),
            "event_id": a.event_id,
            "event_date": a.event_date,
            "conditions": list(a.conditions),
            "is_open": a.open,
            "reviewed_on": a.reviewed_on,
        }
        for a in evaluation.alerts
    }


CLOSED_COURSE_STATUSES = (CourseStatus.COMPLETED, CourseStatus.STOPPED)


def closed_without_an_end(course: Course) -> bool:
    """A cancelled course, or a completed or stopped one with no last dose recorded: never
    ready. A closed course with a recorded E follows its dates like any other (section 8):
    ongoing on a date before E, ended from E on (which the engine reports itself)."""
    return course.status in CLOSED_COURSE_STATUSES and (
        course.end is None or course.start_is_planned
    )


def summary_values(evaluation: Evaluation, course: Course, ruleset_revision: int) -> dict:
    statuses = [str(i.status) for i in evaluation.items.values()]
    ready, unmet = evaluation.ready.ready, list(evaluation.ready.unmet)
    if closed_without_an_end(course):
        ready = False
        if course.start_is_planned:
            unmet.insert(0, "The course was cancelled before it started.")
        else:
            unmet.insert(0, f"The course is {course.get_status_display().lower()}.")
    return {
        "ready_to_prescribe": ready,
        "unmet": unmet,
        "on_hold": evaluation.on_hold,
        "flags": sorted(evaluation.flags),
        "derived": jsonable(evaluation.derived.as_dict()),
        "violations": [
            {"rule": v.rule, "date": v.date.isoformat(), "explanation": v.explanation}
            for v in evaluation.violations
        ],
        "overdue_count": statuses.count("overdue"),
        "due_soon_count": statuses.count("due_soon"),
        "open_alert_count": sum(1 for a in evaluation.alerts if a.open),
        "ruleset_revision": ruleset_revision,
    }


def rule_names(ruleset: RuleSet) -> dict[str, str]:
    """Each rule code's name (its first row's)."""
    names: dict[str, str] = {}
    for rule in ruleset.rules:
        names.setdefault(rule.code, rule.name)
    return names


def rule_kinds(ruleset: RuleSet) -> dict[str, str]:
    """The kind of event that satisfies each rule code (its first row's)."""
    kinds: dict[str, str] = {}
    for rule in ruleset.rules:
        kinds.setdefault(rule.code, str(rule.satisfier))
    return kinds


# Worklist ------------------------------------------------------------------------------------

STATUS_RANK = {"upcoming": 0, "due_soon": 1, "overdue": 2}
ALERT_PRIORITY = {"critical": 0, "high": 1, "info": 4}
ITEM_PRIORITY = {"overdue": 2, "due_soon": 3}


@dataclass
class KeyState:
    acknowledged_at: object = None
    acknowledged_by_id: int | None = None
    snoozed_until: date | None = None
    snooze_status: str = ""
    waived: bool = False
    last_outreach_at: object = None
    last_outreach: str = ""


def review_states(course_ids: list[int], today: date) -> dict[int, dict[str, KeyState]]:
    """The latest review actions of each item or alert of the courses (one query)."""
    state: dict[int, dict[str, KeyState]] = {}
    rows = ReviewAction.objects.filter(course_id__in=course_ids).order_by("created_at", "pk")
    for action in rows:
        key_state = state.setdefault(action.course_id, {}).setdefault(action.key, KeyState())
        if action.action == ReviewActionKind.ACKNOWLEDGE:
            key_state.acknowledged_at = action.created_at
            key_state.acknowledged_by_id = action.created_by_id
        elif action.action == ReviewActionKind.SNOOZE:
            key_state.snoozed_until = action.snoozed_until
            key_state.snooze_status = action.status_at_action
        elif action.action == ReviewActionKind.WAIVE:
            key_state.waived = True
        elif action.action == ReviewActionKind.OUTREACH:
            key_state.last_outreach_at = action.created_at
            key_state.last_outreach = action.get_outreach_method_display() + (
                f": {action.note}" if action.note else ""
            )
    return state


def _snooze_holds(key_state: KeyState, status: str) -> date | None:
    """A snooze lasts until its date, and ends at once if the status has worsened since."""
    until = key_state.snoozed_until
    if until is None:
        return None
    if STATUS_RANK.get(status, 0) > STATUS_RANK.get(key_state.snooze_status, 0):
        return None
    return until


def worklist_values(
    course: Course,
    item_values: dict[str, dict],
    alert_values: dict[str, dict],
    rule_kinds: dict[str, str],
    actions: dict[str, KeyState],
) -> dict[str, dict]:
    if course.status == CourseStatus.STOPPED and course.start_is_planned:
        return {}  # cancelled before it started: nothing to act on
    patient = course.patient
    common = {
        "patient_id": patient.pk,
        "responsible_clinician_id": patient.responsible_clinician_id,
        "profile": patient.profile,
        "category": patient.category,
    }
    entries: dict[str, dict] = {}
    for code, item in item_values.items():
        if item["status"] not in ITEM_PRIORITY:
            continue
        key_state = actions.get(code, KeyState())
        entries[code] = {
            **common,
            "kind": "item",
            "item_kind": rule_kinds.get(item["rule_code"], "other"),
            "title": item_title(item["name"], item["analyte"]),
            "detail": item["explanation"],
            "status": item["status"],
            "level": "",
            "priority": ITEM_PRIORITY[item["status"]],
            "due_on": item["due_on"],
            "acknowledged_at": key_state.acknowledged_at,
            "acknowledged_by_id": key_state.acknowledged_by_id,
            "snoozed_until": _snooze_holds(key_state, item["status"]),
            "waived": key_state.waived,
            "last_outreach_at": key_state.last_outreach_at,
            "last_outreach": key_state.last_outreach[:200],
        }
    for key, alert in alert_values.items():
        if not alert["is_open"]:
            continue
        key_state = actions.get(key, KeyState())
        subject = alert_subject(alert["source"], alert["analyte"], alert["instrument"])
        entries[key] = {
            **common,
            "kind": "alert",
            "item_kind": alert["source"],
            "title": f"{alert['level'].capitalize()} alert: {subject}",
            "detail": "; ".join(alert["conditions"]),
            "status": "open",
            "level": alert["level"],
            "priority": ALERT_PRIORITY.get(alert["level"], 4),
            "due_on": alert["event_date"],
            "acknowledged_at": key_state.acknowledged_at,
            "acknowledged_by_id": key_state.acknowledged_by_id,
            "snoozed_until": None,
            "waived": False,
            "last_outreach_at": key_state.last_outreach_at,
            "last_outreach": key_state.last_outreach[:200],
        }
    return entries
