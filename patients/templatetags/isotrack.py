"""Display helpers for the clinical record templates (formatting only, no business logic)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from html import escape

from django import template
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from patients.models import CourseStatus

register = template.Library()

COURSE_STATUS_LABELS = dict(CourseStatus.choices)


@register.filter
def user_display(user) -> str:
    """A user's full name, else the username; an em dash when there is none."""
    if user is None or user == "":
        return "—"
    return user.get_full_name() or user.get_username()


@register.simple_tag(takes_context=True)
def nav_facts(context) -> dict:
    """The navigation bar's facts about the user (roles, the links their role may use), as the
    session keeps them (refreshed at most a minute ago), else read now. Display only."""
    from tracker.middleware import session_nav_facts

    facts = session_nav_facts(context.get("request"), context.get("user"))
    return {**facts, "roles": ", ".join(facts.get("roles", []))}


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


@lru_cache(maxsize=4096)
def _date_in(value: date, fmt: str | None, language: str | None) -> str:
    return date_format(value, fmt)  # in ``language``, the active one when called


def date_text(value, fmt: str | None = None) -> str:
    """A date, or an aware datetime in the clinic's time zone, as the templates' ``date``
    filter shows it. Localised formatting is slow and the dates a page shows repeat (due dates
    near today, a visit's records), so each date is formatted once per process and language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), fmt)
    return _date_in(value, fmt, get_language())


def _listed(values) -> str:
    return ", ".join(escape(str(v)) for v in values or []) or "none recorded"


def _or_dash(value) -> str:
    return "—" if value is None else escape(str(value))


def _visit_details(record, struck: str) -> str:
    return (
        f'<details class="small mt-1{struck}"><summary>Visit details</summary>'
        '<dl class="row mb-0">'
        '<dt class="col-sm-4">Clinician</dt>'
        f'<dd class="col-sm-8">{escape(user_display(record.clinician))}</dd>'
        '<dt class="col-sm-4">Lesions</dt>'
        f'<dd class="col-sm-8">inflammatory {_or_dash(record.inflammatory_lesions)}, '
        f"comedones {_or_dash(record.comedones)}</dd>"
        '<dt class="col-sm-4">Side effects</dt>'
        f'<dd class="col-sm-8">{_listed(record.side_effects())}</dd>'
        '<dt class="col-sm-4">Counselling given</dt>'
        f'<dd class="col-sm-8">{_listed(record.counselling())}</dd>'
        "</dl></details>"
    )


def timeline_row(entry: dict, patient_id: int, can_mark: bool) -> str:
    """One row of a course's timeline (see ``patients.views._timeline``), every value from the
    record escaped."""
    record, slug = entry["record"], entry["slug"]
    in_error = record.entered_in_error
    at_visit = getattr(record, "visit_id", None)
    struck = " struck" if in_error else ""
    when = date_text(record.date, "j M Y")
    label = f'<span class="{struck.strip()}">{escape(str(entry["label"]))}</span>'
    if at_visit:
        label += (
            ' <span class="badge text-bg-light border" '
            f'title="Recorded with the visit of {when}">at visit</span>'
        )
    details = f'<span class="{struck.strip()}">{escape(str(entry["summary"]))}</span>'
    if entry["is_visit"]:
        details += _visit_details(record, struck)
    source = getattr(record, "source", "")
    if source:
        details += (
            f'<div class="small text-muted record-source{struck}">'
            f"Received electronically: {escape(source)}</div>"
        )
    notes = getattr(record, "notes", "")
    if notes:
        details += f'<div class="small text-muted record-notes{struck}">{linebreaksbr(notes)}</div>'
    if in_error:
        details += (
            '<div class="small text-danger error-reason">Entered in error: '
            f"{escape(str(record.error_reason))} ({escape(user_display(record.error_marked_by))}, "
            f"{date_text(record.error_marked_at, 'j M Y')})</div>"
        )
    action = ""
    if can_mark and not in_error:
        url = reverse("patients:mark_error", args=[patient_id, slug, record.pk])
        action = f'<a class="link-secondary small" href="{escape(url)}">Mark entered in error</a>'
    created = date_text(record.created_at, "j M Y H:i")
    row_class = f"timeline-{slug}{' timeline-visit-part' if at_visit else ''}"
    row_class += " entered-in-error" if in_error else ""
    return (
        f'<tr class="{escape(row_class)}" id="{escape(slug)}-{int(record.pk)}">'
        f'<td class="text-nowrap">{when}</td>'
        f'<td class="text-nowrap">{label}</td>'
        f"<td>{details}</td>"
        f'<td class="small">{escape(user_display(record.created_by))}<br>'
        f'<span class="text-muted">{created}</span></td>'
        f'<td class="text-end d-print-none">{action}</td>'
        "</tr>\n"
    )


@register.simple_tag
def timeline_rows(timeline: list[dict], patient_id: int, can_mark: bool) -> SafeString:
    """A course's timeline rows, drawn in Python as the worklist's rows are (a long course has
    hundreds of records, each about twenty template values)."""
    rows = "".join(timeline_row(entry, patient_id, bool(can_mark)) for entry in timeline)
    return mark_safe(rows)  # every value escaped in timeline_row
