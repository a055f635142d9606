"""The worklist's rows: one page of them, with the days each is overdue, or all of them as the
lines of its CSV export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from django.core.paginator import Page, Paginator

from tracker.models import WorklistEntry


def worklist_page(filterset, number, *, size: int, total: int | None = None) -> Page:
    """One page of the filtered worklist (``WorklistEntry`` rows with their patient and
    clinician, in one query); each row gets ``days``, the days it is overdue.

    ``total``, when the caller already knows the number of rows, saves counting them again.
    """
    paginator = Paginator(filterset.qs, size)
    if total is not None:
        paginator.count = total
    page = paginator.get_page(number)
    page.object_list = list(page.object_list)
    for entry in page.object_list:
        entry.days = entry.days_overdue(filterset.today)
    return page


CSV_COLUMNS = [
    "MRN",
    "Patient",
    "Item",
    "Status",
    "Alert level",
    "Due / result date",
    "Days overdue",
    "Responsible clinician",
    "Last outreach",
    "Review state",
]


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in exported text."""
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def csv_rows(entries: Iterable[WorklistEntry], today: date) -> Iterator[list]:
    """Each entry as a line of the CSV export (``CSV_COLUMNS``)."""
    for entry in entries:
        clinician = entry.responsible_clinician
        yield [
            _csv_safe(entry.patient.mrn),
            _csv_safe(entry.patient.name),
            _csv_safe(entry.title),
            entry.status,
            entry.level,
            entry.due_on.isoformat() if entry.due_on else "",
            entry.days_overdue(today) or "",
            _csv_safe(clinician.get_full_name()) if clinician else "",
            _csv_safe(entry.last_outreach),
            entry.review_state(today),
        ]
