"""Monitoring writes: evaluate courses with the pure engine and store the result.

``course_refresh`` runs inside the transaction of every clinical write or correction, so the
stored state (what dashboards filter on) is never behind the record. ``refresh_courses`` does
the same for many courses in batches, for the nightly run (date-driven status changes).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from patients.models import Course
from tracker.engine import evaluate
from tracker.engine.results import Evaluation
from tracker.models import CourseMonitoring, MonitoringAlert, MonitoringItem
from tracker.monitoring import courses_facts
from tracker.rulesets import current_ruleset

ITEM_FIELDS = (
    "rule_code",
    "analyte",
    "name",
    "status",
    "due_on",
    "satisfied_kind",
    "satisfied_id",
    "satisfied_on",
    "explanation",
    "gates_dispensing",
)
ALERT_FIELDS = (
    "source",
    "analyte",
    "instrument",
    "level",
    "event_id",
    "event_date",
    "conditions",
    "is_open",
    "reviewed_on",
)
SUMMARY_FIELDS = (
    "ready_to_prescribe",
    "unmet",
    "on_hold",
    "flags",
    "derived",
    "violations",
    "overdue_count",
    "due_soon_count",
    "open_alert_count",
)


@dataclass
class RefreshResult:
    courses: int = 0
    changed_items: int = 0
    changed_alerts: int = 0
    changed_courses: int = 0
    differences: list[str] = field(default_factory=list)


def evaluate_courses(courses: list[Course], today: date) -> dict[int, Evaluation]:
    ruleset = current_ruleset()
    facts = courses_facts(courses)
    return {pk: evaluate(course_facts, ruleset, today) for pk, course_facts in facts.items()}


def _jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def _item_values(evaluation: Evaluation, rule_names: dict[str, str]) -> dict[str, dict]:
    values = {}
    for code, item in evaluation.items.items():
        ref = item.satisfied_by
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


def _alert_values(evaluation: Evaluation) -> dict[str, dict]:
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


def _summary_values(evaluation: Evaluation) -> dict:
    statuses = [str(i.status) for i in evaluation.items.values()]
    return {
        "ready_to_prescribe": evaluation.ready.ready,
        "unmet": list(evaluation.ready.unmet),
        "on_hold": evaluation.on_hold,
        "flags": sorted(evaluation.flags),
        "derived": _jsonable(evaluation.derived.as_dict()),
        "violations": [
            {"rule": v.rule, "date": v.date.isoformat(), "explanation": v.explanation}
            for v in evaluation.violations
        ],
        "overdue_count": statuses.count("overdue"),
        "due_soon_count": statuses.count("due_soon"),
        "open_alert_count": sum(1 for a in evaluation.alerts if a.open),
    }


def _rule_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for rule in current_ruleset().rules:
        names.setdefault(rule.code, rule.name)
    return names


def store_evaluations(
    courses: list[Course], evaluations: dict[int, Evaluation], today: date, *, write: bool = True
) -> RefreshResult:
    """Bring the stored state of ``courses`` in line with ``evaluations``.

    With ``write=False`` nothing changes; the differences are listed instead (drift check).
    """
    result = RefreshResult(courses=len(courses))
    ids = [c.pk for c in courses]
    rule_names = _rule_names()
    items = {(i.course_id, i.code): i for i in MonitoringItem.objects.filter(course_id__in=ids)}
    alerts = {(a.course_id, a.key): a for a in MonitoringAlert.objects.filter(course_id__in=ids)}
    summaries = {s.course_id: s for s in CourseMonitoring.objects.filter(course_id__in=ids)}
    new_items: list[MonitoringItem] = []
    changed_items: list[MonitoringItem] = []
    stale_items: list[MonitoringItem] = []
    new_alerts: list[MonitoringAlert] = []
    changed_alerts: list[MonitoringAlert] = []
    stale_alerts: list[MonitoringAlert] = []
    new_summaries: list[CourseMonitoring] = []
    changed_summaries: list[CourseMonitoring] = []
    for course in courses:
        evaluation = evaluations[course.pk]
        wanted_items = _item_values(evaluation, rule_names)
        for code, values in wanted_items.items():
            row = items.get((course.pk, code))
            if row is None:
                new_items.append(
                    MonitoringItem(course=course, code=code, evaluated_on=today, **values)
                )
                result.differences.append(f"course {course.pk} {code}: missing")
            elif any(getattr(row, k) != v for k, v in values.items()):
                diffs = [
                    f"{k} {getattr(row, k)!s} -> {v!s}"
                    for k, v in values.items()
                    if getattr(row, k) != v and k != "explanation"
                ]
                if diffs:
                    result.differences.append(f"course {course.pk} {code}: {', '.join(diffs)}")
                for k, v in values.items():
                    setattr(row, k, v)
                row.evaluated_on = today
                changed_items.append(row)
        stale_items += [
            row
            for (cid, code), row in items.items()
            if cid == course.pk and code not in wanted_items
        ]
        wanted_alerts = _alert_values(evaluation)
        for key, values in wanted_alerts.items():
            row = alerts.get((course.pk, key))
            if row is None:
                new_alerts.append(
                    MonitoringAlert(course=course, key=key, evaluated_on=today, **values)
                )
                result.differences.append(f"course {course.pk} alert {key}: missing")
            elif any(getattr(row, k) != v for k, v in values.items()):
                result.differences.append(f"course {course.pk} alert {key}: changed")
                for k, v in values.items():
                    setattr(row, k, v)
                row.evaluated_on = today
                changed_alerts.append(row)
        stale_alerts += [
            row
            for (cid, key), row in alerts.items()
            if cid == course.pk and key not in wanted_alerts
        ]
        summary_values = _summary_values(evaluation)
        summary = summaries.get(course.pk)
        if summary is None:
            new_summaries.append(
                CourseMonitoring(course=course, evaluated_on=today, **summary_values)
            )
            result.differences.append(f"course {course.pk}: summary missing")
        elif any(getattr(summary, k) != v for k, v in summary_values.items()):
            result.differences.append(f"course {course.pk}: summary changed")
            for k, v in summary_values.items():
                setattr(summary, k, v)
            summary.evaluated_on = today
            changed_summaries.append(summary)
    result.differences += [
        f"course {r.course_id} {r.code}: no longer reported" for r in stale_items
    ]
    result.changed_items = len(new_items) + len(changed_items) + len(stale_items)
    result.changed_alerts = len(new_alerts) + len(changed_alerts) + len(stale_alerts)
    result.changed_courses = len(new_summaries) + len(changed_summaries)
    if write:
        MonitoringItem.objects.bulk_create(new_items)
        MonitoringItem.objects.bulk_update(changed_items, [*ITEM_FIELDS, "evaluated_on"])
        MonitoringItem.objects.filter(pk__in=[r.pk for r in stale_items]).delete()
        MonitoringAlert.objects.bulk_create(new_alerts)
        MonitoringAlert.objects.bulk_update(changed_alerts, [*ALERT_FIELDS, "evaluated_on"])
        MonitoringAlert.objects.filter(pk__in=[r.pk for r in stale_alerts]).delete()
        CourseMonitoring.objects.bulk_create(new_summaries)
        CourseMonitoring.objects.bulk_update(changed_summaries, [*SUMMARY_FIELDS, "evaluated_on"])
    return result


def course_refresh(course: Course, *, today: date | None = None) -> Evaluation:
    """Re-evaluate one course and store its items, alerts and readiness."""
    today = today or timezone.localdate()
    course = Course.objects.select_related("patient").get(pk=course.pk)
    evaluations = evaluate_courses([course], today)
    store_evaluations([course], evaluations, today)
    return evaluations[course.pk]


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def refresh_courses(
    *,
    today: date | None = None,
    course_ids: Iterable[int] | None = None,
    batch_size: int = 500,
    write: bool = True,
    progress=None,
) -> RefreshResult:
    """Re-evaluate many courses in batches (memory flat in the number of courses).

    Each batch is its own transaction, with its course rows locked, so two runs at the same
    time serialise per batch and the second finds nothing left to change.
    """
    today = today or timezone.localdate()
    ids = list(course_ids) if course_ids is not None else None
    if ids is None:
        ids = list(Course.objects.order_by("pk").values_list("pk", flat=True))
    total = RefreshResult()
    for batch in _batches(ids, batch_size):
        with transaction.atomic():
            courses = list(
                Course.objects.select_for_update(of=("self",))
                .select_related("patient")
                .filter(pk__in=batch)
                .order_by("pk")
            )
            evaluations = evaluate_courses(courses, today)
            part = store_evaluations(courses, evaluations, today, write=write)
        total.courses += part.courses
        total.changed_items += part.changed_items
        total.changed_alerts += part.changed_alerts
        total.changed_courses += part.changed_courses
        total.differences += part.differences
        if progress is not None:
            progress(total.courses, len(ids))
    return total


def rules_changed(*, profiles: list[str] | None = None, today: date | None = None) -> int:
    """Re-evaluate the open courses a rule-set change affects (every profile when None)."""
    from tracker.rulesets import clear_cache

    clear_cache()
    courses = Course.objects.filter(status__in=["planned", "active", "on_hold"])
    if profiles is not None:
        courses = courses.filter(patient__profile__in=profiles)
    ids = list(courses.values_list("pk", flat=True))
    refresh_courses(today=today, course_ids=ids)
    return len(ids)
