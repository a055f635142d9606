"""The rule set as data: rules, dispensing checks, alert thresholds and settings.

A clinic's rules live in database rows whose columns mirror these dataclasses; the shipped
defaults live in ``tracker/rules/default_rules.json``. Every number the engine uses comes from
here, never from an ``if`` on the profile.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from datetime import date
from enum import Enum, StrEnum
from functools import cached_property
from importlib import resources
from typing import Any

from tracker.engine.analytes import ANALYTES
from tracker.engine.vocabulary import EVENT_KINDS, RuleGroup


class Satisfier(StrEnum):
    """What kind of recorded event satisfies a rule."""

    CONSENT = "consent"
    RISK_ACKNOWLEDGEMENT = "risk_acknowledgement"
    SECOND_PRESCRIBER = "second_prescriber"
    REMS_CONFIRMATION = "rems_confirmation"
    CONTRACEPTION_START = "contraception_start"
    CONTRACEPTION_ATTESTATION = "contraception_attestation"
    PREGNANCY_TEST = "pregnancy_test"
    LAB = "lab"
    MOOD_SCREEN = "mood_screen"
    SEXUAL_FUNCTION = "sexual_function"


class RuleCategory(StrEnum):
    ALL = "all"
    CAN_GET_PREGNANT = "can_get_pregnant"
    CANNOT_GET_PREGNANT = "cannot_get_pregnant"


class Phase(StrEnum):
    """When in the course a rule is evaluated at all."""

    ALWAYS = "always"  # baseline items and lab repeats: from enrolment on
    TREATMENT = "treatment"  # not applicable until the course has started
    POST_COURSE = "post_course"  # not applicable until the course has ended (E <= T)


class DueAnchor(StrEnum):
    """The date a rule's due date is counted from."""

    START = "start"  # S
    END = "end"  # E
    FIRST_PRESCRIPTION = "first_prescription"  # first prescription, else S
    PEAK_DOSE = "peak_dose"  # latest dose increase, not before S + min_due_offset_from_start
    ABNORMAL_RESULT = "abnormal_result"  # latest high/critical result of the analyte


class Comparison(StrEnum):
    GTE = "gte"  # value >= threshold
    GT = "gt"  # value > threshold
    LT = "lt"  # value < threshold
    ULN_GT = "uln_gt"  # value > threshold x ULN
    POSITIVE = "positive"  # qualitative positive result
    ITEM9_GTE = "item9_gte"  # PHQ-9 / PHQ-A item 9 >= threshold


class Level(StrEnum):
    INFO = "info"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return {"info": 1, "high": 2, "critical": 3}[self.value]


class AlertSource(StrEnum):
    LAB = "lab"
    PREGNANCY_TEST = "pregnancy_test"
    MOOD_SCREEN = "mood_screen"


class DeadlineBasis(StrEnum):
    """What the first dispense deadline of a planned course is counted from."""

    CONFIRMATION_TEST = "confirmation_test"
    PRESCRIPTION = "prescription"


@dataclass(frozen=True)
class Prerequisite:
    """The satisfying event must be at least ``min_days`` after an event satisfying ``rule``."""

    rule: str
    min_days: int
    waived_if_contraception_exempt: bool = False


@dataclass(frozen=True)
class RuleSpec:
    code: str
    profile: str  # "US" | "UK" | "EU"
    name: str
    satisfier: Satisfier
    category: RuleCategory = RuleCategory.ALL
    instruments: tuple[str, ...] = ()
    analytes: tuple[str, ...] = ()  # lab rules: one sub-item CODE:analyte each; X-L2: empty (any)
    min_methods: int = 0  # contraception: methods needed (abstinence always qualifies)
    excludes_contraception_exempt: bool = False
    max_age_at_start: int | None = None  # applies only while age at S <= this
    start_from: date | None = None  # applies only when S is on or after this date
    start_to: date | None = None  # ... and on or before this date
    effective_from: date | None = None  # inclusive, compared with T
    effective_to: date | None = None  # inclusive, compared with T
    phase: Phase = Phase.ALWAYS
    due_anchor: DueAnchor = DueAnchor.START
    due_offset: int = 0  # one-off: D = anchor + due_offset
    min_due_offset_from_start: int | None = None  # one-off: D >= S + this
    window_from: int | None = None  # acceptance window start, days from D; None: open
    window_to: int | None = None  # acceptance window end, days from D; None: open
    window_closes_at_end: bool = False  # the window ends at E when E is known
    not_applicable_if_end_before_window: bool = False  # E before the window opens
    interval: int | None = None  # recurring: D = latest qualifying event (else S) + interval
    anchor_min_offset_from_start: int | None = None  # recurring: only events >= S + this anchor
    stop_offset_from_end: int | None = None  # recurring: closed when D > E + this
    prerequisites: tuple[Prerequisite, ...] = ()
    requires_satisfied: str | None = None  # not applicable until this rule (same analyte) is met
    lead: int = 0
    grace: int = 0
    gates_dispensing: bool = False
    baseline: bool = False
    display_group: RuleGroup = RuleGroup.MONTHLY  # where its items are shown
    active: bool = True
    source: str = ""  # citation

    @property
    def recurring(self) -> bool:
        return self.interval is not None

    def item_codes(self) -> tuple[str, ...]:
        if self.analytes:
            return tuple(f"{self.code}:{a}" for a in self.analytes)
        return (self.code,)


@dataclass(frozen=True)
class DispensingCheckSpec:
    code: str
    name: str
    profiles: tuple[str, ...]
    category: RuleCategory = RuleCategory.ALL
    window_days: int | None = None  # days after a test / prescription (or before, UK test window)
    max_supply_days: int | None = None
    min_gap_days: int | None = None  # lockout: days between confirmation tests
    legacy_before: date | None = None  # lockout applies to tests dated before this date
    first_dispense_settings: tuple[str, ...] = ()  # test settings accepted for the first dispense
    effective_from: date | None = None  # inclusive, compared with the checked event's date
    effective_to: date | None = None
    active: bool = True
    source: str = ""


@dataclass(frozen=True)
class ThresholdSpec:
    source: AlertSource  # which kind of result it applies to
    level: Level
    comparison: Comparison
    value: float
    analyte: str | None = None
    instrument: str | None = None
    label: str = ""  # plain words, e.g. "triglycerides >= 500 mg/dL"
    active: bool = True
    citation: str = ""


@dataclass(frozen=True)
class ProfileSettings:
    profile: str
    pre_start_test_settings: tuple[str, ...]  # tests dated on or before S, or while planned
    treatment_test_settings: tuple[str, ...]  # during and after treatment
    home_testing_test_settings: tuple[str, ...]  # added when the patient may test at home
    ready_test_window_days: int  # ready to prescribe: a qualifying test within [T - this, T]
    first_dispense_deadline_basis: DeadlineBasis
    first_dispense_deadline_days: int
    pre_start_test_rule: str  # the rule whose test supports the first dispense (US-B4, UK-B4)


@dataclass(frozen=True)
class RuleSetSettings:
    default_uln: float = 40.0
    target_band_mg_per_kg: float = 120.0
    upper_limit_mg_per_kg: float = 150.0
    dose_band_low_mg_per_kg_day: float = 0.5
    dose_band_high_mg_per_kg_day: float = 1.0
    retreatment_gap_days: int = 56
    single_method_contraception: tuple[str, ...] = ("abstinence",)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[RuleSpec, ...]
    checks: tuple[DispensingCheckSpec, ...] = ()
    thresholds: tuple[ThresholdSpec, ...] = ()
    profiles: tuple[ProfileSettings, ...] = ()
    settings: RuleSetSettings = field(default_factory=RuleSetSettings)

    @cached_property
    def _rules_by_profile(self) -> dict[str, tuple[RuleSpec, ...]]:
        grouped: dict[str, list[RuleSpec]] = {}
        for r in self.rules:
            grouped.setdefault(r.profile, []).append(r)
        return {profile: tuple(rules) for profile, rules in grouped.items()}

    def rules_for(self, profile: str) -> tuple[RuleSpec, ...]:
        return self._rules_by_profile.get(profile, ())

    @cached_property
    def _rows_by_profile(self) -> dict[str, dict[str, tuple[RuleSpec, ...]]]:
        grouped: dict[str, dict[str, list[RuleSpec]]] = {}
        for r in self.rules:
            grouped.setdefault(r.profile, {}).setdefault(r.code, []).append(r)
        return {
            profile: {code: tuple(rows) for code, rows in by_code.items()}
            for profile, by_code in grouped.items()
        }

    def rows_for(self, profile: str, code: str) -> tuple[RuleSpec, ...]:
        """The rows of item ``code`` in ``profile``, in rule order (a row per effective period
        or category)."""
        return self._rows_by_profile.get(profile, {}).get(code, ())

    @cached_property
    def _evaluation_orders(self) -> dict[str, tuple[tuple[str, ...], dict[str, int]]]:
        orders = {}
        for profile, by_code in self._rows_by_profile.items():
            waiting = [c for c, rows in by_code.items() if any(r.requires_satisfied for r in rows)]
            first = [c for c in by_code if c not in waiting]
            orders[profile] = (tuple(first + waiting), {c: i for i, c in enumerate(by_code)})
        return orders

    def evaluation_order(self, profile: str) -> tuple[tuple[str, ...], dict[str, int]]:
        """The item codes of ``profile`` in the order they are evaluated (an item that waits
        for another to be satisfied comes after all others), and each code's place in rule
        order (the order items are reported in)."""
        return self._evaluation_orders.get(profile, ((), {}))

    def display_group(self, profile: str, code: str) -> RuleGroup:
        """Where the items of rule ``code`` are shown (its first row's group)."""
        rows = self.rows_for(profile, code)
        return rows[0].display_group if rows else RuleGroup.MONTHLY

    def checks_for(self, profile: str) -> tuple[DispensingCheckSpec, ...]:
        return tuple(c for c in self.checks if profile in c.profiles and c.active)

    def check(self, profile: str, code: str) -> DispensingCheckSpec | None:
        return next((c for c in self.checks_for(profile) if c.code == code), None)

    def profile_settings(self, profile: str) -> ProfileSettings | None:
        return next((p for p in self.profiles if p.profile == profile), None)

    def known_item_codes(self) -> frozenset[str]:
        """Every item code any profile can report, for validating scenario and form input."""
        return self._known_item_codes

    @cached_property
    def _known_item_codes(self) -> frozenset[str]:
        codes: set[str] = set()
        for r in self.rules:
            if r.due_anchor == DueAnchor.ABNORMAL_RESULT:
                codes.update(f"{r.code}:{a}" for a in (r.analytes or tuple(ANALYTES)))
            else:
                codes.update(r.item_codes())
        return frozenset(codes)


ANCHOR_WORDS: dict[DueAnchor, str] = {
    DueAnchor.START: "course start",
    DueAnchor.END: "last dose",
    DueAnchor.FIRST_PRESCRIPTION: "first prescription",
    DueAnchor.PEAK_DOSE: "latest dose increase",
    DueAnchor.ABNORMAL_RESULT: "abnormal result",
}

CATEGORY_WORDS: dict[RuleCategory, str] = {
    RuleCategory.ALL: "all patients",
    RuleCategory.CAN_GET_PREGNANT: "patients who can get pregnant",
    RuleCategory.CANNOT_GET_PREGNANT: "patients who cannot get pregnant",
}


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def signed_days(n: int, what: str) -> str:
    """``what`` itself, or "n days before/after" it."""
    if n == 0:
        return what
    unit = "day" if abs(n) == 1 else "days"
    return f"{abs(n)} {unit} {'after' if n > 0 else 'before'} {what}"


def describe_rule(rule: RuleSpec) -> str:
    """The rule in plain words, for the Schedules page."""
    subject = rule.name[:1].upper() + rule.name[1:]
    if rule.analytes:
        subject += " (" + ", ".join(ANALYTES[a].label for a in rule.analytes) + ")"
    event = EVENT_KINDS[str(rule.satisfier)].phrase
    anchor = f"the {ANCHOR_WORDS[rule.due_anchor]}"
    fallback = " (else the course start)" if rule.due_anchor == DueAnchor.FIRST_PRESCRIPTION else ""
    if rule.recurring:
        when = (
            f"every {rule.interval} days after the last {event} "
            f"(first {rule.interval} days after the course start)"
        )
        if rule.anchor_min_offset_from_start is not None:
            since = signed_days(rule.anchor_min_offset_from_start, "the course start")
            when += f", counting {event}s from {since}"
    else:
        on = "on " if rule.due_offset == 0 else ""
        when = f"due {on}{signed_days(rule.due_offset, anchor)}{fallback}"
        # the window in words: from the anchor when the due date is a fixed offset from it
        ref, shift = anchor, rule.due_offset
        if rule.min_due_offset_from_start is not None:
            when += f", not before {rule.min_due_offset_from_start} days after the course start"
            ref, shift = "the due date", 0
        lo = None if rule.window_from is None else rule.window_from + shift
        hi = None if rule.window_to is None else rule.window_to + shift
        end = " or the last dose" if rule.window_closes_at_end else ""
        if lo is None and hi is None:
            window = f"any {event} on or before today{end}"
        elif lo is None:
            window = f"{_a(event)} up to {signed_days(hi or 0, ref)}{end}"
        elif hi is None:
            until = " until the last dose" if end else ""
            window = f"{_a(event)} from {signed_days(lo, ref)}{until}"
        else:
            window = f"{_a(event)} from {signed_days(lo, ref)} to {signed_days(hi, ref)}"
        when += f"; accepts {window}"
    sentences = [f"{subject} {when}"]
    if rule.lead:
        sentences.append(f"due soon {rule.lead} days before")
    sentences.append(
        f"overdue {rule.grace} days after (grace)" if rule.grace else "overdue the day after"
    )
    text = "; ".join(sentences) + "."
    conditions: list[str] = []
    if rule.category != RuleCategory.ALL:
        conditions.append(f"For {CATEGORY_WORDS[rule.category]}")
    if rule.excludes_contraception_exempt:
        conditions.append("Not for patients exempt from contraception")
    if rule.max_age_at_start is not None:
        conditions.append(f"Only for patients aged {rule.max_age_at_start} or under at the start")
    if rule.start_from or rule.start_to:
        conditions.append(
            "Only for courses starting "
            + " and ".join(
                w
                for w in (
                    f"on or after {rule.start_from}" if rule.start_from else "",
                    f"on or before {rule.start_to}" if rule.start_to else "",
                )
                if w
            )
        )
    if rule.effective_from:
        conditions.append(f"In effect from {rule.effective_from}")
    if rule.effective_to:
        conditions.append(f"In effect until {rule.effective_to}")
    if rule.phase == Phase.TREATMENT:
        conditions.append("Starts with the course")
    elif rule.phase == Phase.POST_COURSE:
        conditions.append("After the last dose")
    if rule.stop_offset_from_end is not None:
        conditions.append(
            "Stops once the next due date is after "
            + signed_days(rule.stop_offset_from_end, "the last dose")
        )
    if rule.not_applicable_if_end_before_window:
        conditions.append("Not needed if the course ends before the window opens")
    for p in rule.prerequisites:
        waiver = " (unless exempt from contraception)" if p.waived_if_contraception_exempt else ""
        conditions.append(f"The {event} must be at least {p.min_days} days after {p.rule}{waiver}")
    if rule.requires_satisfied:
        conditions.append(f"Starts once {rule.requires_satisfied} is satisfied")
    if rule.gates_dispensing:
        conditions.append("Gates dispensing")
    if not rule.active:
        conditions.append("Switched off")
    return " ".join([text, *(c + "." for c in conditions)])


# --- loading and dumping ---------------------------------------------------------------------


class RuleSetError(ValueError):
    pass


# Each dispensing check code names an algorithm of ``tracker.engine.dispensing``; its numbers
# come from the check row.
CHECK_CODES = frozenset(
    {
        "US-RX-WINDOW",
        "US-RX-FIRST-SETTING",
        "US-RX-LOCKOUT",
        "RX-SUPPLY",
        "UK-RX-TEST-WINDOW",
        "UK-RX-DISPENSE",
    }
)


def _convert_in(tp: Any, value: Any, where: str) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert_in(inner, value, where)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise RuleSetError(f"{where}: expected a list, got {value!r}")
        inner = typing.get_args(tp)[0]
        return tuple(_convert_in(inner, v, where) for v in value)
    if tp is date:
        return date.fromisoformat(value)
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(value)
        except ValueError:
            raise RuleSetError(
                f"{where}: {value!r} is not one of {[m.value for m in tp]}"
            ) from None
    if is_dataclass(tp):
        return _build(tp, value, where)
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp in (int, str, bool) and not isinstance(value, tp):
        raise RuleSetError(f"{where}: expected {tp.__name__}, got {value!r}")
    return value


def _build[T](cls: type[T], data: dict[str, Any], where: str) -> T:
    if not isinstance(data, dict):
        raise RuleSetError(f"{where}: expected an object, got {data!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - known
    if unknown:
        raise RuleSetError(f"{where}: unknown field(s) {sorted(unknown)}")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            kwargs[f.name] = _convert_in(hints[f.name], data[f.name], f"{where}.{f.name}")
        elif f.default is MISSING and f.default_factory is MISSING:
            raise RuleSetError(f"{where}: missing field {f.name!r}")
    return cls(**kwargs)


def _convert_out(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_convert_out(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _convert_out(getattr(value, f.name)) for f in fields(value)}
    return value


def load_ruleset(data: dict[str, Any]) -> RuleSet:
    """Build a RuleSet from its JSON form (dates as ISO strings, tuples as lists)."""
    allowed = {"version", "rules", "checks", "thresholds", "profiles", "settings"}
    unknown = set(data) - allowed
    if unknown:
        raise RuleSetError(f"unknown top-level key(s) {sorted(unknown)}")
    ruleset = RuleSet(
        rules=tuple(
            _build(RuleSpec, r, f"rules[{i}]") for i, r in enumerate(data.get("rules", []))
        ),
        checks=tuple(
            _build(DispensingCheckSpec, c, f"checks[{i}]")
            for i, c in enumerate(data.get("checks", []))
        ),
        thresholds=tuple(
            _build(ThresholdSpec, t, f"thresholds[{i}]")
            for i, t in enumerate(data.get("thresholds", []))
        ),
        profiles=tuple(
            _build(ProfileSettings, p, f"profiles[{i}]")
            for i, p in enumerate(data.get("profiles", []))
        ),
        settings=_build(RuleSetSettings, data.get("settings", {}), "settings"),
    )
    validate_ruleset(ruleset)
    return ruleset


def ruleset_to_dict(ruleset: RuleSet) -> dict[str, Any]:
    return {
        "version": 1,
        "settings": _convert_out(ruleset.settings),
        "profiles": _convert_out(ruleset.profiles),
        "rules": _convert_out(ruleset.rules),
        "checks": _convert_out(ruleset.checks),
        "thresholds": _convert_out(ruleset.thresholds),
    }


def rule_from_row(row: dict[str, Any]) -> RuleSpec:
    """One rule from a flat row (JSON object or database row values)."""
    return _build(RuleSpec, row, row.get("code", "rule"))


def validate_ruleset(ruleset: RuleSet) -> None:
    """Reject rule sets the engine cannot evaluate safely (dangling references, bad analytes)."""
    for r in ruleset.rules:
        where = f"{r.code} ({r.profile})"
        for a in r.analytes:
            if a not in ANALYTES:
                raise RuleSetError(f"{where}: unknown analyte {a!r}")
        if (
            r.satisfier == Satisfier.LAB
            and not r.analytes
            and (r.due_anchor != DueAnchor.ABNORMAL_RESULT)
        ):
            raise RuleSetError(f"{where}: a lab rule lists its analytes")
        same_profile = {x.code for x in ruleset.rules if x.profile == r.profile}
        for p in r.prerequisites:
            if p.rule not in same_profile:
                raise RuleSetError(f"{where}: prerequisite {p.rule} is not a rule of {r.profile}")
        if r.requires_satisfied and r.requires_satisfied not in same_profile:
            raise RuleSetError(
                f"{where}: requires {r.requires_satisfied}, not a rule of the profile"
            )
        if r.recurring and r.interval is not None and r.interval <= 0:
            raise RuleSetError(f"{where}: interval must be positive")
        if r.lead < 0 or r.grace < 0:
            raise RuleSetError(f"{where}: lead and grace are not negative")

    for p in ruleset.profiles:
        if p.pre_start_test_rule not in {r.code for r in ruleset.rules if r.profile == p.profile}:
            raise RuleSetError(f"profile {p.profile}: unknown rule {p.pre_start_test_rule}")
    for c in ruleset.checks:
        if c.code not in CHECK_CODES:
            raise RuleSetError(f"unknown dispensing check {c.code!r}; known: {sorted(CHECK_CODES)}")


DEFAULT_RULES_PACKAGE = "tracker.rules"
DEFAULT_RULES_FILE = "default_rules.json"


def default_ruleset_data() -> dict[str, Any]:
    text = resources.files(DEFAULT_RULES_PACKAGE).joinpath(DEFAULT_RULES_FILE).read_text("utf-8")
    return json.loads(text)


def load_default_ruleset() -> RuleSet:
    return load_ruleset(default_ruleset_data())
