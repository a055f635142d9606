"""Evaluate courses with the pure engine and store the result (the monitoring tables).

``reevaluate`` is what ``patients.reevaluation.course_changed`` calls (registered in
``tracker.apps``): inside the transaction of every clinical write or correction, so the stored
state (what the worklist filters on) is never behind the record. ``refresh_courses`` does the
same for many courses in batches: the nightly run (date-driven status changes), a rule change,
a bulk load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from patients.models import Course
from tracker.engine import evaluate
from tracker.engine.results import Evaluation
from tracker.engine.rules import RuleSet
from tracker.models import (
    CourseMonitoring,
    MonitoringAlert,
    MonitoringItem,
    StatusChange,
    WorklistEntry,
)
from tracker.monitoring.facts import courses_facts
from tracker.monitoring.rulesets import CurrentRules, current_rules, current_ruleset
from tracker.monitoring.values import (
    alert_values,
    item_values,
    review_states,
    rule_kinds,
    rule_names,
    summary_values,
    worklist_values,
)


@dataclass
class RefreshResult:
    courses: int = 0
    changed_items: int = 0
    changed_alerts: int = 0
    changed_courses: int = 0
    differences: list[str] = field(default_factory=list)

    def add(self, part: RefreshResult) -> None:
        self.courses += part.courses
        self.changed_items += part.changed_items
        self.changed_alerts += part.changed_alerts
        self.changed_courses += part.changed_courses
        self.differences += part.differences


def evaluate_courses(
    courses: list[Course], today: date, ruleset: RuleSet | None = None
) -> dict[int, Evaluation]:
    ruleset = ruleset or current_ruleset()
    facts = courses_facts(courses)
    return {pk: evaluate(course_facts, ruleset, today) for pk, course_facts in facts.items()}


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
    rules: CurrentRules | None = None,
) -> RefreshResult:
    """Bring the stored state of ``courses`` in line with ``evaluations``.

    With ``write=False`` nothing changes; the differences are listed instead (drift check).
    Writing, only the number of changed rows is reported.
    """
    ids = [c.pk for c in courses]
    rules = rules or current_rules()
    names, kinds = rule_names(rules.ruleset), rule_kinds(rules.ruleset)
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
    actions = review_states(ids, today)
    for course in courses:
        evaluation = evaluations[course.pk]
        course_items = item_values(evaluation, names)
        for code, values in course_items.items():
            items.want(course, code, values)
        course_alerts = alert_values(evaluation)
        for key, values in course_alerts.items():
            alerts.want(course, key, values)
        summaries.want(course, course.pk, summary_values(evaluation, course, rules.revision))
        for key, values in worklist_values(
            course, course_items, course_alerts, kinds, actions.get(course.pk, {})
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


def reevaluate(course_ids: Iterable[int], today: date) -> None:
    """Re-evaluate the courses and store the result (``patients.reevaluation``'s hook)."""
    refresh_courses(today=today, course_ids=course_ids)


def course_refresh(course: Course, *, today: date | None = None) -> Evaluation:
    """Re-evaluate one course, store its items, alerts and readiness, and return the
    evaluation."""
    today = today or timezone.localdate()
    course = Course.objects.select_related("patient").get(pk=course.pk)
    rules = current_rules()
    evaluations = evaluate_courses([course], today, rules.ruleset)
    store_evaluations([course], evaluations, today, rules=rules)
    return evaluations[course.pk]


def batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def refresh_batch(
    batch: list[int], today: date, write: bool, rules: CurrentRules | None = None
) -> RefreshResult:
    """One batch in its own transaction (or in the write's, inside one), its course rows
    locked."""
    rules = rules or current_rules()
    with transaction.atomic(savepoint=False):
        courses = list(
            Course.objects.select_for_update(of=("self",))
            .select_related("patient")
            .filter(pk__in=batch)
            .order_by("pk")
        )
        evaluations = evaluate_courses(courses, today, rules.ruleset)
        return store_evaluations(courses, evaluations, today, write=write, rules=rules)


def refresh_courses(
    *,
    today: date | None = None,
    course_ids: Iterable[int] | None = None,
    batch_size: int = 500,
    write: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> RefreshResult:
    """Re-evaluate many courses in batches (memory flat in the number of courses).

    Each batch is its own transaction, with its course rows locked, so two runs at the same
    time serialise per batch and the second finds nothing left to change. Every course when
    ``course_ids`` is None. (``tracker.monitoring.nightly`` shares the batches between
    processes.)
    """
    today = today or timezone.localdate()
    ids = all_course_ids() if course_ids is None else list(course_ids)
    total = RefreshResult()
    rules = current_rules()
    for batch in batches(ids, batch_size):
        total.add(refresh_batch(batch, today, write, rules))
        if progress is not None:
            progress(total.courses, len(ids))
    return total


def all_course_ids() -> list[int]:
    return list(Course.objects.order_by("pk").values_list("pk", flat=True))
