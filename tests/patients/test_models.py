"""Model behaviour the pages rely on: summaries, labels and database constraints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError

from patients.models import (
    ContraceptionRecord,
    CourseStatus,
    LabResult,
    MoodScreen,
    PregnancyTest,
    Visit,
)
from tests import factories


@pytest.fixture
def course(db):
    return factories.CourseFactory()


def test_patient_name_is_given_then_family(db):
    patient = factories.PatientFactory(given_name="Ada", family_name="Lovelace")
    assert patient.name == "Ada Lovelace"


def test_patient_str_is_family_given_and_mrn(db):
    patient = factories.PatientFactory(given_name="Ada", family_name="Lovelace", mrn="X1")
    assert str(patient) == "Lovelace, Ada (X1)"


def test_course_is_open_while_planned_active_or_on_hold(course):
    assert course.is_open
    course.status = CourseStatus.COMPLETED
    assert not course.is_open


def test_database_refuses_a_second_open_course(course):
    with pytest.raises(IntegrityError):
        factories.CourseFactory(patient=course.patient, status=CourseStatus.PLANNED)


def test_database_refuses_an_end_before_the_start(db):
    with pytest.raises(IntegrityError):
        factories.CourseFactory(
            start=dt.date(2026, 9, 14), end=dt.date(2026, 9, 1), status=CourseStatus.COMPLETED
        )


def test_lab_summary_shows_the_canonical_value_when_converted(course):
    result = LabResult(
        course=course,
        date=dt.date(2026, 10, 1),
        analyte="triglycerides",
        value=Decimal("2.000"),
        unit="mmol/L",
        canonical_value=Decimal("177.14"),
        canonical_unit="mg/dL",
    )
    assert result.summary() == "Triglycerides 2 mmol/L (= 177 mg/dL)"


def test_mood_summary_includes_item9(course):
    screen = MoodScreen(
        course=course, date=dt.date(2026, 10, 1), instrument="PHQ-9", total=7, item9=1
    )
    assert screen.summary() == "PHQ-9 total 7, item 9 = 1"


def test_contraception_summary_lists_method_labels(course):
    record = ContraceptionRecord(
        course=course, date=dt.date(2026, 10, 1), kind="start", methods=["implant", "abstinence"]
    )
    assert record.summary() == "Contraception started: Implant, Abstinence (committed)"


def test_pregnancy_test_summary_names_result_and_setting(course):
    test = PregnancyTest(
        course=course, date=dt.date(2026, 10, 1), result="negative", setting="remote_supervised"
    )
    assert test.summary() == "Pregnancy test negative (Remote, supervised)"


def test_visit_side_effects_include_the_free_text(course):
    visit = Visit(course=course, date=dt.date(2026, 10, 1), se_headache=True, se_other="hair loss")
    assert visit.side_effects() == ["headache", "hair loss"]


def test_visit_counselling_lists_what_was_given(course):
    visit = Visit(course=course, date=dt.date(2026, 10, 1), co_no_blood_donation=True)
    assert visit.counselling() == ["no blood donation until 1 month after"]
