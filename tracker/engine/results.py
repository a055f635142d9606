"""Output dataclasses of the monitoring engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum
from typing import Any

from tracker.engine.rules import Level


class Status(StrEnum):
    SATISFIED = "satisfied"
    UPCOMING = "upcoming"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    NOT_APPLICABLE = "not_applicable"
    CLOSED = "closed"


class Flag(StrEnum):
    # information flags of the dose section
    TARGET_BAND_REACHED = "target_band_reached"
    ABOVE_150 = "above_150"
    DOSE_BELOW_BAND = "dose_below_band"
    DOSE_ABOVE_BAND = "dose_above_band"
    RETREATMENT_GAP = "retreatment_gap"
    # safety flags: a fact the engine needs is missing
    CATEGORY_MISSING = "category_missing"
    START_MISSING = "start_missing"
    WEIGHT_MISSING = "weight_missing"
    DOSE_MISSING = "dose_missing"
    RULES_MISSING = "rules_missing"


# The information flags of the dose section; the others say a needed fact is missing.
INFO_FLAGS = frozenset(
    {
        Flag.TARGET_BAND_REACHED,
        Flag.ABOVE_150,
        Flag.DOSE_BELOW_BAND,
        Flag.DOSE_ABOVE_BAND,
        Flag.RETREATMENT_GAP,
    }
)


@dataclass(frozen=True)
class EventRef:
    kind: str  # e.g. "pregnancy_test", "lab", "mood_screen", "consent"
    id: int
    date: date


@dataclass(frozen=True)
class ItemResult:
    code: str  # item code, e.g. "US-B3", "US-L1:alt"
    rule_code: str
    analyte: str | None
    status: Status
    due_on: date | None
    satisfied_by: EventRef | None
    explanation: str
    gates_dispensing: bool = False
    baseline: bool = False
    latest_event: EventRef | None = None  # recurring items: the event the schedule runs from


@dataclass(frozen=True)
class Alert:
    source: str  # "lab" | "pregnancy_test" | "mood_screen"
    analyte: str | None
    instrument: str | None
    level: Level
    event_id: int
    event_date: date
    conditions: tuple[str, ...]
    reviewed_on: date | None
    review_id: int | None
    open: bool


@dataclass(frozen=True)
class Violation:
    rule: str  # dispensing check code, e.g. "US-RX-WINDOW"
    date: date
    event_id: int
    explanation: str


@dataclass(frozen=True)
class Readiness:
    ready: bool
    unmet: tuple[str, ...]


@dataclass(frozen=True)
class Derived:
    course_started: bool
    course_ended: bool
    course_on_hold: bool
    hold_since: date | None
    cumulative_method: str | None
    cumulative_mg_per_kg: float | None  # the course's own method
    cumulative_mg_per_kg_alternative: float | None  # the other method
    cumulative_mg_per_kg_daily_weight: float | None
    cumulative_mg_per_kg_start_weight: float | None
    total_mg: float | None
    daily_mg_per_kg: float | None  # current dose / latest weight on or before T
    target_reached_on: date | None
    first_dispense_deadline: date | None
    earliest_compliant_start: date | None
    last_dispense_day: date | None  # last day a dispense can happen on the current test

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, eq=False)
class Evaluation:
    today: date
    profile: str
    items: Mapping[str, ItemResult]
    alerts: tuple[Alert, ...]
    violations: tuple[Violation, ...]
    on_hold: bool
    ready: Readiness
    flags: frozenset[str]
    derived: Derived
    known_item_codes: frozenset[str]

    def item(self, code: str) -> ItemResult:
        """The item ``code``; a known code the course does not report is not applicable.

        Raises ``KeyError`` for a code no rule of the rule set defines (a bare lab code such as
        ``US-B5`` included).
        """
        if code in self.items:
            return self.items[code]
        if code not in self.known_item_codes:
            raise KeyError(f"unknown item code {code!r}")
        rule_code, _, analyte = code.partition(":")
        return ItemResult(
            code=code,
            rule_code=rule_code,
            analyte=analyte or None,
            status=Status.NOT_APPLICABLE,
            due_on=None,
            satisfied_by=None,
            explanation=f"Not applicable: {code} does not apply to this course on {self.today}.",
        )

    @property
    def open_alerts(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.open)
