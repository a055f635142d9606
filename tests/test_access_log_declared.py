"""Access logging is declared on the view (``patients.access.shows_patient_data``), and nothing
that shows a patient escapes the log.

Every URL of the site (the walker of ``tests/test_access.py``) is requested as a clinician and
as clinic staff, with a patient whose name and MRN appear nowhere else. A response that shows
the name or the MRN must come from a view that declares it (a list, or that patient's record,
which is then logged for that patient, or an export, logged with its rows); a view declaring a
record must log every view of it and every refusal.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.urls import resolve

from patients.access import EXPORT, RECORD, declared
from tests import factories
from tests.test_access import CASES, Case, World, _build_world, _ids
from tracker.models import AccessLog

MRN = "QZ-7731-X"
GIVEN, FAMILY = "Quillon", "Vexmorrow"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world(
            factories.clinician(username="declared-clinician"),
            mrn=MRN,
            given_name=GIVEN,
            family_name=FAMILY,
        )
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["clinician", "staff"])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_a_page_that_shows_a_patient_logs_it(case: Case, role, client, world):
    url = case.url(world)
    make = factories.clinician if role == "clinician" else factories.staff
    client.force_login(make(username="looker"))
    before = AccessLog.objects.count()
    response = client.get(url)
    logged = list(AccessLog.objects.order_by("pk")[before:])
    shown = declared(resolve(url).func)
    body = response.content.decode(errors="replace")
    if MRN in body or GIVEN in body or FAMILY in body:
        assert shown is not None, f"{url} shows a patient: declare it (@shows_patient_data)"
        if shown.kind == RECORD:
            assert [entry.patient_id for entry in logged] == [world.patient.pk], url
        elif shown.kind == EXPORT:  # a file of many patients: logged with its rows
            assert [(e.kind, e.rows > 0) for e in logged] == [(EXPORT, True)], url
    if shown is not None and shown.kind == RECORD:
        if response.status_code < 400:
            assert [(e.patient_id, e.refused) for e in logged] == [(world.patient.pk, False)], url
        elif response.status_code == 403:
            assert [(e.patient_id, e.refused) for e in logged] == [(world.patient.pk, True)], url


def test_a_record_view_names_its_patient_by_one_url_parameter():
    from patients.access import shows_patient_data

    with pytest.raises(ValueError, match="names its patient"):
        shows_patient_data()
    with pytest.raises(ValueError, match="names its patient"):
        shows_patient_data(patient="pk", course="course_id")
