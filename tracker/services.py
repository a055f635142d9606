"""Monitoring writes: evaluate courses with the pure engine and store the result.

``course_refresh`` runs inside the transaction of every clinical write or correction, so the
stored state (what dashboards filter on) is never behind the record. ``refresh_courses`` does
the same for many courses in batches, for the nightly run (date-driven status changes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from patients.models import Course, CourseStatus
from patients.validation import FieldErrors
from tracker.engine import evaluate
from tracker.engine.analytes import ANALYTES
from tracker.engine.results import Evaluation
from tracker.engine.rules import RuleSet
from tracker.models import (
    CourseMonitoring,
    MonitoringAlert,
    MonitoringItem,
    OutreachMethod,
    ReviewAction,
    ReviewActionKind,
    StatusChange,
    WorklistEntry,
)
from tracker.monitoring import courses_facts
from tracker.rulesets import current_ruleset


@dataclass
class RefreshResult:
    courses: int = 0
    changed_items: int = 0
    changed_alerts: int = 0
    changed_courses: int = 0
    differences: list[str] = field(default_factory=list)


def evaluate_courses(
    courses: list[Course], today: date, ruleset: RuleSet | None = None
) -> dict[int, Evaluation]:
    ruleset = ruleset or current_ruleset()
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


CLOSED_COURSE_STATUSES = (CourseStatus.COMPLETED, CourseStatus.STOPPED)


def closed_without_an_end(course: Course) -> bool:
    """A cancelled course, or a completed or stopped one with no last dose recorded: never
    ready. A closed course with a recorded E follows its dates like any other (section 8):
    ongoing on a date before E, ended from E on (which the engine reports itself)."""
    return course.status in CLOSED_COURSE_STATUSES and (
        course.end is None or course.start_is_planned
    )


def _summary_values(evaluation: Evaluation, course: Course) -> dict:
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
        "derived": _jsonable(evaluation.derived.as_dict()),
        "violations": [
            {"rule": v.rule, "date": v.date.isoformat(), "explanation": v.explanation}
            for v in evaluation.violations
        ],
        "overdue_count": statuses.count("overdue"),
        "due_soon_count": statuses.count("due_soon"),
        "open_alert_count": sum(1 for a in evaluation.alerts if a.open),
    }


# Rows per UPDATE statement of bulk_update: its CASE expressions grow with the rows, so the
# cost per row grows with the batch; small statements are much faster than one large one.
BULK_UPDATE_BATCH = 100


def _update_rows(model, rows: list, fields: list[str]) -> None:
    """Write ``fields`` of changed rows: on PostgreSQL one UPDATE ... FROM (VALUES ...) per
    1,000 rows, elsewhere ``bulk_update`` (whose CASE expressions cost about a millisecond a
    row to build, which made the nightly run's writes dominate it)."""
    if connection.vendor != "postgresql" or connection.Database.__name__ != "psycopg2":
        model.objects.bulk_update(rows, fields, batch_size=BULK_UPDATE_BATCH)
        return
    from psycopg2.extras import execute_values

    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(
        f"{quote(c.column)} = v.{quote(c.column)}::{c.cast_db_type(connection)}" for c in columns
    )
    names = ", ".join(quote(c.column) for c in columns)
    table = quote(model._meta.db_table)
    sql = (
        f"UPDATE {table} SET {assignments} FROM (VALUES %s) AS v(id, {names}) "
        f"WHERE {table}.{quote('id')} = v.id"
    )
    values = [
        (row.pk, *(c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns))
        for row in rows
    ]
    with connection.cursor() as cursor:
        execute_values(cursor.cursor, sql, values, page_size=1000)


class _TableSync:
    """Brings the stored rows of one table for a batch of courses in line with wanted values."""

    def __init__(
        self,
        model,
        key_field: str,
        rows,
        *,
        label: str,
        today: date | None,
        status_of: Callable[[dict], str] | None = None,
        describe: bool = False,
    ) -> None:
        self.model = model
        # Whether to list each difference in words (the drift check): a nightly run that
        # writes only counts them, so its memory does not grow with the rows it changes.
        self.describe = describe
        self.status_of = status_of
        self.key_field = key_field
        self.label = label
        self.today = today
        # Stored rows as dicts: a model instance is built only for a row that changes.
        self.existing = {
            (row["course_id"], row[key_field]): row for row in rows.order_by().values()
        }
        # Stored rows no evaluation has asked for (yet): stale once every course is through.
        self.unwanted = dict(self.existing)
        self.new: list = []
        self.changed: list = []
        self.fields: set[str] = set()
        self.differences: list[str] = []
        self.status_changes: list[StatusChange] = []

    def want(self, course: Course, key: str, values: dict) -> None:
        row = self.existing.get((course.pk, key))
        self.unwanted.pop((course.pk, key), None)
        extra = {"evaluated_on": self.today} if self.today is not None else {}
        if row is None:
            self.new.append(self.model(course=course, **{self.key_field: key}, **values, **extra))
            if self.describe:
                self.differences.append(f"course {course.pk} {self.label}{key}: not stored")
            if self.status_of is not None and self.status_of(values) != "not_applicable":
                self.status_changes.append(
                    StatusChange(
                        course=course, key=key, new_status=self.status_of(values), on=self.today
                    )
                )
            return
        changed = {k: v for k, v in values.items() if row[k] != v}
        if not changed:
            return
        self.fields.update(values)
        if self.describe:
            shown = [f"{k} {row[k]!s} -> {v!s}" for k, v in changed.items()]
            self.differences.append(f"course {course.pk} {self.label}{key}: {', '.join(shown)}")
        if self.status_of is not None:
            old = self.status_of({k: row[k] for k in values})
            new = self.status_of(values)
            if old != new:
                self.status_changes.append(
                    StatusChange(
                        course=course, key=key, old_status=old, new_status=new, on=self.today
                    )
                )
        self.changed.append(self.model(**{**row, **values, **extra}))

    @property
    def stale(self) -> list:
        return list(self.unwanted.values())

    @property
    def count(self) -> int:
        return len(self.new) + len(self.changed) + len(self.stale)

    def all_differences(self) -> list[str]:
        if not self.describe:
            return []
        gone = [
            f"course {r['course_id']} {self.label}{r[self.key_field]}: no longer reported"
            for r in self.stale
        ]
        return self.differences + gone

    def write(self) -> None:
        self.model.objects.bulk_create(self.new)
        if self.changed:
            extra = ["evaluated_on"] if self.today is not None else []
            _update_rows(self.model, self.changed, [*sorted(self.fields), *extra])
        if self.stale:
            self.model.objects.filter(pk__in=[r["id"] for r in self.stale]).delete()


def store_evaluations(
    courses: list[Course],
    evaluations: dict[int, Evaluation],
    today: date,
    *,
    write: bool = True,
    ruleset: RuleSet | None = None,
) -> RefreshResult:
    """Bring the stored state of ``courses`` in line with ``evaluations``.

    With ``write=False`` nothing changes; the differences are listed instead (drift check).
    Writing, only the number of changed rows is reported.
    """
    ids = [c.pk for c in courses]
    ruleset = ruleset or current_ruleset()
    rule_names: dict[str, str] = {}
    rule_kinds: dict[str, str] = {}
    for rule in ruleset.rules:
        rule_names.setdefault(rule.code, rule.name)
        rule_kinds.setdefault(rule.code, str(rule.satisfier))
    items = _TableSync(
        MonitoringItem,
        "code",
        MonitoringItem.objects.filter(course_id__in=ids),
        label="",
        describe=not write,
        today=today,
        status_of=lambda v: v["status"],
    )
    alerts = _TableSync(
        MonitoringAlert,
        "key",
        MonitoringAlert.objects.filter(course_id__in=ids),
        label="alert ",
        describe=not write,
        today=today,
        status_of=lambda v: "open" if v["is_open"] else "reviewed",
    )
    summaries = _TableSync(
        CourseMonitoring,
        "course_id",
        CourseMonitoring.objects.filter(course_id__in=ids),
        label="summary ",
        describe=not write,
        today=today,
    )
    entries = _TableSync(
        WorklistEntry,
        "key",
        WorklistEntry.objects.filter(course_id__in=ids),
        label="worklist ",
        describe=not write,
        today=None,
    )
    actions = _review_state(ids, today)
    for course in courses:
        evaluation = evaluations[course.pk]
        item_values = _item_values(evaluation, rule_names)
        for code, values in item_values.items():
            items.want(course, code, values)
        alert_values = _alert_values(evaluation)
        for key, values in alert_values.items():
            alerts.want(course, key, values)
        summaries.want(course, course.pk, _summary_values(evaluation, course))
        for key, values in _worklist_values(
            course, item_values, alert_values, rule_kinds, actions.get(course.pk, {})
        ).items():
            entries.want(course, key, values)
    tables = (items, alerts, summaries, entries)
    result = RefreshResult(
        courses=len(courses),
        changed_items=items.count,
        changed_alerts=alerts.count,
        changed_courses=summaries.count,
        differences=[line for table in tables for line in table.all_differences()],
    )
    if write:
        for table in tables:
            table.write()
        # Unchanged summaries are stamped too: the evaluation date says the stored state is
        # today's, so pages showing the course do not evaluate it again.
        CourseMonitoring.objects.filter(course_id__in=ids).exclude(evaluated_on=today).update(
            evaluated_on=today
        )
        StatusChange.objects.bulk_create(
            [change for table in tables for change in table.status_changes]
        )
    return result


# Worklist ------------------------------------------------------------------------------------

STATUS_RANK = {"upcoming": 0, "due_soon": 1, "overdue": 2}
ALERT_PRIORITY = {"critical": 0, "high": 1, "info": 4}
ITEM_PRIORITY = {"overdue": 2, "due_soon": 3}


@dataclass
class _KeyState:
    acknowledged_at: object = None
    acknowledged_by_id: int | None = None
    snoozed_until: date | None = None
    snooze_status: str = ""
    waived: bool = False
    last_outreach_at: object = None
    last_outreach: str = ""


def _review_state(course_ids: list[int], today: date) -> dict[int, dict[str, _KeyState]]:
    """The latest review actions of each item or alert of the courses (one query)."""
    state: dict[int, dict[str, _KeyState]] = {}
    rows = ReviewAction.objects.filter(course_id__in=course_ids).order_by("created_at", "pk")
    for action in rows:
        key_state = state.setdefault(action.course_id, {}).setdefault(action.key, _KeyState())
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


def _snooze_holds(key_state: _KeyState, status: str) -> date | None:
    """A snooze lasts until its date, and ends at once if the status has worsened since."""
    until = key_state.snoozed_until
    if until is None:
        return None
    if STATUS_RANK.get(status, 0) > STATUS_RANK.get(key_state.snooze_status, 0):
        return None
    return until


def _worklist_values(
    course: Course,
    item_values: dict[str, dict],
    alert_values: dict[str, dict],
    rule_kinds: dict[str, str],
    actions: dict[str, _KeyState],
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
        key_state = actions.get(code, _KeyState())
        entries[code] = {
            **common,
            "kind": "item",
            "item_kind": rule_kinds.get(item["rule_code"], "other"),
            "title": item["name"][:1].upper()
            + item["name"][1:]
            + (f" ({ANALYTES[item['analyte']].label})" if item["analyte"] in ANALYTES else ""),
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
        key_state = actions.get(key, _KeyState())
        subject = alert["analyte"] or alert["instrument"] or alert["source"].replace("_", " ")
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


_deferred: ContextVar[set[int] | None] = ContextVar("deferred_refresh", default=None)


@contextmanager
def deferred_refresh(*, today: date | None = None) -> Iterator[None]:
    """Write many records, then re-evaluate each touched course once at the end.

    For bulk loading (the demo clinic, imports): inside the block ``course_refresh`` only
    notes the course, so stored state is brought up to date when the block ends.
    """
    touched: set[int] = set()
    token = _deferred.set(touched)
    try:
        yield
    finally:
        _deferred.reset(token)
    refresh_courses(today=today, course_ids=sorted(touched))


def course_refresh(course: Course, *, today: date | None = None) -> Evaluation | None:
    """Re-evaluate one course and store its items, alerts and readiness (inside
    ``deferred_refresh``: note the course and return None)."""
    deferred = _deferred.get()
    if deferred is not None:
        deferred.add(course.pk)
        return None
    today = today or timezone.localdate()
    course = Course.objects.select_related("patient").get(pk=course.pk)
    ruleset = current_ruleset()
    evaluations = evaluate_courses([course], today, ruleset)
    store_evaluations([course], evaluations, today, ruleset=ruleset)
    return evaluations[course.pk]


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _refresh_batch(
    batch: list[int], today: date, write: bool, ruleset: RuleSet | None = None
) -> RefreshResult:
    """One batch in its own transaction, its course rows locked."""
    ruleset = ruleset or current_ruleset()
    with transaction.atomic():
        courses = list(
            Course.objects.select_for_update(of=("self",))
            .select_related("patient")
            .filter(pk__in=batch)
            .order_by("pk")
        )
        evaluations = evaluate_courses(courses, today, ruleset)
        return store_evaluations(courses, evaluations, today, write=write, ruleset=ruleset)


def refresh_courses(
    *,
    today: date | None = None,
    course_ids: Iterable[int] | None = None,
    batch_size: int = 500,
    write: bool = True,
    progress=None,
    processes: int = 1,
) -> RefreshResult:
    """Re-evaluate many courses in batches (memory flat in the number of courses).

    Each batch is its own transaction, with its course rows locked, so two runs at the same
    time serialise per batch and the second finds nothing left to change. With
    ``processes`` > 1 the batches are shared between that many worker processes (PostgreSQL).
    """
    today = today or timezone.localdate()
    ids = list(course_ids) if course_ids is not None else None
    if ids is None:
        ids = list(Course.objects.order_by("pk").values_list("pk", flat=True))
    batches = list(_batches(ids, batch_size))
    total = RefreshResult()

    def add(part: RefreshResult) -> None:
        total.courses += part.courses
        total.changed_items += part.changed_items
        total.changed_alerts += part.changed_alerts
        total.changed_courses += part.changed_courses
        total.differences += part.differences
        if progress is not None:
            progress(total.courses, len(ids))

    if processes > 1 and len(batches) > 1:
        import multiprocessing

        from django.db import connection

        from tracker import refresh_worker

        context = multiprocessing.get_context("spawn")
        name = connection.settings_dict["NAME"]
        with context.Pool(processes, initializer=refresh_worker.start, initargs=(name,)) as pool:
            for part in pool.imap_unordered(
                refresh_worker.run, [(batch, today, write) for batch in batches]
            ):
                add(part)
        return total
    ruleset = current_ruleset()
    for batch in batches:
        add(_refresh_batch(batch, today, write, ruleset))
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


# Review actions ------------------------------------------------------------------------------

MAX_SNOOZE_DAYS = 30


def _require_note(errors: FieldErrors, field: str, text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        errors.add(field, message)
    return text


def _action_target(course: Course, key: str) -> tuple[str, str]:
    """("item" or "alert", current status) of a stored item or alert, or a clear error."""
    item = MonitoringItem.objects.filter(course=course, code=key).first()
    if item is not None:
        return "item", item.status
    alert = MonitoringAlert.objects.filter(course=course, key=key).first()
    if alert is not None:
        return "alert", "open" if alert.is_open else "reviewed"
    raise ValidationError(f"Nothing called {key} is monitored on this course.")


def _record_action(
    course: Course,
    key: str,
    action: str,
    *,
    by,
    today: date,
    items_only: bool = False,
    **fields,
) -> ReviewAction:
    """Store one review action on a monitored item or alert, then re-evaluate the course."""
    target_kind, status = _action_target(course, key)
    if items_only and target_kind != "item":
        verb = ReviewActionKind(action).label.lower()
        raise ValidationError(f"An alert cannot be {verb}: review it instead.")
    record = ReviewAction.objects.create(
        course=course,
        key=key,
        target_kind=target_kind,
        action=action,
        status_at_action=status,
        created_by=by,
        **fields,
    )
    course_refresh(course, today=today)
    return record


@transaction.atomic
def review_acknowledge(
    *, course: Course, key: str, note: str, by, today: date | None = None
) -> ReviewAction:
    """A clinician acknowledges an item, or reviews an alert (which closes it), with a note."""
    today = today or timezone.localdate()
    errors = FieldErrors()
    note = _require_note(errors, "note", note, "Write what was decided.")
    errors.raise_if_any()
    # The action first, so it records the status the clinician saw (an alert still open).
    action = _record_action(
        course, key, ReviewActionKind.ACKNOWLEDGE, by=by, today=today, note=note
    )
    alert = MonitoringAlert.objects.filter(course=course, key=key).first()
    if alert is not None:
        from patients.services import alert_review_record

        alert_review_record(
            course=course,
            date=max(today, alert.event_date),
            source=alert.source,
            analyte=alert.analyte,
            instrument=alert.instrument,
            note=note,
            by=by,
            today=max(today, alert.event_date),
        )
    return action


@transaction.atomic
def review_snooze(
    *, course: Course, key: str, until: date | None, reason: str, by, today: date | None = None
) -> ReviewAction:
    """Hide an item from the worklist until a date (at most 30 days); it comes back at once
    if its status worsens. Alerts cannot be snoozed: they are reviewed."""
    today = today or timezone.localdate()
    errors = FieldErrors()
    reason = _require_note(errors, "reason", reason, "Give the reason for snoozing.")
    if until is None:
        errors.add("until", "Choose the date the item comes back.")
    elif until <= today:
        errors.add("until", "Snooze until a date after today.")
    elif (until - today).days > MAX_SNOOZE_DAYS:
        errors.add("until", f"An item can be snoozed for at most {MAX_SNOOZE_DAYS} days.")
    errors.raise_if_any()
    return _record_action(
        course,
        key,
        ReviewActionKind.SNOOZE,
        by=by,
        today=today,
        items_only=True,
        note=reason,
        snoozed_until=until,
    )


@transaction.atomic
def review_waive(
    *, course: Course, key: str, reason: str, by, today: date | None = None
) -> ReviewAction:
    """Waive an item for this course: it leaves the worklist. Readiness to prescribe is still
    decided by the monitoring rules alone, so a waiver never makes a course "ready"."""
    today = today or timezone.localdate()
    errors = FieldErrors()
    reason = _require_note(errors, "reason", reason, "Give the clinical reason for the waiver.")
    errors.raise_if_any()
    return _record_action(
        course, key, ReviewActionKind.WAIVE, by=by, today=today, items_only=True, note=reason
    )


@transaction.atomic
def outreach_record(
    *, course: Course, key: str, method: str, note: str, by, today: date | None = None
) -> ReviewAction:
    """Clinic staff log contact with the patient about an item or alert."""
    today = today or timezone.localdate()
    errors = FieldErrors()
    if method not in OutreachMethod.values:
        errors.add("method", "Choose how the patient was contacted.")
    errors.raise_if_any()
    return _record_action(
        course,
        key,
        ReviewActionKind.OUTREACH,
        by=by,
        today=today,
        outreach_method=method,
        note=(note or "").strip(),
    )
