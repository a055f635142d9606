"""Dispensing checks (violations), ready to prescribe, and the dates of a planned course
(section 4, and the first dispense deadline and earliest start of section 6)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


def lockout_valid_test_ids(
    tests: Iterable[PregnancyTest], dispenses: Iterable[Dispense], check: DispensingCheckSpec
) -> set[int]:
    """Ids of the clinic/lab negative tests that can serve as a confirmation test.

    Legacy tests (before ``check.legacy_before``) serve only when at least ``min_gap_days``
    after the reference test: first the screening test, then every confirmation test whose
    window passed with no dispense in it. Later tests are never locked out.
    """
    gap, window = check.min_gap_days or 0, check.window_days or 0
    dispense_dates = [d.date for d in dispenses]
    ref: date | None = None
    valid: set[int] = set()
    for t in sorted(tests, key=lambda t: (t.date, t.id)):
        if check.legacy_before is None or t.date >= check.legacy_before:
            valid.add(t.id)
            continue
        if ref is None:
            ref = t.date  # the screening test
            continue
        if (t.date - ref).days >= gap:
            valid.add(t.id)
            if not any(t.date <= d <= t.date + days(window) for d in dispense_dates):
                ref = t.date  # missed window: the next test counts only gap days later
    return valid


def _lockout_tests(ctx: CourseContext, check: DispensingCheckSpec) -> list[PregnancyTest]:
    return [t for t in ctx.negative_tests() if t.setting in check.first_dispense_settings]


def _locked_out(
    ctx: CourseContext, check: DispensingCheckSpec, supporting: list[PregnancyTest]
) -> bool:
    """Every supporting test is a legacy test that cannot serve as a confirmation test."""
    dispenses = ctx.upto(ctx.course.dispenses)
    valid = lockout_valid_test_ids(_lockout_tests(ctx, check), dispenses, check)
    return bool(supporting) and all(
        check.legacy_before is not None and t.date < check.legacy_before and t.id not in valid
        for t in supporting
    )


# --- violations ------------------------------------------------------------------------------


def evaluate_violations(ctx: CourseContext) -> tuple[Violation, ...]:
    c = ctx.course
    dispenses = ctx.upto(c.dispenses)
    prescriptions = ctx.upto(c.prescriptions)
    first = dispenses[0] if dispenses else None
    out: list[Violation] = []

    chk = _check(ctx, "US-RX-WINDOW")
    setting_chk = _check(ctx, "US-RX-FIRST-SETTING")
    for d in dispenses:
        is_first = d is first
        near = (
            [
                t
                for t in ctx.negative_tests()
                if d.date - days((chk or setting_chk).window_days or 0) <= t.date <= d.date
            ]
            if (chk or setting_chk)
            else []
        )
        if chk and _in_force(ctx, chk, d.date):
            if is_first:
                ok = any(t.setting in chk.first_dispense_settings for t in near)
            else:
                ok = any(ctx.test_qualifies(t) for t in near)
            if not ok:
                out.append(
                    Violation(
                        chk.code,
                        d.date,
                        d.id,
                        f"Dispense of {d.date} has no qualifying negative pregnancy test dated "
                        f"{d.date - days(chk.window_days or 0)} to {d.date}"
                        + (" (clinic or lab for the first dispense)." if is_first else "."),
                    )
                )
        if (
            is_first
            and setting_chk
            and _in_force(ctx, setting_chk, d.date)
            and near
            and not any(t.setting in setting_chk.first_dispense_settings for t in near)
        ):
            settings = ", ".join(sorted({str(t.setting) for t in near}))
            out.append(
                Violation(
                    setting_chk.code,
                    d.date,
                    d.id,
                    f"First dispense of {d.date} rests only on {settings} tests; the first "
                    f"dispense needs a clinic or lab test.",
                )
            )

    lock = _check(ctx, "US-RX-LOCKOUT")
    if lock and first is not None and _in_force(ctx, lock, first.date):
        supporting = [
            t
            for t in _lockout_tests(ctx, lock)
            if first.date - days(lock.window_days or 0) <= t.date <= first.date
        ]
        if _locked_out(ctx, lock, supporting):
            out.append(
                Violation(
                    lock.code,
                    first.date,
                    first.id,
                    f"First dispense of {first.date} rests only on locked-out tests: a "
                    f"confirmation test must be at least {lock.min_gap_days} days after the "
                    "screening test or after a confirmation test whose window passed without a "
                    "dispense.",
                )
            )

    supply = _check(ctx, "RX-SUPPLY")
    if supply and supply.max_supply_days is not None:
        for kind, events in (("Prescription", prescriptions), ("Dispense", dispenses)):
            for e in events:
                if _in_force(ctx, supply, e.date) and e.supply_days > supply.max_supply_days:
                    out.append(
                        Violation(
                            supply.code,
                            e.date,
                            e.id,
                            f"{kind} of {e.date} supplies {e.supply_days} days; at most "
                            f"{supply.max_supply_days}.",
                        )
                    )

    window = _check(ctx, "UK-RX-TEST-WINDOW")
    if window:
        w = window.window_days or 0
        for p in prescriptions:
            if not _in_force(ctx, window, p.date):
                continue
            if not any(p.date - days(w) <= t.date <= p.date for t in ctx.qualifying_tests()):
                out.append(
                    Violation(
                        window.code,
                        p.date,
                        p.id,
                        f"Prescription of {p.date} has no qualifying negative pregnancy test dated "
                        f"{p.date - days(w)} to {p.date}.",
                    )
                )

    belong = _check(ctx, "UK-RX-DISPENSE")
    if belong:
        w = belong.window_days or 0
        for d in dispenses:
            if not _in_force(ctx, belong, d.date):
                continue
            rx = [p for p in prescriptions if p.date <= d.date]
            if not rx:
                out.append(
                    Violation(
                        belong.code, d.date, d.id, f"Dispense of {d.date} has no prescription."
                    )
                )
            elif d.date > rx[-1].date + days(w):
                out.append(
                    Violation(
                        belong.code,
                        d.date,
                        d.id,
                        f"Dispense of {d.date} is more than {w} days after its prescription of "
                        f"{rx[-1].date} (last day {rx[-1].date + days(w)}).",
                    )
                )
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
            subject = a.analyte or a.instrument or a.source.replace("_", " ")
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
