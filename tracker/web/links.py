"""Links and text of the worklist rows, built cheaply: a page draws fifty rows on every request."""

from __future__ import annotations

import re

from django.urls import reverse

# Placeholders reversed once per request; each row's link is the pattern with its own values.
_ID = 918273645
_KEY = "zzkeyzz"
# Keys that need no quoting in a URL (rule codes, "lab:123", "UK-L1:alt"); anything else is
# reversed the ordinary way.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.:\-]+\Z")


class RowLinks:
    """The patient page and the review page of worklist rows.

    ``reverse()`` walks the URL configuration on every call; fifty rows need a hundred links of
    two shapes, so each shape is reversed once and filled in per row (the same result).
    """

    def __init__(self) -> None:
        self._patient = reverse("patients:detail", args=[_ID]).split(str(_ID))
        before, after = reverse("tracker:review", args=[_ID, _KEY]).split(str(_ID))
        middle, end = after.split(_KEY)
        self._review = (before, middle, end)

    def patient(self, patient_id: int) -> str:
        return f"{self._patient[0]}{int(patient_id)}{self._patient[1]}"

    def review(self, course_id: int, key: str) -> str:
        if not _PLAIN_KEY.match(key):
            return reverse("tracker:review", args=[course_id, key])
        before, middle, end = self._review
        return f"{before}{int(course_id)}{middle}{key}{end}"


def shorten(text: str, length: int) -> str:
    """``text`` cut to at most ``length`` characters, ending with an ellipsis when cut."""
    text = text or ""
    if len(text) <= length:
        return text
    return text[: length - 1].rstrip() + "…"
