"""A change to the rule set re-evaluates the open courses it affects."""

from __future__ import annotations

from datetime import date

from patients.models import OPEN_COURSE_STATUSES, Course
from tracker.monitoring.store import refresh_courses


def rules_changed(*, profiles: list[str] | None = None, today: date | None = None) -> int:
    """Re-evaluate the open courses a rule-set change affects (every profile when None)."""
    courses = Course.objects.filter(status__in=OPEN_COURSE_STATUSES)
    if profiles is not None:
        courses = courses.filter(patient__profile__in=profiles)
    ids = list(courses.values_list("pk", flat=True))
    refresh_courses(today=today, course_ids=ids)
    return len(ids)
