"""Properties of the engine over generated course histories."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tracker.engine_helpers import UK_CGP_BASELINE, US_CGP_BASELINE, default_rules, scenario
from tracker.engine import Evaluation, Status, evaluate
from tracker.engine.scenario import course_facts

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

BASE = date(2026, 3, 2)
RANK = {
    Status.OVERDUE: 0,
    Status.DUE_SOON: 1,
    Status.UPCOMING: 2,
    Status.SATISFIED: 3,
    Status.CLOSED: 3,
}
METHODS = ["implant", "male_condom", "combined_pill", "abstinence", "iud_copper"]


def iso(day: date) -> str:
    return day.isoformat()


@st.composite
def event(draw: st.DrawFn, lo: date, hi: date) -> dict[str, Any]:
    on = iso(draw(st.dates(min_value=lo, max_value=hi)))
    kind = draw(
        st.sampled_from(
            [
                "consent",
                "risk_acknowledgement",
                "second_prescriber",
                "rems_confirmation",
                "contraception_start",
                "contraception_attestation",
                "pregnancy_test",
                "pregnancy_test",
                "mood_screen",
                "sexual_function",
                "lab",
                "lab",
                "dose",
                "weight",
                "prescription",
                "dispense",
                "dispense",
                "hold_resolved",
                "alert_review",
            ]
        )
    )
    e: dict[str, Any] = {"date": on, "type": kind}
    match kind:
        case "contraception_start" | "contraception_attestation":
            e["methods"] = draw(
                st.lists(st.sampled_from(METHODS), min_size=1, max_size=2, unique=True)
            )
        case "pregnancy_test":
            e["result"] = draw(st.sampled_from(["negative", "negative", "negative", "positive"]))
            e["setting"] = draw(st.sampled_from(["clinic", "lab", "home", "remote_supervised"]))
        case "mood_screen":
            e["instrument"] = draw(st.sampled_from(["PHQ-9", "PHQ-A", "PHQ-2", "GAD-7"]))
            e["total"] = draw(st.integers(0, 27))
            if e["instrument"] in ("PHQ-9", "PHQ-A"):
                e["item9"] = draw(st.integers(0, 3))
        case "sexual_function":
            e["concern"] = draw(st.booleans())
        case "lab":
            e["analyte"] = draw(st.sampled_from(["triglycerides", "total_cholesterol", "alt"]))
            if e["analyte"] == "alt":
                e.update(value=draw(st.integers(5, 300)), unit="U/L", uln=40)
            else:
                e.update(value=draw(st.integers(60, 900)), unit="mg/dL")
        case "dose":
            e["mg_per_day"] = draw(st.sampled_from([10, 20, 30, 40, 60, 80]))
        case "weight":
            e["kg"] = draw(st.integers(40, 110))
        case "prescription" | "dispense":
            e["supply_days"] = draw(st.sampled_from([28, 30, 31]))
        case "hold_resolved":
            e["reason"] = "resolved"
        case "alert_review":
            e["source"] = draw(st.sampled_from(["lab", "pregnancy_test", "mood_screen"]))
    return e


@st.composite
def course(draw: st.DrawFn, *, started: bool = False, facts_complete: bool = True):
    profile = draw(st.sampled_from(["US", "UK", "EU"]))
    start = BASE + timedelta(days=draw(st.integers(-60, 200)))
    today = start + timedelta(days=draw(st.integers(0 if started else -60, 240)))
    planned = False if started else draw(st.booleans())
    end = None
    if draw(st.booleans()):
        end = start + timedelta(days=draw(st.integers(20, 240)))
        if started and end > today:
            end = None if draw(st.booleans()) else today
    base = (US_CGP_BASELINE if profile == "US" else UK_CGP_BASELINE) if draw(st.booleans()) else []
    shift = start - BASE
    base = [{**e, "date": iso(date.fromisoformat(e["date"]) + shift)} for e in base]
    extra = draw(st.lists(event(start - timedelta(days=120), today), max_size=14))
    category = draw(
        st.sampled_from(["can_get_pregnant", "cannot_get_pregnant"])
        if facts_complete
        else st.sampled_from(["can_get_pregnant", "cannot_get_pregnant", None])
    )
    data = scenario(
        [*base, *extra],
        profile=profile,
        category=category,
        dob=iso(draw(st.dates(date(1980, 1, 1), date(2012, 1, 1)))),
        start=iso(start) if facts_complete or draw(st.booleans()) else None,
        planned=planned,
        end=iso(end) if end else None,
        weight=draw(st.integers(40, 110)) if facts_complete or draw(st.booleans()) else None,
        home=draw(st.booleans()),
        exempt=draw(st.booleans()),
    )
    return data, today


@st.composite
def qualifying_event(draw: st.DrawFn, lo: date, hi: date) -> dict[str, Any]:
    """An event that satisfies or re-anchors items and opens no alert."""
    on = iso(draw(st.dates(min_value=lo, max_value=hi)))
    return draw(
        st.sampled_from(
            [
                {"type": "consent"},
                {"type": "risk_acknowledgement"},
                {"type": "second_prescriber"},
                {"type": "rems_confirmation"},
                {"type": "contraception_start", "methods": ["implant", "male_condom"]},
                {"type": "contraception_attestation", "methods": ["implant", "male_condom"]},
                {"type": "pregnancy_test", "result": "negative", "setting": "clinic"},
                {"type": "mood_screen", "instrument": "PHQ-9", "total": 0, "item9": 0},
                {"type": "sexual_function", "concern": False},
                {"type": "lab", "analyte": "alt", "value": 20, "unit": "U/L", "uln": 40},
                {"type": "lab", "analyte": "triglycerides", "value": 100, "unit": "mg/dL"},
                {"type": "lab", "analyte": "total_cholesterol", "value": 150, "unit": "mg/dL"},
            ]
        )
    ) | {"date": on}


@st.composite
def near_ready_course(draw: st.DrawFn):
    """A course of a patient who can get pregnant, kept more or less up to date, so that
    "ready to prescribe" is often true and each unmet condition is often the only one."""
    profile = draw(st.sampled_from(["US", "UK", "EU"]))
    start = BASE + timedelta(days=draw(st.integers(0, 200)))
    today = start + timedelta(days=draw(st.integers(-3, 100)))
    shift = start - BASE
    base = US_CGP_BASELINE if profile == "US" else UK_CGP_BASELINE
    events = [{**e, "date": iso(date.fromisoformat(e["date"]) + shift)} for e in base]
    if start <= today:
        events += [
            {"date": iso(start), "type": "dose", "mg_per_day": 40},
            {"date": iso(start), "type": "dispense", "supply_days": 30},
        ]
    month = start
    while True:
        month += timedelta(days=draw(st.integers(24, 32)))
        if month > today:
            break
        on = iso(month)
        if draw(st.booleans()) or draw(st.booleans()):
            setting = draw(st.sampled_from(["clinic", "lab", "home", "remote_supervised"]))
            events.append(
                {"date": on, "type": "pregnancy_test", "result": "negative", "setting": setting}
            )
        for kind in ("rems_confirmation", "prescription"):
            if draw(st.booleans()) or draw(st.booleans()):
                events.append(
                    {"date": on, "type": kind}
                    | ({"supply_days": 30} if kind == "prescription" else {})
                )
        if draw(st.booleans()) or draw(st.booleans()):
            events.append(
                {"date": on, "type": "contraception_attestation", "methods": ["implant", "ring"]}
            )
        if month > start and draw(st.booleans()):
            events.append({"date": on, "type": "dispense", "supply_days": 30})
    events += draw(st.lists(event(start - timedelta(days=30), today), max_size=3))
    data = scenario(
        events,
        profile=profile,
        start=iso(start),
        planned=start > today and draw(st.booleans()),
        home=draw(st.booleans()),
    )
    return data, today


def run(data: dict[str, Any], today: date) -> Evaluation:
    return evaluate(course_facts(data), default_rules(), today)


def worse(before: Status, after: Status) -> bool:
    if Status.NOT_APPLICABLE in (before, after):
        return False  # an item starting or stopping to apply is not a change of progress
    return RANK[after] < RANK[before]


@PROPERTY_SETTINGS
@given(st.data())
def test_adding_a_qualifying_event_never_makes_an_item_worse(data: st.DataObject):
    sc, today = data.draw(course())
    facts = course_facts(sc)
    started = facts.start is not None and not facts.start_is_planned and facts.start <= today
    # a pre-start event may anchor a monthly item earlier than the start would (as the
    # scenario files expect), so during treatment the added event is dated from S on
    lo = facts.start if started and facts.start else today - timedelta(days=120)
    added = data.draw(qualifying_event(lo, today))
    before = run(sc, today)
    after = run({**sc, "events": [*sc["events"], added]}, today)
    for code, item in before.items.items():
        assert not worse(item.status, after.item(code).status), (
            code,
            added,
            item.explanation,
            after.item(code).explanation,
        )


@PROPERTY_SETTINGS
@given(course(started=True), st.integers(1, 120))
def test_an_unsatisfied_item_never_improves_as_today_advances(sc_today, days: int):
    sc, today = sc_today
    before = run(sc, today)
    after = run(sc, today + timedelta(days=days))
    for code, item in before.items.items():
        if item.status in (Status.UPCOMING, Status.DUE_SOON, Status.OVERDUE):
            later = after.item(code).status
            assert later == Status.NOT_APPLICABLE or RANK[later] <= RANK[item.status], (
                code,
                item.explanation,
                after.item(code).explanation,
            )


def _recent_test_exists(sc: dict[str, Any], today: date, first: bool) -> bool:
    window = 6 if sc["profile"] == "US" else 3
    for e in sc["events"]:
        if e["type"] != "pregnancy_test" or e["result"] != "negative":
            continue
        on = date.fromisoformat(e["date"])
        if not today - timedelta(days=window) <= on <= today:
            continue
        if first and e["setting"] not in ("clinic", "lab"):
            continue
        if sc["profile"] != "US" and e["setting"] == "home":
            continue
        return True
    return False


@PROPERTY_SETTINGS
@given(st.one_of(course(facts_complete=False), near_ready_course()))
def test_ready_to_prescribe_is_never_true_with_an_unmet_condition(sc_today):
    sc, today = sc_today
    evaluation = run(sc, today)
    if not evaluation.ready.ready:
        assert evaluation.ready.unmet  # every "not ready" names a reason
        return
    assert not evaluation.on_hold
    assert not any(
        i.gates_dispensing and i.status == Status.OVERDUE for i in evaluation.items.values()
    )
    assert sc["patient"]["category"] is not None
    assert sc["course"]["start"] is not None
    assert sc["course"]["weight_kg"] is not None or any(
        e["type"] == "weight" and date.fromisoformat(e["date"]) <= today for e in sc["events"]
    )
    end = sc["course"]["end"]
    assert end is None or date.fromisoformat(end) > today
    assert not any(a.open and a.level == "critical" for a in evaluation.alerts)
    first = not any(
        e["type"] == "dispense" and date.fromisoformat(e["date"]) <= today for e in sc["events"]
    )
    if sc["patient"]["category"] == "can_get_pregnant":
        assert _recent_test_exists(sc, today, first)


@PROPERTY_SETTINGS
@given(course(facts_complete=False))
def test_every_item_explains_its_status_in_one_line(sc_today):
    sc, today = sc_today
    for item in run(sc, today).items.values():
        assert item.explanation
        assert "\n" not in item.explanation
        assert (item.status == Status.SATISFIED) == (item.satisfied_by is not None)
