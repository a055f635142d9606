"""Cumulative dose, projection and dose flags (section 6 of the clinical rules)."""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta

from tracker.engine.context import CourseContext
from tracker.engine.facts import CumulativeMethod
from tracker.engine.results import Flag

EPSILON = 1e-9


@dataclass(frozen=True)
class DoseSummary:
    total_mg: float | None
    daily_weight: float | None  # mg/kg, each day's mg / that day's weight
    start_weight: float | None  # mg/kg, total mg / start weight
    daily_mg_per_kg: float | None  # current dose / latest weight on or before T
    target_reached_on: date | None
    flags: frozenset[str]

    def by_method(self, method: CumulativeMethod) -> float | None:
        if method == CumulativeMethod.START_WEIGHT:
            return self.start_weight
        return self.daily_weight


class _Series:
    """A step function over dates: the value of the latest entry on or before a day."""

    def __init__(self, entries: list[tuple[date, int, float]]) -> None:
        entries.sort()
        self.keys = [(d, p) for d, p, _ in entries]
        self.values = [v for _, _, v in entries]

    def on(self, day: date) -> float | None:
        i = bisect_right(self.keys, (day, math.inf))
        return self.values[i - 1] if i else None


def _weights(ctx: CourseContext) -> _Series:
    c = ctx.course
    # the start weight counts as recorded on S; a weight measured on S replaces it
    entries = [(w.date, 1 + w.id, w.kg) for w in ctx.upto(c.weights)]
    if c.weight_kg is not None and ctx.start is not None:
        entries.append((ctx.start, 0, c.weight_kg))
    return _Series(entries)


def _doses(ctx: CourseContext) -> _Series:
    return _Series([(d.date, d.id, d.mg_per_day) for d in ctx.upto(ctx.course.doses)])


def _treatment_days(ctx: CourseContext) -> list[date]:
    if not ctx.started or ctx.start is None:
        return []
    last = min(ctx.today, ctx.end) if ctx.end is not None else ctx.today
    return [ctx.start + timedelta(days=i) for i in range((last - ctx.start).days + 1)]


def dose_summary(ctx: CourseContext) -> DoseSummary:
    c = ctx.course
    s = ctx.ruleset.settings
    weights, doses = _weights(ctx), _doses(ctx)
    days = _treatment_days(ctx)
    flags: set[str] = set()
    if c.weight_kg is None and weights.on(ctx.today) is None:
        flags.add(Flag.WEIGHT_MISSING)
    if days and (doses.on(days[0]) is None):
        flags.add(Flag.DOSE_MISSING)  # treatment days without a recorded dose count as 0 mg

    total = 0.0
    daily: float | None = 0.0
    running: list[float | None] = []
    for day in days:
        mg = doses.on(day) or 0.0
        total += mg
        kg = weights.on(day)
        if daily is not None:
            daily = daily + mg / kg if kg else None
        if c.cumulative_method == CumulativeMethod.START_WEIGHT:
            running.append(total / c.weight_kg if c.weight_kg else None)
        else:
            running.append(daily)
    start_w = total / c.weight_kg if c.weight_kg else None
    if c.start is None:
        total_out, daily_out, start_out = None, None, None
    else:
        total_out, daily_out, start_out = total, daily, start_w

    current_kg = weights.on(ctx.today)
    current_mg = doses.on(ctx.today)
    daily_mg_per_kg = current_mg / current_kg if current_mg is not None and current_kg else None

    cumulative = start_out if c.cumulative_method == CumulativeMethod.START_WEIGHT else daily_out
    if cumulative is not None:
        if cumulative >= s.target_band_mg_per_kg - EPSILON:
            flags.add(Flag.TARGET_BAND_REACHED)
        if cumulative > s.upper_limit_mg_per_kg + EPSILON:
            flags.add(Flag.ABOVE_150)
    on_treatment_day = (
        ctx.started
        and ctx.start is not None
        and ctx.start <= ctx.today
        and (c.end is None or ctx.today <= c.end)
    )
    if on_treatment_day and daily_mg_per_kg is not None:
        if daily_mg_per_kg < s.dose_band_low_mg_per_kg_day - EPSILON:
            flags.add(Flag.DOSE_BELOW_BAND)
        if daily_mg_per_kg > s.dose_band_high_mg_per_kg_day + EPSILON:
            flags.add(Flag.DOSE_ABOVE_BAND)
    prev = c.patient.previous_course_end
    if (
        prev is not None
        and c.start is not None
        and (c.start < prev + timedelta(days=s.retreatment_gap_days))
    ):
        flags.add(Flag.RETREATMENT_GAP)

    reached = _target_reached_on(ctx, days, running, cumulative, current_mg, current_kg)
    return DoseSummary(total_out, daily_out, start_out, daily_mg_per_kg, reached, frozenset(flags))


def _target_reached_on(
    ctx: CourseContext,
    days: list[date],
    running: list[float | None],
    cumulative: float | None,
    current_mg: float | None,
    current_kg: float | None,
) -> date | None:
    """The day the course's cumulative target is (or, at today's dose and weight, will be)
    reached; None when it will not be reached by E or cannot be projected."""
    c = ctx.course
    target = c.target_mg_per_kg
    if cumulative is None or not days:
        return None
    for day, value in zip(days, running, strict=True):
        if value is not None and value >= target - EPSILON:
            return day
    if ctx.end is not None:
        return None  # the course ended below its target
    kg = c.weight_kg if c.cumulative_method == CumulativeMethod.START_WEIGHT else current_kg
    if not current_mg or not kg:
        return None
    rate = current_mg / kg
    n = max(1, math.ceil((target - cumulative) / rate - EPSILON))
    reached = days[-1] + timedelta(days=n)
    if c.end is not None and reached > c.end:
        return None  # not before the recorded last dose
    return reached
