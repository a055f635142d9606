"""The clinical vocabulary in words: one owner for each code's label.

Event kinds, item statuses, alert levels, the display groups of rules and the flags are
defined here with their human labels; the analytes are in ``tracker.engine.analytes``. Models
derive their choices from these tables, templates and forms show these labels, so a label is
changed (or a code added) in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from tracker.engine.analytes import ANALYTES


@dataclass(frozen=True)
class EventKind:
    code: str
    label: str  # on its own: a timeline row, a worklist filter, "satisfied by"
    phrase: str = ""  # inside a sentence about a rule ("… accepts a negative pregnancy test")


EVENT_KINDS: dict[str, EventKind] = {
    kind.code: kind
    for kind in (
        EventKind("visit", "Visit"),
        EventKind("consent", "Enrolment and consent", "consent"),
        EventKind(
            "risk_acknowledgement", "Acknowledgement of Risk form", "Acknowledgement of Risk form"
        ),
        EventKind(
            "second_prescriber", "Second prescriber agreement", "second-prescriber agreement"
        ),
        EventKind("rems_confirmation", "Monthly programme confirmation", "programme confirmation"),
        EventKind("contraception_start", "Contraception started", "contraception start"),
        EventKind(
            "contraception_attestation", "Contraception attestation", "contraception attestation"
        ),
        EventKind("pregnancy_test", "Pregnancy test", "negative pregnancy test"),
        EventKind("lab", "Lab result", "result"),
        EventKind("mood_screen", "Mood screen", "mood screen"),
        EventKind("sexual_function", "Sexual function review", "sexual function review"),
        EventKind("dose", "Dose change"),
        EventKind("weight", "Weight"),
        EventKind("prescription", "Prescription"),
        EventKind("dispense", "Dispense"),
        EventKind("hold_resolved", "Hold resolved"),
        EventKind("alert_review", "Alert review"),
    )
}

# Record types that hold one of several event kinds (the record's own field says which).
RECORD_TYPE_LABELS = {
    "confirmation": "Consent or confirmation",
    "contraception": "Contraception",
}


def event_label(code: str) -> str:
    """The label of an event kind, or of a record type; the code itself if it has none."""
    if code in RECORD_TYPE_LABELS:
        return RECORD_TYPE_LABELS[code]
    kind = EVENT_KINDS.get(code)
    return kind.label if kind is not None else code.replace("_", " ")


# Item statuses (``tracker.engine.results.Status``), and the worklist's "open" alerts.
STATUS_LABELS = {
    "satisfied": "Satisfied",
    "upcoming": "Upcoming",
    "due_soon": "Due soon",
    "overdue": "Overdue",
    "not_applicable": "Not applicable",
    "closed": "Closed",
}
WORKLIST_STATUS_LABELS = {"overdue": "Overdue", "due_soon": "Due soon", "open": "Open alert"}

# Alert levels (``tracker.engine.rules.Level``).
LEVEL_LABELS = {"info": "Info", "high": "High", "critical": "Critical"}


class RuleGroup(StrEnum):
    """Where a rule's items are shown on the patient page and in the grid."""

    BASELINE = "baseline"
    MONTHLY = "monthly"
    LABS = "labs"
    AFTER = "after"


RULE_GROUP_LABELS = {
    RuleGroup.BASELINE: "Before the first dispense",
    RuleGroup.MONTHLY: "Every month during treatment",
    RuleGroup.LABS: "Laboratory monitoring",
    RuleGroup.AFTER: "After the course",
}


def item_title(name: str, analyte: str | None) -> str:
    """A monitoring item's name, capitalised, with its analyte's label."""
    title = name[:1].upper() + name[1:]
    if analyte:
        title += f" ({ANALYTES[analyte].label if analyte in ANALYTES else analyte})"
    return title


def alert_subject(source: str, analyte: str | None, instrument: str | None) -> str:
    """What an alert is about: its analyte's label, its instrument, or its kind of result."""
    if analyte:
        return ANALYTES[analyte].label if analyte in ANALYTES else analyte
    return instrument or event_label(source)


# Flags (``tracker.engine.results.Flag``) ----------------------------------------------------------


class FlagNumbers(Protocol):
    """The rule set's numbers that dose flags are about (``RuleSetSettings``)."""

    target_band_mg_per_kg: float
    upper_limit_mg_per_kg: float
    dose_band_low_mg_per_kg_day: float
    dose_band_high_mg_per_kg_day: float
    retreatment_gap_days: int


def _number(value: float) -> str:
    return f"{value:g}"


def _gap(days: int) -> str:
    return f"{days // 7} weeks" if days % 7 == 0 else f"{days} days"


def flag_label(code: str, numbers: FlagNumbers) -> str:
    """A flag in words, with the rule set's current numbers."""
    labels = {
        "target_band_reached": "Cumulative dose in the target band "
        f"(≥ {_number(numbers.target_band_mg_per_kg)} mg/kg)",
        "above_150": f"Cumulative dose above {_number(numbers.upper_limit_mg_per_kg)} mg/kg",
        "dose_below_band": "Daily dose below "
        f"{_number(numbers.dose_band_low_mg_per_kg_day)} mg/kg (low-dose regimen?)",
        "dose_above_band": "Daily dose above "
        f"{_number(numbers.dose_band_high_mg_per_kg_day)} mg/kg",
        "retreatment_gap": "Started less than "
        f"{_gap(numbers.retreatment_gap_days)} after the previous course",
        "category_missing": "Pregnancy-potential category not assigned",
        "start_missing": "Course start missing",
        "weight_missing": "Weight missing",
        "dose_missing": "Dose missing for treatment days",
        "rules_missing": "No monitoring rules for this profile",
    }
    return labels.get(code, code.replace("_", " "))
