"""One page of the worklist: its rows, with the days each is overdue."""

from __future__ import annotations

from django.core.paginator import Page, Paginator


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
