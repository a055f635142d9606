"""A write reaches monitoring through one entry point, once: ``patients.reevaluation``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from patients import reevaluation, services
from patients.models import LabResult
from tracker.models import MonitoringAlert, MonitoringItem
from tracker.monitoring import review, store

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 10, 20)


@pytest.fixture
def course(alice):
    patient = services.patient_create(
        mrn="RE1",
        given_name="Eva",
        family_name="Luation",
        date_of_birth=dt.date(1996, 4, 4),
        profile="US",
        category="can_get_pregnant",
        by=alice,
        today=TODAY,
    )
    return services.course_create(
        patient=patient, start=dt.date(2026, 9, 14), weight_kg=60, by=alice, today=TODAY
    )


@pytest.fixture
def evaluations(monkeypatch):
    """The courses the engine evaluates, one entry per evaluation."""
    seen: list = []
    evaluate = store.evaluate

    def counted(facts, ruleset, today):
        seen.append(today)
        return evaluate(facts, ruleset, today)

    monkeypatch.setattr(store, "evaluate", counted)
    return seen


def test_a_visit_with_every_section_evaluates_its_course_once(course, alice, evaluations):
    services.visit_record(
        course=course,
        date=TODAY,
        clinician=alice,
        by=alice,
        today=TODAY,
        iga=2,
        weight_kg=61,
        mg_per_day=40,
        pregnancy_test={"result": "negative", "setting": "clinic"},
        contraception_methods=["implant", "male_condom"],
        mood_screen={"instrument": "PHQ-9", "total": 3, "item9": 0},
        rems_confirmation=True,
    )
    assert len(evaluations) == 1
    # What the visit recorded is in the stored state.
    for kind in ("pregnancy_test", "mood_screen", "rems_confirmation"):
        assert MonitoringItem.objects.filter(course=course, satisfied_kind=kind).exists(), kind


def test_reviewing_an_alert_evaluates_its_course_once(course, alice, evaluations):
    services.lab_result_record(
        course=course,
        date=TODAY,
        analyte="triglycerides",
        value=900,
        unit="mg/dL",
        by=alice,
        today=TODAY,
    )
    alert = MonitoringAlert.objects.get(course=course)
    evaluations.clear()
    review.review_acknowledge(
        course=course, key=alert.key, note="Diet advice, repeat in 2 weeks.", by=alice, today=TODAY
    )
    assert len(evaluations) == 1
    alert.refresh_from_db()
    assert not alert.is_open


def test_a_single_record_evaluates_its_course_once(course, alice, evaluations):
    services.lab_result_record(
        course=course, date=TODAY, analyte="alt", value=30, unit="U/L", by=alice, today=TODAY
    )
    assert len(evaluations) == 1


def test_a_batch_evaluates_each_course_once_at_its_end(course, alice, evaluations):
    with reevaluation.batch():
        for value in (30, 31, 32):
            services.lab_result_record(
                course=course, date=TODAY, analyte="alt", value=value, unit="U/L", by=alice
            )
        assert evaluations == []
    assert len(evaluations) == 1


def test_a_write_is_refused_when_nothing_re_evaluates_it(course, alice, monkeypatch):
    monkeypatch.setattr(reevaluation, "_registered", [])
    with pytest.raises(ImproperlyConfigured, match="re-evaluation"):
        services.lab_result_record(
            course=course, date=TODAY, analyte="alt", value=30, unit="U/L", by=alice, today=TODAY
        )
    assert not LabResult.objects.filter(course=course).exists()
