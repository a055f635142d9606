"""Monitoring writes: re-evaluate a course and store its state."""

from __future__ import annotations

from datetime import date

from django.utils import timezone


def course_refresh(course, *, today: date | None = None) -> None:
    """Re-evaluate one course and store its items, alerts and readiness."""
    today = today or timezone.localdate()
    # Filled in with the monitoring engine.
    return None
