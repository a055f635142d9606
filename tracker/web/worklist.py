"""The rows of a worklist page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.core.paginator import Paginator

from tracker.models import days_overdue
from tracker.web.links import RowLinks, shorten

WORKLIST_DETAIL_CHARS = 140


@dataclass(slots=True)
class RowPerson:
    """What a worklist row shows of a patient or of a responsible clinician."""

    mrn: str = ""
    given_name: str = ""
    family_name: str = ""
    username: str = ""

    def get_full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(slots=True)
class WorklistRow:
    """One row of a worklist page: read as plain values, not as model instances (fifty on
    every request), with its links, short detail and days overdue."""

    pk: int
    course_id: int
    patient_id: int
    key: str
    kind: str
    item_kind: str
    title: str
    detail: str
    status: str
    level: str
    priority: int
    due_on: date | None
    profile: str
    category: str
    acknowledged_at: datetime | None
    snoozed_until: date | None
    waived: bool
    last_outreach_at: datetime | None
    last_outreach: str
    patient: RowPerson
    responsible_clinician: RowPerson | None
    days: int | None = None
    patient_url: str = ""
    review_url: str = ""
    detail_short: str = ""


# A row's own columns (named as WorklistRow's fields), then its patient's and clinician's.
_OWN_FIELDS = (
    "pk", "course_id", "patient_id", "key", "kind", "item_kind", "title", "detail", "status",
    "level", "priority", "due_on", "profile", "category", "acknowledged_at", "snoozed_until",
    "waived", "last_outreach_at", "last_outreach",
)  # fmt: skip
_ROW_FIELDS = (
    *_OWN_FIELDS,
    "patient__mrn",
    "patient__given_name",
    "patient__family_name",
    "responsible_clinician_id",
    "responsible_clinician__username",
    "responsible_clinician__first_name",
    "responsible_clinician__last_name",
)


def _row(values: tuple, today: date, links: RowLinks) -> WorklistRow:
    own = dict(zip(_OWN_FIELDS, values, strict=False))
    mrn, given, family, clinician_id, username, first, last = values[len(_OWN_FIELDS) :]
    row = WorklistRow(
        **own,
        patient=RowPerson(mrn=mrn, given_name=given, family_name=family),
        responsible_clinician=None
        if clinician_id is None
        else RowPerson(username=username, given_name=first, family_name=last),
    )
    row.days = days_overdue(row.status, row.due_on, today)
    row.patient_url = links.patient(row.patient_id)
    row.review_url = links.review(row.course_id, row.key)
    row.detail_short = shorten(row.detail, WORKLIST_DETAIL_CHARS)
    return row


def worklist_row_values(filterset):
    """The filtered worklist as tuples of what a row shows (the rows query of the page)."""
    return filterset.qs.values_list(*_ROW_FIELDS)


def worklist_page(filterset, number, *, size: int, total: int | None = None):
    """One page of the filtered worklist as ``WorklistRow``s, in one query.

    ``total``, when the caller already knows the number of rows, saves counting them again.
    """
    paginator = Paginator(worklist_row_values(filterset), size)
    if total is not None:
        paginator.count = total
    page = paginator.get_page(number)
    links = RowLinks()
    page.object_list = [_row(values, filterset.today, links) for values in page.object_list]
    return page
