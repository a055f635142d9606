"""Dispensing checks (violations), ready to prescribe, and the dates of a planned course
(section 4, and the first dispense deadline and earliest start of section 6)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date

from tracker.engine.context import CourseContext
from tracker.engine.facts import Dispense, PregnancyTest
from tracker.engine.items import (
    applicable_row,
    candidate_events,
    days,
    one_off_window,
    prerequisites_met,
    rows_by_code,
)
from tracker.engine.results import Alert, ItemResult, Readiness, Status, Violation
from tracker.engine.rules import DeadlineBasis, DispensingCheckSpec, Level, RuleCategory
from tracker.engine.vocabulary import alert_subject


def _in_force(ctx: CourseContext, check: DispensingCheckSpec, on: date) -> bool:
    if check.category == RuleCategory.CAN_GET_PREGNANT and not ctx.can_get_pregnant:
        return False
    if check.category == RuleCategory.CANNOT_GET_PREGNANT and ctx.can_get_pregnant:
        return False
    if check.effective_from is not None and on < check.effective_from:
        return False
    return check.effective_to is None or on <= check.effective_to


def _check(ctx: CourseContext, code: str) -> DispensingCheckSpec | None:
    return ctx.ruleset.check(str(ctx.course.profile), code)


# --- US legacy lockout -----------------------------------------------------------------------


def lockout_locked_test_ids(
    tests: Iterable[PregnancyTest], dispenses: Iterable[Dispense], check: DispensingCheckSpec
) -> set[int]:
    """Ids of the clinic/lab negative tests that are locked out (legacy rules).

    The first test is the screening test. A later legacy test (before ``check.legacy_before``)
    at least ``min_gap_days`` after the reference test is a confirmation test; when its window
    passes with no dispense in it, it becomes the reference, and a test fewer than
    ``min_gap_days`` after it is locked out. A test fewer than ``min_gap_days`` after the
    screening test is no confirmation test, but it is not locked out either: no window was
    missed (section 8), so a dispense resting on it leaves US-B4 unmet instead. Tests dated
    from ``legacy_before`` on are never locked out.
    """
    gap, window = check.min_gap_days or 0, check.window_days or 0
    dispense_dates = [d.date for d in dispenses]
    ref: date | None = None
    missed = False  # the reference is a confirmation test whose window passed unused
    locked: set[int] = set()
    if check.legacy_before is None:
        return locked
    for t in sorted(tests, key=lambda t: (t.date, t.id)):
        if t.date >= check.legacy_before:
            break  # later tests are never locked out, whatever came before
        if ref is None:
            ref = t.date  # the screening test
            continue
        if (t.date - ref).days < gap:
            if missed:
                locked.add(t.id)
            continue
        if not any(t.date <= d <= t.date + days(window) for d in dispense_dates):
            ref, missed = t.date, True  # the next test counts only gap days later
    return locked


def _lockout_tests(ctx: CourseContext, check: DispensingCheckSpec) -> list[PregnancyTest]:
    return [t for t in ctx.negative_tests() if t.setting in check.first_dispense_settings]


def _locked_out(
    ctx: CourseContext, check: DispensingCheckSpec, supporting: list[PregnancyTest]
) -> bool:
    """Every supporting test is locked out after a missed confirmation window."""
    dispenses = ctx.upto(ctx.course.dispenses)
    locked = lockout_locked_test_ids(_lockout_tests(ctx, check), dispenses, check)
    return bool(supporting) and all(t.id in locked for t in supporting)


# --- violations ------------------------------------------------------------------------------


def _tests_within(ctx: CourseContext, on: date, window: int | None) -> list[PregnancyTest]:
    """Negative tests dated within [on - window, on]."""
    return [t for t in ctx.negative_tests() if on - days(window or 0) <= t.date <= on]


def _first_dispense(ctx: CourseContext) -> Dispense | None:
    dispenses = ctx.upto(ctx.course.dispenses)
    return dispenses[0] if dispenses else None


def _us_window(ctx: CourseContext, chk: DispensingCheckSpec) -> Iterator[Violation]:
    first = _first_dispense(ctx)
    for d in ctx.upto(ctx.course.dispenses):
        if not _in_force(ctx, chk, d.date):
            continue
        near = _tests_within(ctx, d.date, chk.window_days)
        if d is first:
            ok = any(t.setting in chk.first_dispense_settings for t in near)
        else:
            ok = any(ctx.test_qualifies(t) for t in near)
        if not ok:
            yield Violation(
                chk.code,
                d.date,
                d.id,
                f"Dispense of {d.date} has no qualifying negative pregnancy test dated "
                f"{d.date - days(chk.window_days or 0)} to {d.date}"
                + (" (clinic or lab for the first dispense)." if d is first else "."),
            )


def _us_first_setting(ctx: CourseContext, chk: DispensingCheckSpec) -> Iterator[Violation]:
    first = _first_dispense(ctx)
    if first is None or not _in_force(ctx, chk, first.date):
        return
    near = _tests_within(ctx, first.date, chk.window_days)
    if near and not any(t.setting in chk.first_dispense_settings for t in near):
        settings = ", ".join(sorted({str(t.setting) for t in near}))
        yield Violation(
            chk.code,
            first.date,
            first.id,
            f"First dispense of {first.date} rests only on {settings} tests; the first "
            "dispense needs a clinic or lab test.",
        )


def _us_lockout(ctx: CourseContext, chk: DispensingCheckSpec) -> Iterator[Violation]:
    first = _first_dispense(ctx)
    if first is None or not _in_force(ctx, chk, first.date):
        return
    supporting = [
        t
        for t in _tests_within(ctx, first.date, chk.window_days)
        if t.setting in chk.first_dispense_settings
    ]
    if _locked_out(ctx, chk, supporting):
        yield Violation(
            chk.code,
            first.date,
            first.id,
            f"First dispense of {first.date} rests only on locked-out tests: a confirmation "
            f"test must be at least {chk.min_gap_days} days after the screening test or after "
            "a confirmation test whose window passed without a dispense.",
        )


def _supply(ctx: CourseContext, chk: DispensingCheckSpec) -> Iterator[Violation]:
    if chk.max_supply_days is None:
        return
    c = ctx.course
    for kind, events in (
        ("Prescription", ctx.upto(c.prescriptions)),
        ("Dispense", ctx.upto(c.dispenses)),
    ):
        for e in events:
            if _in_force(ctx, chk, e.date) and e.supply_days > chk.max_supply_days:
                yield Violation(
                    chk.code,
                    e.date,
                    e.id,
                    f"{kind} of {e.date} supplies {e.supply_days} days; at most "
                    f"{chk.max_supply_days}.",
                )


def _uk_test_window(ctx: CourseContext, chk: DispensingCheckSpec) -> Iterator[Violation]:
    for p in ctx.upto(ctx.course.prescriptions):
        if not _in_force(ctx, chk, p.date):
            continue
        if not any(ctx.test_qualifies(t) for t in _tests_within(ctx, p.date, chk.window_days)):
            yield Violation(
                chk.code,
                p.date,
                p.id,
                f"Prescription of {p.date} has no qualifying negative pregnancy test dated "
                f"{p.date - days(chk.window_days or 0)} to {p.date}.",
            )


def _uk_dispense(ctx: CourseContext, chk: DispensingCheckSpec) -> Iterator[Violation]:
    prescriptions = ctx.upto(ctx.course.prescriptions)
    for d in ctx.upto(ctx.course.dispenses):
        if not _in_force(ctx, chk, d.date):
            continue
        rx = [p for p in prescriptions if p.date <= d.date]
        if not rx:
            yield Violation(chk.code, d.date, d.id, f"Dispense of {d.date} has no prescription.")
        elif d.date > rx[-1].date + days(chk.window_days or 0):
            last = rx[-1].date + days(chk.window_days or 0)
            yield Violation(
                chk.code,
                d.date,
                d.id,
                f"Dispense of {d.date} is after the last day ({last}) for its prescription of "
                f"{rx[-1].date}.",
            )


# One function per check code (rules.CHECK_CODES); its numbers come from the check row.
CHECKS: dict[str, Callable[[CourseContext, DispensingCheckSpec], Iterator[Violation]]] = {
    "US-RX-WINDOW": _us_window,
    "US-RX-FIRST-SETTING": _us_first_setting,
    "US-RX-LOCKOUT": _us_lockout,
    "RX-SUPPLY": _supply,
    "UK-RX-TEST-WINDOW": _uk_test_window,
    "UK-RX-DISPENSE": _uk_dispense,
}


def evaluate_violations(ctx: CourseContext) -> tuple[Violation, ...]:
    out = [
        v
        for chk in ctx.ruleset.checks_for(str(ctx.course.profile))
        for v in CHECKS[chk.code](ctx, chk)
    ]
    return tuple(sorted(out, key=lambda v: (v.date, v.rule, v.event_id)))


# --- dates of a course that has not started --------------------------------------------------


def first_dispense_deadline(ctx: CourseContext) -> date | None:
    s = ctx.settings
    if ctx.started or s is None:
        return None
    if s.first_dispense_deadline_basis == DeadlineBasis.PRESCRIPTION:
        rx = ctx.upto(ctx.course.prescriptions)
        return rx[-1].date + days(s.first_dispense_deadline_days) if rx else None
    if not ctx.can_get_pregnant:
        return None
    serving = confirmation_tests(ctx)
    return serving[-1].date + days(s.first_dispense_deadline_days) if serving else None


def confirmation_tests(ctx: CourseContext) -> list[PregnancyTest]:
    """Tests that could support a first dispense on their own date: the pre-start test rule
    would be met, and under the legacy rules the test is not locked out."""
    s = ctx.settings
    if s is None:
        return []
    rule, _ = applicable_row(ctx, rows_by_code(ctx, s.pre_start_test_rule), ctx.start)
    if rule is None:
        return []
    lock = _check(ctx, "US-RX-LOCKOUT")
    out = []
    for t in ctx.negative_tests():
        if t.setting not in s.pre_start_test_settings:
            continue
        w = one_off_window(ctx, rule, t.date)
        if (
            w is None
            or not (w.lo is None or w.lo <= t.date)
            or not (w.hi is None or t.date <= w.hi)
        ):
            continue
        if not prerequisites_met(ctx, rule, t.date, t.date):
            continue
        if lock and _in_force(ctx, lock, t.date) and _locked_out(ctx, lock, [t]):
            continue
        out.append(t)
    return out


def earliest_compliant_start(ctx: CourseContext) -> date | None:
    """The first date a course could start with every waiting period of the pre-start test
    rule met (CGP, not exempt); None until each waiting period has its first event."""
    s = ctx.settings
    c = ctx.course
    if ctx.started or s is None or not ctx.can_get_pregnant or c.patient.contraception_exempt:
        return None
    rows = rows_by_code(ctx, s.pre_start_test_rule)
    if not rows:
        return None
    terms: list[date] = []
    for p in rows[0].prerequisites:
        prow, _ = applicable_row(ctx, rows_by_code(ctx, p.rule), ctx.start)
        if prow is None:
            continue
        events = candidate_events(ctx, prow, None)
        if not events:
            return None
        terms.append(events[0].date + days(p.min_days))
    return max(terms) if terms else None


def last_dispense_day(ctx: CourseContext) -> date | None:
    """The last day a dispense can happen on the current test (US) or prescription (UK/EU)."""
    first = not ctx.upto(ctx.course.dispenses)
    us = _check(ctx, "US-RX-WINDOW")
    if us is not None:
        if not _in_force(ctx, us, ctx.today):
            return None
        tests = [
            t
            for t in ctx.negative_tests()
            if (t.setting in us.first_dispense_settings if first else ctx.test_qualifies(t))
        ]
        return tests[-1].date + days(us.window_days or 0) if tests else None
    uk = _check(ctx, "UK-RX-DISPENSE")
    if uk is not None:
        rx = ctx.upto(ctx.course.prescriptions)
        return rx[-1].date + days(uk.window_days or 0) if rx else None
    return None


# --- ready to prescribe ----------------------------------------------------------------------


_DONE = (Status.SATISFIED, Status.NOT_APPLICABLE)


def readiness(
    ctx: CourseContext,
    items: Mapping[str, ItemResult],
    alerts: Iterable[Alert],
    missing: Iterable[str],
) -> Readiness:
    c = ctx.course
    unmet: list[str] = list(missing)
    if ctx.end is not None:
        unmet.append(f"The course ended on {ctx.end}.")
    if ctx.hold_test is not None:
        unmet.append(
            f"The course is on hold after the positive pregnancy test of {ctx.hold_test.date}."
        )
    for a in alerts:
        if a.open and a.level == Level.CRITICAL:
            subject = alert_subject(a.source, a.analyte, a.instrument)
            unmet.append(f"Critical {subject} alert of {a.event_date} is not reviewed.")
    first = not ctx.upto(c.dispenses)
    for it in items.values():
        baseline_unmet = first and it.baseline and it.status not in _DONE
        # gating items count for the first dispense too (a started course with none recorded)
        gate_overdue = it.gates_dispensing and it.status == Status.OVERDUE
        if baseline_unmet or gate_overdue:
            unmet.append(f"{it.code}: {it.explanation}")
    s = ctx.settings
    if ctx.can_get_pregnant and s is not None:
        lo = ctx.today - days(s.ready_test_window_days)
        recent = [
            t
            for t in ctx.negative_tests()
            if lo <= t.date and ctx.test_qualifies(t, first_dispense=first)
        ]
        if not recent:
            accepted = ", ".join(
                s.pre_start_test_settings if first else ctx.accepted_settings(ctx.today)
            )
            unmet.append(
                f"No qualifying negative pregnancy test dated {lo} to {ctx.today} ({accepted})."
            )
        lock = _check(ctx, "US-RX-LOCKOUT")
        if (
            recent
            and first
            and lock
            and _in_force(ctx, lock, ctx.today)
            and _locked_out(ctx, lock, recent)
        ):
            unmet.append(
                f"Every recent test is locked out: a confirmation test must be at least "
                f"{lock.min_gap_days} days after the previous one."
            )
    return Readiness(ready=not unmet, unmet=tuple(unmet))
