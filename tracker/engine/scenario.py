"""Clinical scenario files (``shared/scenarios/FORMAT.md``): JSON events to engine facts, and
the comparison of one ``checks[]`` entry with an evaluation.

``compare_checks`` is shared by every runner (engine-level and database-backed); a malformed
scenario (unknown key, event type, field, rule code or check) raises ``ScenarioError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import date
from typing import Any

from tracker.engine.analytes import ANALYTES, to_canonical
from tracker.engine.facts import (
    AlertReview,
    Category,
    Confirmation,
    ConfirmationKind,
    ContraceptionAttestation,
    ContraceptionStart,
    CourseFacts,
    CumulativeMethod,
    Dispense,
    DoseChange,
    HoldResolution,
    Instrument,
    LabResult,
    MoodScreen,
    PatientFacts,
    PregnancyTest,
    Prescription,
    Profile,
    SexualFunctionReview,
    TestResult,
    TestSetting,
    WeightMeasurement,
)
from tracker.engine.results import INFO_FLAGS, Derived, Evaluation, Flag, Level, Status
from tracker.engine.rules import CHECK_CODES, AlertSource, RuleSet

CONTRACEPTION_METHODS = frozenset(
    {
        "iud_copper",
        "iud_hormonal",
        "implant",
        "tubal_ligation",
        "partner_vasectomy",
        "combined_pill",
        "progestin_pill",
        "patch",
        "ring",
        "injection",
        "male_condom",
        "diaphragm",
        "cervical_cap",
        "abstinence",
    }
)


class ScenarioError(ValueError):
    """The scenario file uses something the loader does not know."""


def _keys(obj: Mapping[str, Any], where: str, required: set[str], optional: set[str]) -> None:
    if not isinstance(obj, Mapping):
        raise ScenarioError(f"{where}: expected an object, got {obj!r}")
    unknown = set(obj) - required - optional
    if unknown:
        raise ScenarioError(f"{where}: unknown field(s) {sorted(unknown)}")
    missing = required - set(obj)
    if missing:
        raise ScenarioError(f"{where}: missing field(s) {sorted(missing)}")


def _date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ScenarioError(f"{where}: not an ISO date: {value!r}") from None


def _opt_date(value: Any, where: str) -> date | None:
    return None if value is None else _date(value, where)


def _enum[E](cls: Callable[[Any], E], value: Any, where: str) -> E:
    try:
        return cls(value)
    except ValueError:
        raise ScenarioError(f"{where}: unknown value {value!r}") from None


def _methods(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not value:
        raise ScenarioError(f"{where}: methods must be a non-empty list")
    unknown = set(value) - CONTRACEPTION_METHODS
    if unknown:
        raise ScenarioError(f"{where}: unknown contraception method(s) {sorted(unknown)}")
    return frozenset(value)


# Each event type: (required fields, optional fields) besides "date" and "type".
EVENT_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "consent": (set(), set()),
    "risk_acknowledgement": (set(), set()),
    "second_prescriber": (set(), set()),
    "rems_confirmation": (set(), set()),
    "contraception_start": ({"methods"}, set()),
    "contraception_attestation": ({"methods"}, set()),
    "pregnancy_test": ({"result", "setting"}, set()),
    "mood_screen": ({"instrument", "total"}, {"item9"}),
    "sexual_function": ({"concern"}, set()),
    "lab": ({"analyte", "value", "unit"}, {"uln"}),
    "dose": ({"mg_per_day"}, set()),
    "weight": ({"kg"}, set()),
    "prescription": ({"supply_days"}, set()),
    "dispense": ({"supply_days"}, set()),
    "hold_resolved": ({"reason"}, set()),
    "alert_review": ({"source"}, {"analyte", "instrument", "note"}),
}


def course_facts(scenario: Mapping[str, Any]) -> CourseFacts:
    """The scenario's patient, course and events as engine facts (ids in event order)."""
    _keys(
        scenario,
        "scenario",
        {"id", "profile", "patient", "course", "events", "checks"},
        {"title"},
    )
    sid = scenario["id"]
    p = scenario["patient"]
    _keys(
        p,
        f"{sid} patient",
        {"category", "date_of_birth"},
        {"home_testing_permitted", "contraception_exempt", "previous_course_end"},
    )
    c = scenario["course"]
    _keys(
        c,
        f"{sid} course",
        {"start"},
        {"start_is_planned", "end", "weight_kg", "target_mg_per_kg", "cumulative_method"},
    )
    patient = PatientFacts(
        date_of_birth=_date(p["date_of_birth"], f"{sid} patient.date_of_birth"),
        category=None
        if p["category"] is None
        else _enum(Category, p["category"], f"{sid} patient.category"),
        home_testing_permitted=bool(p.get("home_testing_permitted", False)),
        contraception_exempt=bool(p.get("contraception_exempt", False)),
        previous_course_end=_opt_date(p.get("previous_course_end"), f"{sid} previous_course_end"),
    )
    lists: dict[str, list[Any]] = {
        f.name: [] for f in fields(CourseFacts) if f.name not in _COURSE_SCALARS
    }
    for i, ev in enumerate(scenario["events"], start=1):
        where = f"{sid} events[{i - 1}]"
        if not isinstance(ev, Mapping) or "type" not in ev or "date" not in ev:
            raise ScenarioError(f"{where}: an event has a date and a type")
        kind = ev["type"]
        if kind not in EVENT_FIELDS:
            raise ScenarioError(f"{where}: unknown event type {kind!r}")
        required, optional = EVENT_FIELDS[kind]
        _keys(ev, f"{where} ({kind})", required | {"date", "type"}, optional)
        on = _date(ev["date"], where)
        target, fact = _event_fact(kind, i, on, ev, where)
        lists[target].append(fact)
    return CourseFacts(
        profile=_enum(Profile, scenario["profile"], f"{sid} profile"),
        patient=patient,
        start=_opt_date(c["start"], f"{sid} course.start"),
        start_is_planned=bool(c.get("start_is_planned", False)),
        end=_opt_date(c.get("end"), f"{sid} course.end"),
        weight_kg=None if c.get("weight_kg") is None else float(c["weight_kg"]),
        target_mg_per_kg=float(c.get("target_mg_per_kg", 150)),
        cumulative_method=_enum(
            CumulativeMethod, c.get("cumulative_method", "daily_weight"), f"{sid} course"
        ),
        **{k: tuple(v) for k, v in lists.items()},
    )


_COURSE_SCALARS = {
    "profile",
    "patient",
    "start",
    "start_is_planned",
    "end",
    "weight_kg",
    "target_mg_per_kg",
    "cumulative_method",
}


def _event_fact(kind: str, i: int, on: date, ev: Mapping[str, Any], where: str) -> tuple[str, Any]:
    match kind:
        case "consent" | "risk_acknowledgement" | "second_prescriber" | "rems_confirmation":
            return "confirmations", Confirmation(i, on, ConfirmationKind(kind))
        case "contraception_start":
            return "contraception_starts", ContraceptionStart(i, on, _methods(ev["methods"], where))
        case "contraception_attestation":
            return "contraception_attestations", ContraceptionAttestation(
                i, on, _methods(ev["methods"], where)
            )
        case "pregnancy_test":
            return "pregnancy_tests", PregnancyTest(
                i,
                on,
                _enum(TestResult, ev["result"], where),
                _enum(TestSetting, ev["setting"], where),
            )
        case "mood_screen":
            instrument = _enum(Instrument, ev["instrument"], where)
            return "mood_screens", MoodScreen(i, on, instrument, int(ev["total"]), ev.get("item9"))
        case "sexual_function":
            return "sexual_function_reviews", SexualFunctionReview(i, on, bool(ev["concern"]))
        case "lab":
            analyte = ev["analyte"]
            if analyte not in ANALYTES:
                raise ScenarioError(f"{where}: unknown analyte {analyte!r}")
            try:
                canonical = to_canonical(analyte, ev["value"], ev["unit"])
            except ValueError as exc:
                raise ScenarioError(f"{where}: {exc}") from None
            uln = ev.get("uln")
            return "lab_results", LabResult(
                i,
                on,
                analyte,
                float(ev["value"]),
                ev["unit"],
                canonical,
                None if uln is None else float(uln),
            )
        case "dose":
            return "doses", DoseChange(i, on, float(ev["mg_per_day"]))
        case "weight":
            return "weights", WeightMeasurement(i, on, float(ev["kg"]))
        case "prescription":
            return "prescriptions", Prescription(i, on, int(ev["supply_days"]))
        case "dispense":
            return "dispenses", Dispense(i, on, int(ev["supply_days"]))
        case "hold_resolved":
            return "hold_resolutions", HoldResolution(i, on, str(ev["reason"]))
        case "alert_review":
            source = _enum(AlertSource, ev["source"], where)
            return "alert_reviews", AlertReview(
                i, on, str(source), ev.get("analyte"), ev.get("instrument"), ev.get("note", "")
            )
    raise ScenarioError(f"{where}: unknown event type {kind!r}")  # pragma: no cover


# --- checks ----------------------------------------------------------------------------------

CHECK_KEYS = {
    "as_of",
    "items",
    "alerts",
    "no_alerts",
    "violations",
    "no_violations",
    "ready_to_prescribe",
    "flags",
    "no_flags",
    "derived",
}
STATUSES = {s.value for s in Status} | {"ok"}
DERIVED_KEYS = {f.name for f in fields(Derived)}
DATE_DERIVED = {"first_dispense_deadline", "earliest_compliant_start", "target_reached_on"}


def check_date(check: Mapping[str, Any]) -> date:
    return _date(check.get("as_of"), "check.as_of")


def compare_checks(
    evaluation: Evaluation, check: Mapping[str, Any], *, scenario_id: str = ""
) -> list[str]:
    """Mismatches between ``evaluation`` and one ``checks[]`` entry, one message each.

    Raises ``ScenarioError`` when the check itself uses an unknown key, status, rule code,
    check code, flag or derived value.
    """
    unknown = set(check) - CHECK_KEYS
    if unknown:
        raise ScenarioError(f"{scenario_id}: unknown check key(s) {sorted(unknown)}")
    when = f"{scenario_id} on {check.get('as_of')}".strip()
    out: list[str] = []
    out += _compare_items(evaluation, check.get("items", {}), when)
    out += _compare_alerts(evaluation, check, when)
    out += _compare_violations(evaluation, check, when)
    if "ready_to_prescribe" in check:
        expected = check["ready_to_prescribe"]
        if not isinstance(expected, bool):
            raise ScenarioError(f"{when}: ready_to_prescribe must be true or false")
        if evaluation.ready.ready != expected:
            out.append(
                f"{when} ready_to_prescribe: expected {expected}, got {evaluation.ready.ready}"
                f" (unmet: {'; '.join(evaluation.ready.unmet) or 'none'})"
            )
    out += _compare_flags(evaluation, check, when)
    out += _compare_derived(evaluation, check.get("derived", {}), when)
    return out


def _compare_items(evaluation: Evaluation, items: Mapping[str, Any], when: str) -> list[str]:
    out = []
    for code, expected in items.items():
        if code not in evaluation.known_item_codes:
            bare = any(k.startswith(code + ":") for k in evaluation.known_item_codes)
            hint = " (a lab rule is written CODE:analyte)" if bare else ""
            raise ScenarioError(f"{when}: unknown rule code {code!r}{hint}")
        if isinstance(expected, str):
            status, due = expected, None
        elif isinstance(expected, Mapping):
            _keys(expected, f"{when} {code}", {"status"}, {"due_on"})
            status = expected["status"]
            due = _opt_date(expected.get("due_on"), f"{when} {code}.due_on")
        else:
            raise ScenarioError(f"{when} {code}: expected a status or an object")
        if status not in STATUSES:
            raise ScenarioError(f"{when} {code}: unknown status {status!r}")
        actual = evaluation.item(code)
        ok = (
            actual.status in (Status.SATISFIED, Status.UPCOMING)
            if status == "ok"
            else actual.status == status
        )
        if not ok:
            out.append(
                f"{when} {code}: expected status {status}, got {actual.status} "
                f"(due {actual.due_on}; {actual.explanation})"
            )
        if due is not None and actual.due_on != due:
            out.append(
                f"{when} {code}: expected due_on {due}, got {actual.due_on} ({actual.explanation})"
            )
    return out


def _compare_alerts(evaluation: Evaluation, check: Mapping[str, Any], when: str) -> list[str]:
    out = []
    open_alerts = evaluation.open_alerts
    for exp in check.get("alerts", []):
        _keys(exp, f"{when} alert", {"source", "level"}, {"analyte", "instrument"})
        _enum(AlertSource, exp["source"], f"{when} alert.source")
        _enum(Level, exp["level"], f"{when} alert.level")
        if "analyte" in exp and exp["analyte"] not in ANALYTES:
            raise ScenarioError(f"{when} alert: unknown analyte {exp['analyte']!r}")
        found = any(
            a.source == exp["source"]
            and a.level == exp["level"]
            and ("analyte" not in exp or a.analyte == exp["analyte"])
            and ("instrument" not in exp or a.instrument == exp["instrument"])
            for a in open_alerts
        )
        if not found:
            got = [(a.source, a.analyte or a.instrument, str(a.level)) for a in open_alerts]
            out.append(f"{when} alert {dict(exp)}: expected open, open alerts are {got}")
    if check.get("no_alerts") is True:
        serious = [a for a in open_alerts if a.level in (Level.HIGH, Level.CRITICAL)]
        if serious:
            got = [
                f"{a.source} {a.analyte or a.instrument or ''} {a.level} of {a.event_date}"
                for a in serious
            ]
            out.append(f"{when} no_alerts: expected none high or critical, got {got}")
    return out


def _compare_violations(evaluation: Evaluation, check: Mapping[str, Any], when: str) -> list[str]:
    out = []
    for exp in check.get("violations", []):
        _keys(exp, f"{when} violation", {"rule", "date"}, set())
        if exp["rule"] not in CHECK_CODES:
            raise ScenarioError(f"{when}: unknown dispensing check {exp['rule']!r}")
        on = _date(exp["date"], f"{when} violation.date")
        if not any(v.rule == exp["rule"] and v.date == on for v in evaluation.violations):
            got = [(v.rule, str(v.date)) for v in evaluation.violations]
            out.append(f"{when} {exp['rule']}: expected a violation on {on}, got {got}")
    if check.get("no_violations") is True and evaluation.violations:
        got = [f"{v.rule} {v.date}: {v.explanation}" for v in evaluation.violations]
        out.append(f"{when} no_violations: expected none, got {got}")
    return out


def _compare_flags(evaluation: Evaluation, check: Mapping[str, Any], when: str) -> list[str]:
    out = []
    known = {f.value for f in Flag}
    for flag in check.get("flags", []):
        if flag not in known:
            raise ScenarioError(f"{when}: unknown flag {flag!r}")
        if flag not in evaluation.flags:
            out.append(f"{when} flag {flag}: expected, got {sorted(evaluation.flags)}")
    info = sorted(f for f in evaluation.flags if f in INFO_FLAGS)
    if check.get("no_flags") is True and info:
        # the information flags of the dose section; missing-fact flags are checked elsewhere
        out.append(f"{when} no_flags: expected none, got {info}")
    return out


def _compare_derived(evaluation: Evaluation, derived: Mapping[str, Any], when: str) -> list[str]:
    out = []
    actual_all = evaluation.derived.as_dict()
    for key, expected in derived.items():
        if key not in DERIVED_KEYS:
            raise ScenarioError(f"{when}: unknown derived value {key!r}")
        actual = actual_all[key]
        if key in DATE_DERIVED:
            exp: Any = _opt_date(expected, f"{when} derived.{key}")
            same = actual == exp
        elif isinstance(expected, bool) or expected is None:
            exp, same = expected, actual == expected
        elif isinstance(expected, int | float):
            exp = expected
            same = actual is not None and round(actual, 1) == round(float(expected), 1)
        else:
            exp, same = expected, actual == expected
        if not same:
            out.append(f"{when} derived {key}: expected {exp}, got {actual}")
    return out


def evaluate_scenario(
    scenario: Mapping[str, Any], ruleset: RuleSet, evaluate: Callable[..., Evaluation]
) -> list[str]:
    """Every mismatch of every check of ``scenario`` (engine-level run)."""
    facts = course_facts(scenario)
    sid = str(scenario["id"])
    if str(scenario["profile"]) not in {p.profile for p in ruleset.profiles}:
        raise ScenarioError(f"{sid}: the rule set has no profile {scenario['profile']!r}")
    out: list[str] = []
    for check in scenario["checks"]:
        evaluation = evaluate(facts, ruleset, check_date(check))
        out += compare_checks(evaluation, check, scenario_id=sid)
    return out
