"""Status of each monitoring item (section 2 and 3 of the clinical rules)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from tracker.engine.analytes import ANALYTES
from tracker.engine.context import CourseContext
from tracker.engine.facts import Category, DoseChange
from tracker.engine.results import EventRef, ItemResult, Status
from tracker.engine.rules import (
    ANCHOR_WORDS,
    CATEGORY_WORDS,
    DueAnchor,
    Level,
    Phase,
    RuleCategory,
    RuleSpec,
    Satisfier,
    signed_days,
)
from tracker.engine.vocabulary import EVENT_KINDS


@cache
def days(n: int) -> timedelta:
    return timedelta(days=n)


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def item_status(*, due_on: date, today: date, lead: int, grace: int) -> Status:
    if today < due_on - days(lead):
        return Status.UPCOMING
    return Status.DUE_SOON if today <= due_on + days(grace) else Status.OVERDUE


def _relative(n: int, label: str, on: date) -> str:
    return signed_days(n, f"the {label} of {on}")


def _timing_text(status: Status, what: str, due: date, basis: str, lead: int, grace: int) -> str:
    if status == Status.UPCOMING:
        return f"Upcoming: {what} due {due} ({basis}); due soon from {due - days(lead)}."
    if status == Status.DUE_SOON:
        after = f"overdue after {due + days(grace)}" if grace else "overdue from the next day"
        return f"Due soon: {what} due {due} ({basis}); {after}."
    grace_words = f"{grace}-day grace ended {due + days(grace)}" if grace else "no grace period"
    return f"Overdue: {what} was due {due} ({basis}); {grace_words}."


def _window_words(lo: date | None, hi: date | None) -> str:
    if lo is None and hi is None:
        return "any date"
    if lo is None:
        return f"on or before {hi}"
    if hi is None:
        return f"on or after {lo}"
    return f"between {lo} and {hi}"


def what(rule: RuleSpec, analyte: str | None) -> str:
    return f"{rule.name} ({ANALYTES[analyte].label})" if analyte else rule.name


def event_words(rule: RuleSpec, analyte: str | None) -> str:
    if rule.satisfier == Satisfier.LAB and analyte:
        return f"{ANALYTES[analyte].label} result"
    return EVENT_KINDS[str(rule.satisfier)].phrase


# --- applicability ---------------------------------------------------------------------------


def row_reason(ctx: CourseContext, rule: RuleSpec, start: date | None) -> str | None:
    """Why this rule row does not apply to the course on T, or None when it applies."""
    if not rule.active:
        return "switched off in this rule set"
    if not _category_matches(ctx, rule):
        return f"applies to {CATEGORY_WORDS[rule.category]}"
    who = CATEGORY_WORDS[rule.category]
    if rule.effective_from is not None and ctx.today < rule.effective_from:
        return f"applies to {who} from {rule.effective_from}"
    if rule.effective_to is not None and ctx.today > rule.effective_to:
        return f"applied to {who} until {rule.effective_to}"
    if rule.excludes_contraception_exempt and ctx.course.patient.contraception_exempt:
        return "the patient is exempt from contraception (no expected risk of pregnancy)"
    if rule.max_age_at_start is not None and start is not None:
        age = age_on(ctx.course.patient.date_of_birth, start)
        if age > rule.max_age_at_start:
            return (
                f"applies to patients aged {rule.max_age_at_start} or under at the start "
                f"(aged {age} on {start})"
            )
    if start is not None and (
        (rule.start_from is not None and start < rule.start_from)
        or (rule.start_to is not None and start > rule.start_to)
    ):
        return (
            f"applies to courses starting {_window_words(rule.start_from, rule.start_to)} "
            f"(start {start})"
        )
    return None


def _category_matches(ctx: CourseContext, rule: RuleSpec) -> bool:
    if rule.category == RuleCategory.ALL:
        return True
    if rule.category == RuleCategory.CAN_GET_PREGNANT:
        return ctx.can_get_pregnant
    return ctx.category == Category.CANNOT_GET_PREGNANT


def applicable_row(
    ctx: CourseContext, rows: tuple[RuleSpec, ...], start: date | None
) -> tuple[RuleSpec | None, str]:
    reasons: list[tuple[bool, str]] = []
    for row in rows:
        reason = row_reason(ctx, row, start)
        if reason is None:
            return row, ""
        reasons.append((_category_matches(ctx, row), reason))
    best = next((r for ok, r in reasons if ok), reasons[0][1] if reasons else "no rule")
    return None, best


def rows_by_code(ctx: CourseContext, code: str) -> tuple[RuleSpec, ...]:
    return ctx.ruleset.rows_for(ctx.profile, code)


# --- events ----------------------------------------------------------------------------------


def candidate_events(
    ctx: CourseContext, rule: RuleSpec, analyte: str | None
) -> tuple[EventRef, ...]:
    """Events dated on or before T that would satisfy ``rule`` (ignoring its window)."""
    key = ("candidates", id(rule), analyte)
    if key not in ctx.memo:
        ctx.memo[key] = tuple(_candidate_events(ctx, rule, analyte))
    return ctx.memo[key]


def _candidate_events(ctx: CourseContext, rule: RuleSpec, analyte: str | None) -> list[EventRef]:
    c = ctx.course
    kind = rule.satisfier
    match kind:
        case (
            Satisfier.CONSENT
            | Satisfier.RISK_ACKNOWLEDGEMENT
            | Satisfier.SECOND_PRESCRIBER
            | Satisfier.REMS_CONFIRMATION
        ):
            return [
                EventRef(str(kind), e.id, e.date)
                for e in ctx.upto(c.confirmations)
                if str(e.kind) == str(kind)
            ]
        case Satisfier.CONTRACEPTION_START | Satisfier.CONTRACEPTION_ATTESTATION:
            events = (
                c.contraception_starts
                if kind == Satisfier.CONTRACEPTION_START
                else c.contraception_attestations
            )
            return [
                EventRef(str(kind), e.id, e.date)
                for e in ctx.upto(events)
                if ctx.methods_qualify(e.methods, rule.min_methods)
            ]
        case Satisfier.PREGNANCY_TEST:
            return [EventRef(str(kind), t.id, t.date) for t in ctx.qualifying_tests()]
        case Satisfier.LAB:
            return [
                EventRef(str(kind), r.id, r.date)
                for r in ctx.upto(c.lab_results)
                if r.analyte == analyte
            ]
        case Satisfier.MOOD_SCREEN:
            return [
                EventRef(str(kind), m.id, m.date)
                for m in ctx.upto(c.mood_screens)
                if str(m.instrument) in rule.instruments
            ]
        case Satisfier.SEXUAL_FUNCTION:
            return [EventRef(str(kind), s.id, s.date) for s in ctx.upto(c.sexual_function_reviews)]
    raise ValueError(f"unknown satisfier {kind!r}")  # pragma: no cover


def latest_dose_increase(ctx: CourseContext) -> DoseChange | None:
    """The latest dose exceeding every earlier dose of the course (section 2)."""
    peak: float | None = None
    latest: DoseChange | None = None
    for d in ctx.upto(ctx.course.doses):
        if peak is None or d.mg_per_day > peak:
            peak = d.mg_per_day
            latest = d
    return latest


# --- one-off items ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    due: date
    lo: date | None
    hi: date | None
    basis: str  # plain words: what the due date is counted from


def one_off_window(ctx: CourseContext, rule: RuleSpec, start: date) -> Window | None:
    """The due date and acceptance window of a one-off rule for course start ``start``."""
    key = ("window", id(rule), start)
    if key not in ctx.memo:
        ctx.memo[key] = _one_off_window(ctx, rule, start)
    return ctx.memo[key]


def _one_off_window(ctx: CourseContext, rule: RuleSpec, start: date) -> Window | None:
    base, label = start, ANCHOR_WORDS[DueAnchor.START]
    match rule.due_anchor:
        case DueAnchor.END:
            if ctx.end is None:
                return None
            base, label = ctx.end, ANCHOR_WORDS[DueAnchor.END]
        case DueAnchor.FIRST_PRESCRIPTION:
            rx = ctx.upto(ctx.course.prescriptions)
            if rx:
                base, label = rx[0].date, ANCHOR_WORDS[DueAnchor.FIRST_PRESCRIPTION]
        case DueAnchor.PEAK_DOSE:
            inc = latest_dose_increase(ctx)
            if inc is not None:
                base, label = inc.date, ANCHOR_WORDS[DueAnchor.PEAK_DOSE]
    due = base + days(rule.due_offset)
    basis = _relative(rule.due_offset, label, base)
    if rule.min_due_offset_from_start is not None:
        floor = start + days(rule.min_due_offset_from_start)
        if floor >= due:
            due = floor
            basis = _relative(rule.min_due_offset_from_start, ANCHOR_WORDS[DueAnchor.START], start)
    lo = due + days(rule.window_from) if rule.window_from is not None else None
    hi = due + days(rule.window_to) if rule.window_to is not None else None
    if rule.window_closes_at_end and ctx.end is not None:
        hi = ctx.end if hi is None else min(hi, ctx.end)
    return Window(due, lo, hi, basis)


def _in_window(d: date, lo: date | None, hi: date | None) -> bool:
    return (lo is None or d >= lo) and (hi is None or d <= hi)


def satisfying_events(
    ctx: CourseContext, rule: RuleSpec, analyte: str | None, start: date
) -> tuple[EventRef, ...]:
    """Events inside the one-off rule's window (for course start ``start``) meeting its
    prerequisites."""
    key = ("satisfying", id(rule), analyte, start)
    if key in ctx.memo:
        return ctx.memo[key]
    w = one_off_window(ctx, rule, start)
    events = (
        ()
        if w is None
        else tuple(
            e
            for e in candidate_events(ctx, rule, analyte)
            if _in_window(e.date, w.lo, w.hi) and prerequisites_met(ctx, rule, e.date, start)
        )
    )
    ctx.memo[key] = events
    return events


def prerequisites_met(ctx: CourseContext, rule: RuleSpec, on: date, start: date) -> bool:
    for p in rule.prerequisites:
        if p.waived_if_contraception_exempt and ctx.course.patient.contraception_exempt:
            continue
        prow, _ = applicable_row(ctx, rows_by_code(ctx, p.rule), start)
        if prow is None:
            return False  # the safer reading: a prerequisite that cannot be met is not met
        if not any(
            on >= e.date + days(p.min_days) for e in satisfying_events(ctx, prow, None, start)
        ):
            return False
    return True


def _prerequisite_words(rule: RuleSpec) -> str:
    return " and ".join(
        f"at least {p.min_days} days after an event meeting {p.rule}" for p in rule.prerequisites
    )


def _one_off(ctx: CourseContext, code: str, rule: RuleSpec, analyte: str | None) -> ItemResult:
    assert ctx.start is not None
    name = what(rule, analyte)
    w = one_off_window(ctx, rule, ctx.start)
    if w is None:  # pragma: no cover - post-course items are not applicable before E
        return _na(code, rule, analyte, "the course has not ended")
    if (
        rule.not_applicable_if_end_before_window
        and ctx.end is not None
        and w.lo is not None
        and (ctx.end < w.lo)
    ):
        return _na(
            code, rule, analyte, f"the course ended {ctx.end}, before the window opened {w.lo}"
        )
    accepted = satisfying_events(ctx, rule, analyte, ctx.start)
    if accepted:
        e = accepted[-1]
        return _result(
            code,
            rule,
            analyte,
            Status.SATISFIED,
            w.due,
            e,
            f"Satisfied: {name} by the {event_words(rule, analyte)} of {e.date} "
            f"(accepted {_window_words(w.lo, w.hi)}).",
        )
    status = item_status(due_on=w.due, today=ctx.today, lead=rule.lead, grace=rule.grace)
    text = _timing_text(status, name, w.due, w.basis, rule.lead, rule.grace)
    in_window = [e for e in candidate_events(ctx, rule, analyte) if _in_window(e.date, w.lo, w.hi)]
    detail = f" Accepted {_window_words(w.lo, w.hi)}"
    if in_window and rule.prerequisites:
        detail += (
            f"; the {event_words(rule, analyte)} of {in_window[-1].date} is not "
            f"{_prerequisite_words(rule)}"
        )
    return _result(code, rule, analyte, status, w.due, None, text + detail + ".")


# --- recurring items -------------------------------------------------------------------------


def _recurring(ctx: CourseContext, code: str, rule: RuleSpec, analyte: str | None) -> ItemResult:
    assert ctx.start is not None
    assert rule.interval is not None
    name = what(rule, analyte)
    events = candidate_events(ctx, rule, analyte)
    if rule.anchor_min_offset_from_start is not None:
        floor = ctx.start + days(rule.anchor_min_offset_from_start)
        events = [e for e in events if e.date >= floor]
    latest = events[-1] if events else None  # the qualifying event the schedule runs from
    if latest is not None:
        anchor = latest.date
        basis = _relative(rule.interval, event_words(rule, analyte), anchor)
    else:
        anchor = ctx.start
        basis = _relative(rule.interval, ANCHOR_WORDS[DueAnchor.START], anchor)
    due = anchor + days(rule.interval)
    if rule.stop_offset_from_end is not None and ctx.end is not None:
        stop = ctx.end + days(rule.stop_offset_from_end)
        if due > stop:
            return _result(
                code,
                rule,
                analyte,
                Status.CLOSED,
                due,
                None,
                f"Closed: the next {name} would be due {due} ({basis}), after its stop date "
                f"{stop} ({_relative(rule.stop_offset_from_end, 'last dose', ctx.end)}).",
                latest,
            )
    status = item_status(due_on=due, today=ctx.today, lead=rule.lead, grace=rule.grace)
    return _result(
        code,
        rule,
        analyte,
        status,
        due,
        None,
        _timing_text(status, name, due, basis, rule.lead, rule.grace),
        latest,
    )


# --- repeat after an abnormal result ---------------------------------------------------------


def _repeat(
    ctx: CourseContext,
    code: str,
    rule: RuleSpec,
    analyte: str,
    levels: Mapping[int, Level],
) -> ItemResult:
    results = [r for r in ctx.upto(ctx.course.lab_results) if r.analyte == analyte]
    abnormal = [r for r in results if levels.get(r.id, Level.INFO).rank >= Level.HIGH.rank]
    name = what(rule, analyte)
    if not abnormal:
        return _na(code, rule, analyte, f"no high or critical {ANALYTES[analyte].label} result")
    opener = abnormal[-1]
    w = one_off_window(ctx, rule, opener.date)
    assert w is not None
    basis = _relative(rule.due_offset, f"{levels[opener.id]} result", opener.date)
    later = [r for r in results if r.date > opener.date and _in_window(r.date, w.lo, w.hi)]
    if later:
        e = later[0]
        return _result(
            code,
            rule,
            analyte,
            Status.SATISFIED,
            w.due,
            EventRef("lab", e.id, e.date),
            f"Satisfied: {name} after the {levels[opener.id]} result of {opener.date} by the "
            f"result of {e.date}.",
        )
    status = item_status(due_on=w.due, today=ctx.today, lead=rule.lead, grace=rule.grace)
    return _result(
        code,
        rule,
        analyte,
        status,
        w.due,
        None,
        _timing_text(status, name, w.due, basis, rule.lead, rule.grace),
    )


# --- assembling ------------------------------------------------------------------------------


def _result(
    code: str,
    rule: RuleSpec,
    analyte: str | None,
    status: Status,
    due: date | None,
    by: EventRef | None,
    text: str,
    latest: EventRef | None = None,
) -> ItemResult:
    return ItemResult(
        code=code,
        rule_code=rule.code,
        analyte=analyte,
        status=status,
        due_on=due,
        satisfied_by=by,
        explanation=text,
        gates_dispensing=rule.gates_dispensing,
        baseline=rule.baseline,
        latest_event=latest,
    )


def _na(code: str, rule: RuleSpec, analyte: str | None, reason: str) -> ItemResult:
    return _result(
        code, rule, analyte, Status.NOT_APPLICABLE, None, None, f"Not applicable: {reason}."
    )


def _course_state_reason(ctx: CourseContext, rule: RuleSpec) -> str | None:
    if rule.phase == Phase.TREATMENT and not ctx.started:
        return "the course has not started"
    if rule.phase == Phase.POST_COURSE and not ctx.ended:
        return "the course has not ended"
    if rule.gates_dispensing and ctx.hold_test is not None:
        return f"the course is on hold (positive pregnancy test of {ctx.hold_test.date})"
    return None


def evaluate_items(ctx: CourseContext, levels: Mapping[int, Level]) -> dict[str, ItemResult]:
    """Every item of the course's profile, keyed by item code, in rule order.

    ``levels`` maps lab result ids to the level of the alert each opened (for the repeat item).
    """
    # rules that wait for another rule are evaluated after it, and reported in rule order
    codes, order = ctx.ruleset.evaluation_order(ctx.profile)
    out: dict[str, ItemResult] = {}
    for code in codes:
        rows = rows_by_code(ctx, code)
        first = rows[0]
        row, reason = applicable_row(ctx, rows, ctx.start)
        if first.due_anchor == DueAnchor.ABNORMAL_RESULT:
            reported = {r.analyte for r in ctx.upto(ctx.course.lab_results)}
            analytes = tuple(a for a in ANALYTES if a in reported)
            if first.analytes:
                analytes = tuple(a for a in analytes if a in first.analytes)
            for a in analytes:
                item_code = f"{code}:{a}"
                out[item_code] = (
                    _repeat(ctx, item_code, row, a, levels)
                    if row is not None
                    else _na(item_code, first, a, reason)
                )
            continue
        analytes_or_none: tuple[str | None, ...] = tuple(
            dict.fromkeys(a for r in rows for a in r.analytes)
        ) or (None,)
        for a in analytes_or_none:
            item_code = f"{code}:{a}" if a else code
            out[item_code] = _evaluate_one(ctx, item_code, rows, row, reason, a, out)
    return dict(sorted(out.items(), key=lambda kv: order[kv[1].rule_code]))


def _evaluate_one(
    ctx: CourseContext,
    item_code: str,
    rows: tuple[RuleSpec, ...],
    row: RuleSpec | None,
    reason: str,
    analyte: str | None,
    done: Mapping[str, ItemResult],
) -> ItemResult:
    if row is None:
        return _na(item_code, rows[0], analyte, reason)
    state = _course_state_reason(ctx, row)
    if state is not None:
        return _na(item_code, row, analyte, state)
    if row.requires_satisfied:
        req_code = f"{row.requires_satisfied}:{analyte}" if analyte else row.requires_satisfied
        req = done.get(req_code)
        if req is None or req.status != Status.SATISFIED:
            return _na(item_code, row, analyte, f"waits until {req_code} is satisfied")
    if ctx.start is None:
        return _result(
            item_code,
            row,
            analyte,
            Status.DUE_SOON,
            None,
            None,
            f"Due soon: {what(row, analyte)}; the course start date is not set, so its due "
            "date is unknown.",
        )
    if row.recurring:
        return _recurring(ctx, item_code, row, analyte)
    return _one_off(ctx, item_code, row, analyte)
