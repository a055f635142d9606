"""The course grid: every monitoring item of a course, month by month.

Columns are "Before start", treatment months 1, 2, … (month m covers days S + 30(m − 1) to
S + 30m − 1, the last one cut at E) and "After end" once E is known. Each cell is computed with
the engine: the course's facts are loaded once, the course is evaluated at the last day of each
past column and at today for the current one, and every item is classified:

- ``done``: an event satisfying the item is dated inside the column (the engine's
  ``satisfied_by``; for a recurring item, whose next due date is counted from its latest
  qualifying event, the event date is the due date minus the interval, unless it is the
  initial anchor S);
- ``missed``: no such event, and the item is overdue at the end of the column (today for the
  current column);
- ``due``: current column only, the item is due soon today;
- ``planned``: current column, due later this month; future columns, expected then;
- ``not_applicable``: the engine reports the item not applicable (or closed) at the column end;
- ``none``: the item applies but nothing was due in that column.

Future columns are evaluated at their last day with the facts known today (nothing recorded
after today exists), which tells whether an item applies then and when it falls due.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.utils import timezone

from patients.models import Course
from tracker.engine import Evaluation, ItemResult, RuleSet, Status, evaluate
from tracker.engine.facts import CourseFacts
from tracker.engine.vocabulary import RULE_GROUP_LABELS, item_title
from tracker.monitoring.facts import course_facts
from tracker.monitoring.rulesets import current_ruleset

MONTH_DAYS = 30
MIN_MONTHS_ONGOING = 6

DONE = "done"
MISSED = "missed"
DUE = "due"
PLANNED = "planned"
NOT_APPLICABLE = "not_applicable"
NONE = "none"

# state -> (symbol, plain words); symbols make the grid readable in black and white.
STATES: dict[str, tuple[str, str]] = {
    DONE: ("✓", "Done"),
    MISSED: ("✗", "Missed or overdue"),
    DUE: ("!", "Due now"),
    PLANNED: ("○", "Planned"),
    NOT_APPLICABLE: ("–", "Not applicable"),
    NONE: ("", "Nothing due"),
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    first: date | None  # None: open at the start ("Before start")
    last: date | None  # None: open at the end ("After end")
    when: str  # "past" | "current" | "future"

    def contains(self, day: date) -> bool:
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)

    @property
    def range_text(self) -> str:
        if self.first is None and self.last is not None:
            return f"to {self.last:%-d %b %Y}"
        if self.last is None and self.first is not None:
            return f"from {self.first:%-d %b %Y}"
        if self.first is not None and self.last is not None:
            return f"{self.first:%-d %b} – {self.last:%-d %b %Y}"
        return ""


def _when(first: date | None, last: date | None, today: date) -> str:
    if last is not None and last < today:
        return "past"
    if first is not None and first > today:
        return "future"
    return "current"


def columns_for(start: date, end: date | None, today: date) -> list[Column]:
    """The grid's columns for a course starting on ``start`` and ending on ``end``."""
    before_last = start - timedelta(days=1)
    columns = [Column("before", "Before start", None, before_last, _when(None, before_last, today))]
    if end is not None:
        months = (end - start).days // MONTH_DAYS + 1
    else:
        months = max((today - start).days // MONTH_DAYS + 1, MIN_MONTHS_ONGOING)
    for m in range(1, months + 1):
        first = start + timedelta(days=MONTH_DAYS * (m - 1))
        last = start + timedelta(days=MONTH_DAYS * m - 1)
        if end is not None:
            last = min(last, end)
        columns.append(Column(f"m{m}", f"Month {m}", first, last, _when(first, last, today)))
    if end is not None:
        first = end + timedelta(days=1)
        columns.append(Column("after", "After end", first, None, _when(first, None, today)))
    return columns


def _intervals(ruleset: RuleSet, profile: str) -> dict[str, int]:
    return {r.code: r.interval for r in ruleset.rules_for(profile) if r.interval is not None}


def _event_date(item: ItemResult, column: Column, interval: int | None, start: date):
    """The date of an event inside ``column`` that satisfies ``item``, if there is one."""
    ref = item.satisfied_by
    if ref is not None and column.contains(ref.date):
        return ref.date
    if interval is not None and item.due_on is not None:
        anchor = item.due_on - timedelta(days=interval)
        if anchor != start and column.contains(anchor):
            return anchor
    return None


def _inactive(item: ItemResult) -> bool:
    return item.status in (Status.NOT_APPLICABLE, Status.CLOSED)


def _past_or_current(
    item: ItemResult, column: Column, interval: int | None, start: date, today: date
) -> str:
    if _event_date(item, column, interval, start) is not None:
        return DONE
    if _inactive(item):
        return NOT_APPLICABLE
    if item.status == Status.OVERDUE:
        return MISSED
    if column.when == "current":
        if item.status == Status.DUE_SOON:
            return DUE
        # items due on S (the baseline) are done before start, so they belong to that column
        due_on = item.due_on
        if due_on is not None and column.key == "before" and due_on == start:
            due_on -= timedelta(days=1)
        if due_on is not None and column.contains(due_on):
            return PLANNED
    return NONE


def _future(
    item: ItemResult, column: Column, interval: int | None, first_future: date, planned: set
) -> str:
    """``planned`` holds the codes of one-off items already planned in an earlier column."""
    if _inactive(item):
        return NOT_APPLICABLE
    if item.status == Status.SATISFIED or item.due_on is None:
        return NONE
    last = column.last or (column.first + timedelta(days=90))  # type: ignore[operator]
    if interval is not None:
        # next due dates, assuming each is met on time (an overdue one in the first future month)
        due = max(item.due_on, first_future)
        while due < (column.first or due):
            due += timedelta(days=interval)
        return PLANNED if due <= last else NONE
    if item.due_on <= last and item.code not in planned:
        planned.add(item.code)
        return PLANNED
    return NONE


def build_grid(facts: CourseFacts, ruleset: RuleSet, today: date) -> dict:
    """The grid of one course from its facts (pure: no database)."""
    start = facts.start
    if start is None:
        return {"columns": [], "rows": [], "groups": [], "hidden": [], "today": today}
    end = facts.end if facts.end is not None and facts.end <= today else None
    columns = columns_for(start, end, today)
    intervals = _intervals(ruleset, str(facts.profile))
    names = {}
    for rule in ruleset.rules_for(str(facts.profile)):
        names.setdefault(rule.code, rule.name)

    # A planned course is seen in its future months as if it starts on the planned date.
    projected = replace(facts, start_is_planned=False) if facts.start_is_planned else facts
    evaluations: list[Evaluation] = []
    for column in columns:
        if column.when == "current":
            on, seen = today, facts
        elif column.when == "past":
            on, seen = column.last, facts
        else:  # a future "After end" is seen far enough on for the post-course items
            on = column.last or column.first + timedelta(days=90)  # type: ignore[operator]
            seen = projected if column.first is not None else facts
        evaluations.append(evaluate(seen, ruleset, on))

    now = evaluate(facts, ruleset, today)
    codes = list(now.items)
    for evaluation in evaluations:
        codes.extend(c for c in evaluation.items if c not in codes)
    first_future = next((c.first for c in columns if c.when == "future"), today)

    rows, hidden = [], []
    planned: set[str] = set()
    for code in codes:
        cells = []
        for column, evaluation in zip(columns, evaluations, strict=True):
            item = evaluation.item(code)
            interval = intervals.get(item.rule_code)
            if column.when == "future":
                state = _future(item, column, interval, first_future or today, planned)
            else:
                state = _past_or_current(item, column, interval, start, today)
                if column.when == "current" and state in (DUE, PLANNED):
                    planned.add(code)  # not planned again in a later column
            symbol, words = STATES[state]
            cells.append(
                {
                    "state": state,
                    "symbol": symbol,
                    "words": words,
                    "current": column.when == "current",
                    "title": f"{words}: {item.explanation}" if item.explanation else words,
                }
            )
        item = now.item(code)
        row = {
            "code": code,
            "name": item_title(names.get(item.rule_code, item.rule_code), item.analyte),
            "group": ruleset.display_group(str(facts.profile), item.rule_code),
            "status": str(item.status),
            "cells": cells,
        }
        if all(cell["state"] == NOT_APPLICABLE for cell in cells):
            hidden.append(row)
        else:
            rows.append(row)
    groups = [
        {"key": str(group), "label": label, "rows": [r for r in rows if r["group"] == group]}
        for group, label in RULE_GROUP_LABELS.items()
    ]
    return {
        "today": today,
        "columns": columns,
        "span": len(columns) + 1,
        "current_index": next((i for i, c in enumerate(columns) if c.when == "current"), None),
        "rows": rows,
        "groups": [g for g in groups if g["rows"]],
        "hidden": hidden,
        "legend": [
            {"state": state, "symbol": symbol, "words": words + ("" if symbol else " (blank)")}
            for state, (symbol, words) in STATES.items()
        ],
    }


def course_grid(
    course: Course,
    *,
    today: date | None = None,
    facts: CourseFacts | None = None,
    ruleset: RuleSet | None = None,
) -> dict:
    """The month-by-month grid of a course's monitoring items, for ``_course_grid.html``.

    The facts are loaded once (a fixed number of queries, whatever the course's history).
    """
    today = today or timezone.localdate()
    try:
        grid = build_grid(facts or course_facts(course), ruleset or current_ruleset(), today)
    except OverflowError:
        # Dates near the ends of the calendar (stored before dates were checked): the months
        # cannot be counted, but the rest of the page can still be shown.
        grid = {"columns": [], "rows": [], "groups": [], "hidden": [], "today": today}
        grid["note"] = OUT_OF_RANGE_NOTE
    grid["course"] = course
    return grid


OUT_OF_RANGE_NOTE = (
    "The course's dates are too far from today to lay out month by month. "
    "Correct the start or end of the course."
)
