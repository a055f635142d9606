"""Reads for monitoring pages: the stored state of courses, worklist querysets."""

from __future__ import annotations

from datetime import date

from django.utils import timezone


def course_monitoring_context(course, *, today: date | None = None) -> dict:
    """Everything the monitoring panel of a patient page shows for one course."""
    today = today or timezone.localdate()
    return {"course": course, "today": today, "items": [], "alerts": [], "summary": None}
