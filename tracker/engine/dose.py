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

    def each_day(self, first: date, count: int) -> list[float | None]:
        """``on(day)`` for ``count`` consecutive days from ``first``, in one pass over the
        entries instead of one search per day."""
        i = bisect_right(self.keys, (first, math.inf))
        current = self.values[i - 1] if i else None
        out: list[float | None] = []
        done, start = 0, first.toordinal()
        while i < len(self.keys):
            change = self.keys[i][0].toordinal() - start  # the first day the entry applies
            if change >= count:
                break
            out.extend([current] * (change - done))
            done = change
            while i < len(self.keys) and self.keys[i][0].toordinal() - start == change:
                current = self.values[i]  # the last entry of a day wins, as in ``on``
                i += 1
        out.extend([current] * (count - done))
        return out


def _weights(ctx: CourseContext) -> _Series:
    c = ctx.course
    # the start weight counts as recorded on S; a weight measured on S replaces it
    entries = [(w.date, 1 + w.id, w.kg) for w in ctx.upto(c.weights)]
    if c.weight_kg is not None and ctx.start is not None:
        entries.append((ctx.start, 0, c.weight_kg))
    return _Series(entries)


def _doses(ctx: CourseContext) -> _Series:
    return _Series([(d.date, d.id, d.mg_per_day) for d in ctx.upto(ctx.course.doses)])


def _treatment_days(ctx: CourseContext) -> int:
    """The number of treatment days so far, from S (day 0) to today or E."""
    if not ctx.started or ctx.start is None:
        return 0
    last = min(ctx.today, ctx.end) if ctx.end is not None else ctx.today
    return max(0, (last - ctx.start).days + 1)


def dose_summary(ctx: CourseContext) -> DoseSummary:
    c = ctx.course
    s = ctx.ruleset.settings
    weights, doses = _weights(ctx), _doses(ctx)
    days = _treatment_days(ctx)
    mg_by_day = doses.each_day(ctx.start, days) if days else []
    kg_by_day = weights.each_day(ctx.start, days) if days else []
    flags: set[str] = set()
    if c.weight_kg is None and weights.on(ctx.today) is None:
        flags.add(Flag.WEIGHT_MISSING)
    if days and mg_by_day[0] is None:
        flags.add(Flag.DOSE_MISSING)  # treatment days without a recorded dose count as 0 mg

    total = 0.0
    daily: float | None = 0.0
    running: list[float | None] = []
    for day_mg, kg in zip(mg_by_day, kg_by_day, strict=True):
        mg = day_mg or 0.0
        total += mg
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
    days: int,
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
    for n, value in enumerate(running):
        if value is not None and value >= target - EPSILON:
            return ctx.start + timedelta(days=n)
    if ctx.end is not None:
        return None  # the course ended below its target
    kg = c.weight_kg if c.cumulative_method == CumulativeMethod.START_WEIGHT else current_kg
    if not current_mg or not kg:
        return None
    rate = current_mg / kg
    n = max(1, math.ceil((target - cumulative) / rate - EPSILON))
    # An E recorded for a date after T does not count yet (section 8): the projection
    # runs on past it, as for any ongoing course.
    return ctx.start + timedelta(days=days - 1 + n)
