"""Which views show patient data, declared on the view itself.

``@shows_patient_data(...)`` only marks the view; the access-log middleware
(``tracker.web.middleware.AccessLogMiddleware``) reads the mark and writes the log: every view
of one patient's record, every export, and every refused (403) attempt at any of them.
``tests/test_access_log_declared.py`` requests every URL of the site and fails for a page that
shows a patient's name or MRN without having logged it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

RECORD = "record"  # one patient's record: logged whenever it is served or refused
LIST = "list"  # many patients (the way in: a list, a search): logged when refused
EXPORT = "export"  # a file of many patients' data: logged whenever it is served or refused


@dataclass(frozen=True)
class PatientData:
    kind: str
    patient: str | None = None  # the URL parameter that is the patient's id
    course: str | None = None  # ... or the one that is the id of one of their courses


def shows_patient_data(
    *, patient: str | None = None, course: str | None = None, kind: str = RECORD
) -> Callable:
    """Mark a view as showing patient data: one patient's record (named by the URL parameter
    ``patient`` or ``course``), or ``kind=LIST`` / ``kind=EXPORT`` for many patients'."""
    if kind == RECORD and (patient is None) == (course is None):
        raise ValueError("A record view names its patient, or its course, by one URL parameter.")

    def mark(view: Callable) -> Callable:
        view.shows_patient_data = PatientData(kind=kind, patient=patient, course=course)
        return view

    return mark


def declared(view: Callable | None) -> PatientData | None:
    """What a view declares it shows (None: no patient data)."""
    return getattr(view, "shows_patient_data", None)
