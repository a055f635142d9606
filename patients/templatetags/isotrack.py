"""Display helpers for the templates (formatting only, no business logic)."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils import timezone

from patients.models import CourseStatus

register = template.Library()

COURSE_STATUS_LABELS = dict(CourseStatus.choices)


@register.filter
def user_display(user) -> str:
    """A user's full name, else the username; an em dash when there is none."""
    if user is None or user == "":
        return "—"
    return user.get_full_name() or user.get_username()


@register.filter
def age(date_of_birth: date | None, on: date | None = None) -> int | str:
    """Age in whole years on ``on`` (default today)."""
    if not date_of_birth:
        return ""
    on = on or timezone.localdate()
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


@register.filter
def course_status_label(status: str | None) -> str:
    return COURSE_STATUS_LABELS.get(status or "", "No course")


@register.simple_tag(takes_context=True)
def nav_active(context, *names: str) -> str:
    """``active`` when the current view is one of ``names`` ("namespace:" matches a namespace)."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    for name in names:
        if name.endswith(":") and match.namespace == name[:-1]:
            return "active"
        if match.view_name == name:
            return "active"
    return ""
