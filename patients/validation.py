"""Validation shared by services and forms: every error is tied to the field it concerns."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date, timedelta

from django.core.exceptions import ValidationError


class FieldErrors:
    """Collects field errors and raises them together as one ``ValidationError``."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


# Plausible dates ------------------------------------------------------------------------------
# Every date a person enters is checked against these, so no stored date is absurd and no
# date calculation (the engine's due dates, the grid's months) runs off the calendar.

# No date a person enters is earlier (dates of birth included) or later (rule dates included).
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
MAX_AGE_YEARS = 120
# How far ahead a planned course may start.
PLANNED_START_MAX_DAYS_AHEAD = 365


def validate_plausible_date(value: date | None) -> None:
    """The outer range of every date field (model and form fields): no today needed."""
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            f"Enter a date between {EARLIEST_DATE:%-d %b %Y} and {LATEST_DATE:%-d %b %Y}.",
            code="implausible_date",
        )


def check_date_of_birth(errors: FieldErrors, field: str, value: date | None, *, today: date):
    if value is None:
        return
    if value > today:
        errors.add(field, "The date of birth cannot be in the future.")
    elif (today - value).days > MAX_AGE_YEARS * 366 or value < EARLIEST_DATE:
        errors.add(field, f"Check the date of birth: the patient would be over {MAX_AGE_YEARS}.")


def check_clinical_date(
    errors: FieldErrors,
    field: str,
    value: date | None,
    *,
    today: date,
    date_of_birth: date | None,
    days_ahead: int = 0,
) -> None:
    """A date of the clinical record: not before the patient's birth (nor 1900), and not after
    today, or after ``days_ahead`` days from today where the future is allowed."""
    if value is None:
        return
    latest = today + timedelta(days=days_ahead)
    if value > latest:
        if days_ahead:
            errors.add(
                field,
                f"This date is too far ahead: at most {days_ahead} days from today "
                f"(until {latest:%-d %b %Y}).",
            )
        else:
            errors.add(field, f"This date is in the future (today is {today:%d %b %Y}).")
    if date_of_birth is not None and value < date_of_birth:
        errors.add(field, "This date is before the patient's date of birth.")
    elif value < EARLIEST_DATE:
        errors.add(field, f"Enter a date from {EARLIEST_DATE:%-d %b %Y} on.")


def check_range(
    errors: FieldErrors, field: str, value, low, high, unit: str = "", *, what: str = "value"
) -> None:
    if value is None:
        return
    if value < low or value > high:
        suffix = f" {unit}" if unit else ""
        errors.add(field, f"Enter a plausible {what} between {low:g} and {high:g}{suffix}.")


def check_choice(errors: FieldErrors, field: str, value, allowed: Iterable[str]) -> None:
    allowed = list(allowed)
    if value not in allowed:
        errors.add(field, f"Choose one of: {', '.join(allowed)}.")


# Names and MRNs --------------------------------------------------------------------------------
# Characters that change how text is shown without being seen themselves: bidirectional
# controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) and the other format
# characters (zero-width U+200B–U+200D, U+2060, U+FEFF, the soft hyphen…), control characters,
# line and paragraph separators, private-use, surrogate and unassigned code points. In a name
# or an MRN they make two records look alike, or one look like another.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
# Letters, numbers, punctuation and symbols: what a reader sees.
VISIBLE_CATEGORY_CLASSES = frozenset("LNPS")


def validate_no_hidden_characters(value: str) -> None:
    hidden = sorted({ch for ch in value if unicodedata.category(ch) in HIDDEN_CATEGORIES})
    if hidden:
        codes = ", ".join(f"U+{ord(ch):04X}" for ch in hidden)
        raise ValidationError(
            f"Remove the invisible or text-direction characters ({codes}).",
            code="hidden_characters",
        )


def validate_visible(value: str) -> None:
    if not any(unicodedata.category(ch)[0] in VISIBLE_CATEGORY_CLASSES for ch in value):
        raise ValidationError(
            "Enter at least one visible letter, digit or sign.", code="nothing_visible"
        )
