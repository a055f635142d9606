"""The worklist's table rows, and the cells of a course's month-by-month grid, drawn in Python.

The worklist page is opened all day by every member of staff and draws fifty rows of about
fifteen values each; through the template engine the rows cost more than the rest of the
request. As Django's admin draws its change-list rows in Python (``admin_list.items_for_result``),
each row is built here, every value escaped with ``html.escape`` (what Django's ``escape`` and
the templates' autoescaping use).
"""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from patients.templatetags.isotrack import date_text

register = template.Library()

DASH = "—"


def _status_badge(entry) -> str:
    if entry.kind == "alert":
        level = escape(entry.level)
        return f'<span class="badge level-badge level-{level}">{level}</span>'
    label = "Overdue" if entry.status == "overdue" else "Due soon"
    return f'<span class="badge status-badge status-badge-{escape(entry.status)}">{label}</span>'


def _clinician(entry) -> str:
    user = entry.responsible_clinician
    if user is None:
        return DASH
    return escape(user.get_full_name() or user.username)


def _outreach(entry) -> str:
    if not entry.last_outreach_at:
        return DASH
    when = date_text(entry.last_outreach_at, "j M")
    return f"{when}: {escape(entry.last_outreach)}"


def _review_state(entry) -> str:
    if entry.acknowledged_at:
        return "Acknowledged"
    if entry.snoozed_until:
        return f"Snoozed to {date_text(entry.snoozed_until)}"
    if entry.waived:
        return "Waived"
    return "Review"


def worklist_row(entry) -> str:
    """One row as HTML; the view has set ``patient_url``, ``review_url``, ``detail_short`` and
    ``days``. Every value from the database is escaped."""
    patient = entry.patient
    due = date_text(entry.due_on) if entry.due_on else DASH
    days = DASH if entry.days is None else int(entry.days)
    return (
        f'<tr class="worklist-row priority-{int(entry.priority)}" data-key="{escape(entry.key)}">'
        f'<td><a href="{escape(entry.patient_url)}">'
        f"{escape(patient.family_name)}, {escape(patient.given_name)}</a><br>"
        f'<span class="small text-muted">{escape(patient.mrn)}</span></td>'
        f"<td>{escape(entry.title)}<br>"
        f'<span class="small text-muted">{escape(entry.detail_short)}</span></td>'
        f"<td>{_status_badge(entry)}</td>"
        f"<td>{due}</td>"
        f"<td>{days}</td>"
        f"<td>{_clinician(entry)}</td>"
        f'<td class="small">{_outreach(entry)}</td>'
        f'<td class="small"><a href="{escape(entry.review_url)}">{_review_state(entry)}</a>'
        "</td></tr>\n"
    )


@register.simple_tag
def worklist_rows(page) -> SafeString:
    return mark_safe("".join(worklist_row(entry) for entry in page))  # each value escaped


def grid_cell(cell: dict) -> str:
    """One cell of the patient page's month-by-month grid, every value escaped."""
    state = escape(cell["state"])
    current = " grid-current" if cell["current"] else ""
    return (
        f'<td class="grid-cell grid-{state}{current}" title="{escape(cell["title"])}"'
        f' data-state="{state}"><span aria-hidden="true">{escape(cell["symbol"])}</span>'
        f'<span class="visually-hidden">{escape(cell["words"])}</span></td>'
    )


@register.simple_tag
def grid_cells(row: dict) -> SafeString:
    """A grid row's cells (about a hundred per course), drawn as the worklist's rows are."""
    return mark_safe("".join(grid_cell(cell) for cell in row["cells"]))  # each value escaped
