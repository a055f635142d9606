"""Lab, pregnancy-test and mood-screen alerts (section 5 of the clinical rules)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from tracker.engine.analytes import ANALYTES
from tracker.engine.context import CourseContext
from tracker.engine.facts import AlertReview, LabResult, MoodScreen, TestResult
from tracker.engine.results import Alert
from tracker.engine.rules import AlertSource, Comparison, Level, ThresholdSpec


def _fmt(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0")


def lab_conditions(
    result: LabResult, thresholds: Iterable[ThresholdSpec], default_uln: float
) -> list[tuple[ThresholdSpec, str]]:
    """The thresholds a lab result meets, each with plain words naming the value compared."""
    unit = ANALYTES[result.analyte].canonical_unit if result.analyte in ANALYTES else ""
    uln = result.uln if result.uln is not None else default_uln
    value = result.canonical_value
    met: list[tuple[ThresholdSpec, str]] = []
    for t in thresholds:
        if t.source != AlertSource.LAB or t.analyte != result.analyte or not t.active:
            continue
        match t.comparison:
            case Comparison.GTE:
                hit = value >= t.value
            case Comparison.GT:
                hit = value > t.value
            case Comparison.LT:
                hit = value < t.value
            case Comparison.ULN_GT:
                hit = value > t.value * uln
            case _:
                hit = False
        if not hit:
            continue
        words = f"{t.label}: {_fmt(value)} {unit}"
        if t.comparison == Comparison.ULN_GT:
            words += f", ULN {_fmt(uln)} {unit}"
            if result.uln is None:
                words += " (ULN assumed)"
        met.append((t, words))
    return met


def mood_conditions(
    screen: MoodScreen, thresholds: Iterable[ThresholdSpec]
) -> list[tuple[ThresholdSpec, str]]:
    met: list[tuple[ThresholdSpec, str]] = []
    for t in thresholds:
        if (
            t.source != AlertSource.MOOD_SCREEN
            or t.instrument != str(screen.instrument)
            or not t.active
        ):
            continue
        match t.comparison:
            case Comparison.GTE:
                hit, got = screen.total >= t.value, f"total {screen.total}"
            case Comparison.GT:
                hit, got = screen.total > t.value, f"total {screen.total}"
            case Comparison.ITEM9_GTE:
                hit = screen.item9 is not None and screen.item9 >= t.value
                got = f"item 9 = {screen.item9}"
            case _:
                hit, got = False, ""
        if hit:
            met.append((t, f"{t.label}: {got}"))
    return met


def _review(
    reviews: tuple[AlertReview, ...],
    source: str,
    analyte: str | None,
    instrument: str | None,
    on: date,
) -> AlertReview | None:
    for r in reviews:  # sorted by date: the first matching review closes the alert
        if r.source != source or r.date < on:
            continue
        if r.analyte is not None and r.analyte != analyte:
            continue
        if r.instrument is not None and r.instrument != instrument:
            continue
        return r
    return None


def _alert(
    ctx: CourseContext,
    source: AlertSource,
    analyte: str | None,
    instrument: str | None,
    event_id: int,
    on: date,
    met: list[tuple[ThresholdSpec, str]],
) -> Alert | None:
    if not met:
        return None
    level = max((t.level for t, _ in met), key=lambda lv: lv.rank)
    ordered = sorted(met, key=lambda m: -m[0].level.rank)
    review = _review(ctx.upto(ctx.course.alert_reviews), str(source), analyte, instrument, on)
    return Alert(
        source=str(source),
        analyte=analyte,
        instrument=instrument,
        level=level,
        event_id=event_id,
        event_date=on,
        conditions=tuple(words for _, words in ordered),
        reviewed_on=review.date if review else None,
        review_id=review.id if review else None,
        open=review is None,
    )


def evaluate_alerts(ctx: CourseContext) -> tuple[Alert, ...]:
    """One alert per result or screen meeting a threshold, at the highest level met."""
    thresholds = ctx.ruleset.thresholds
    uln = ctx.ruleset.settings.default_uln
    alerts: list[Alert] = []
    for r in ctx.upto(ctx.course.lab_results):
        a = _alert(
            ctx, AlertSource.LAB, r.analyte, None, r.id, r.date, lab_conditions(r, thresholds, uln)
        )
        if a:
            alerts.append(a)
    positive = [
        t
        for t in thresholds
        if t.source == AlertSource.PREGNANCY_TEST
        and t.comparison == Comparison.POSITIVE
        and t.active
    ]
    for test in ctx.tests():
        if test.result == TestResult.POSITIVE:
            met = [(t, f"{t.label}: {test.setting} test") for t in positive]
            a = _alert(ctx, AlertSource.PREGNANCY_TEST, None, None, test.id, test.date, met)
            if a:
                alerts.append(a)
    for m in ctx.upto(ctx.course.mood_screens):
        a = _alert(
            ctx,
            AlertSource.MOOD_SCREEN,
            None,
            str(m.instrument),
            m.id,
            m.date,
            mood_conditions(m, thresholds),
        )
        if a:
            alerts.append(a)
    return tuple(sorted(alerts, key=lambda a: (a.event_date, a.source, a.event_id)))


def lab_levels(alerts: Iterable[Alert]) -> dict[int, Level]:
    return {a.event_id: a.level for a in alerts if a.source == AlertSource.LAB}
