"""Validation shared by services and forms: every error is tied to the field it concerns."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

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


def check_clinical_date(
    errors: FieldErrors,
    field: str,
    value: date | None,
    *,
    today: date,
    date_of_birth: date | None,
    allow_future: bool = False,
) -> None:
    if value is None:
        return
    if not allow_future and value > today:
        errors.add(field, f"This date is in the future (today is {today:%d %b %Y}).")
    if date_of_birth is not None and value < date_of_birth:
        errors.add(field, "This date is before the patient's date of birth.")


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
