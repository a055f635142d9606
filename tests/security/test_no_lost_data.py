"""A write interrupted by a database error leaves nothing half-saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError

from patients import services
from patients.models import LabResult
from tracker.models import MonitoringItem

TODAY = dt.date(2026, 10, 1)


@pytest.fixture
def course(alice):
    patient = services.patient_create(
        mrn="N1",
        given_name="Noor",
        family_name="Haddad",
        date_of_birth=dt.date(1997, 1, 2),
        profile="US",
        category="can_get_pregnant",
        by=alice,
        today=TODAY,
    )
    return services.course_create(
        patient=patient, start=dt.date(2026, 9, 14), weight_kg=60, by=alice, today=TODAY
    )


@pytest.mark.django_db(transaction=True)
def test_an_error_between_the_record_and_its_re_evaluation_stores_neither(
    course, alice, monkeypatch
):
    before = MonitoringItem.objects.get(course=course, code="US-B6:alt")

    def broken_store(*args, **kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr("tracker.monitoring.store.store_evaluations", broken_store)
    with pytest.raises(DatabaseError):
        services.lab_result_record(
            course=course,
            date=dt.date(2026, 9, 1),
            analyte="alt",
            value=20,
            unit="U/L",
            by=alice,
            today=TODAY,
        )
    assert not LabResult.objects.filter(course=course).exists()
    after = MonitoringItem.objects.get(course=course, code="US-B6:alt")
    assert (after.status, after.satisfied_id) == (before.status, before.satisfied_id)


@pytest.mark.django_db(transaction=True)
def test_a_visit_with_one_bad_part_saves_nothing(course, alice):
    from django.core.exceptions import ValidationError

    from patients.models import Visit, WeightMeasurement

    with pytest.raises(ValidationError) as error:
        services.visit_record(
            course=course,
            date=dt.date(2026, 9, 30),
            clinician=alice,
            by=alice,
            weight_kg=61,
            mood_screen={"instrument": "PHQ-9", "total": 40, "item9": 0},
            today=TODAY,
        )
    assert "mood-total" in error.value.message_dict
    assert not Visit.objects.exists()
    assert not WeightMeasurement.objects.exists()
