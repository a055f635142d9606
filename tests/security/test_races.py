"""Two people press "save" at the same moment: one succeeds, the other gets a clear message,
and never a server error or a silent overwrite.

The two requests run on two real database connections, released together by a barrier
(``tests.concurrency``). On PostgreSQL (CI runs the suite there too) they truly overlap and
the row locks decide who waits. SQLite takes one writer at a time, so there the second
request finds the first one's work committed: the same outcome is asserted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patients import services
from patients.models import Course, Patient
from tests import factories
from tests.concurrency import load_default_rules_if_missing, run_together
from tests.html_forms import page_form

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def default_rules(transactional_db) -> None:
    load_default_rules_if_missing()


@pytest.fixture(scope="module", autouse=True)
def leave_migrated_data(django_db_blocker) -> Iterator[None]:
    """Leave the database as the migrations left it, for the transactional tests after these."""
    yield
    with django_db_blocker.unblock():
        load_default_rules_if_missing()


@pytest.fixture
def two_clinicians(db) -> list[Client]:
    clients = []
    for name in ("ana", "ben"):
        client = Client(raise_request_exception=False)  # a server error is a status here
        client.force_login(factories.clinician(username=name, first_name=name.title()))
        clients.append(client)
    return clients


@pytest.fixture
def patient(db) -> Patient:
    return services.patient_create(
        mrn="RACE1",
        given_name="Rita",
        family_name="Quick",
        date_of_birth=dt.date(1996, 6, 6),
        profile="UK",
        category="can_get_pregnant",
        by=None,
    )


def post_together(clients: list[Client], url: str, data: list[dict]) -> list:
    return run_together(*(partial(c.post, url, d) for c, d in zip(clients, data, strict=True)))


def one_saved_one_told(responses, message: str) -> str:
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 302], codes
    refused = next(r for r in responses if r.status_code == 200)
    text = refused.content.decode()
    assert message in text
    return text


def test_two_new_courses_at_once_make_one_course_and_one_clear_message(two_clinicians, patient):
    url = reverse("patients:course_create", args=[patient.pk])
    data = [page_form(client.get(url)) for client in two_clinicians]
    for form in data:
        form.update(start=TODAY.isoformat(), weight_kg="60")

    responses = post_together(two_clinicians, url, data)

    one_saved_one_told(responses, "already has a planned, active or on-hold course")
    assert Course.objects.filter(patient=patient).count() == 1


def test_two_entered_in_error_marks_at_once_keep_the_first_reason(two_clinicians, patient):
    course = services.course_create(patient=patient, start=TODAY, weight_kg=60, by=None)
    result = services.lab_result_record(
        course=course, date=TODAY, analyte="alt", value=30, unit="U/L", by=None
    )
    url = reverse("patients:mark_error", args=[patient.pk, "labresult", result.pk])
    data = [page_form(client.get(url)) for client in two_clinicians]
    data[0]["reason"], data[1]["reason"] = "Wrong patient", "Duplicate entry"

    responses = post_together(two_clinicians, url, data)

    text = one_saved_one_told(responses, "Already marked entered in error by")
    result.refresh_from_db()
    assert result.entered_in_error
    saved = next(d for d, r in zip(data, responses, strict=True) if r.status_code == 302)
    assert result.error_reason == saved["reason"]
    assert result.error_marked_by.first_name in text
    assert result.history.filter(entered_in_error=True).count() == 1


def test_a_course_saved_meanwhile_meets_the_database_constraint_with_the_same_message(
    patient, monkeypatch
):
    # The moment a concurrent "new course" commits between this one's check and its insert:
    # the check finds nothing, and the database's one-open-course constraint refuses the row.
    services.course_create(patient=patient, start=TODAY, weight_kg=60, by=None)
    answers = iter([False, True])  # nothing open at the check; the other course at the insert
    monkeypatch.setattr(services, "_has_open_course", lambda patient: next(answers))
    monkeypatch.setattr(Course, "validate_constraints", lambda self, exclude=None: None)

    with pytest.raises(ValidationError) as refused:
        services.course_create(patient=patient, start=TODAY, weight_kg=61, by=None)

    assert refused.value.message_dict == {"start": [services.OPEN_COURSE_MESSAGE]}
    assert Course.objects.filter(patient=patient).count() == 1
