"""Services: valid writes save, every validation error names its field and saves nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from patients import services
from patients.models import (
    Course,
    CourseStatus,
    DoseChange,
    LabResult,
    MoodScreen,
    Patient,
    PregnancyTest,
    Visit,
    WeightMeasurement,
)
from tests import factories

TODAY = dt.date(2026, 11, 2)


@pytest.fixture
def patient(db):
    return factories.PatientFactory(date_of_birth=dt.date(1998, 3, 14), profile="US")


@pytest.fixture
def course(patient):
    return factories.CourseFactory(patient=patient, start=dt.date(2026, 9, 14))


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# Patients -------------------------------------------------------------------------------------


def test_patient_create_saves_the_patient(alice):
    patient = services.patient_create(
        mrn=" A100 ",
        given_name="Jane",
        family_name="Doe",
        date_of_birth=dt.date(2000, 1, 2),
        profile="UK",
        by=alice,
        today=TODAY,
    )
    assert Patient.objects.get(pk=patient.pk).mrn == "A100"


def test_patient_create_leaves_the_category_unassigned_by_default(alice):
    patient = services.patient_create(
        mrn="A101",
        given_name="Jane",
        family_name="Doe",
        date_of_birth=dt.date(2000, 1, 2),
        profile="UK",
        by=alice,
        today=TODAY,
    )
    assert patient.category == ""
    assert patient.category_assigned_by is None


def test_patient_create_refuses_a_date_of_birth_in_the_future(alice):
    with pytest.raises(ValidationError) as excinfo:
        services.patient_create(
            mrn="A102",
            given_name="Jane",
            family_name="Doe",
            date_of_birth=TODAY + dt.timedelta(days=1),
            profile="UK",
            by=alice,
            today=TODAY,
        )
    assert "date_of_birth" in errors_of(excinfo)
    assert not Patient.objects.exists()


def test_patient_create_requires_the_reason_for_a_contraception_exemption(alice):
    with pytest.raises(ValidationError) as excinfo:
        services.patient_create(
            mrn="A103",
            given_name="Jane",
            family_name="Doe",
            date_of_birth=dt.date(2000, 1, 2),
            profile="UK",
            contraception_exempt=True,
            by=alice,
            today=TODAY,
        )
    assert "contraception_exempt_reason" in errors_of(excinfo)


def test_patient_create_refuses_a_duplicate_mrn(alice, patient):
    with pytest.raises(ValidationError) as excinfo:
        services.patient_create(
            mrn=patient.mrn,
            given_name="Jane",
            family_name="Doe",
            date_of_birth=dt.date(2000, 1, 2),
            profile="UK",
            by=alice,
            today=TODAY,
        )
    assert "mrn" in errors_of(excinfo)


def test_assigning_the_category_records_who_and_when(alice, patient):
    services.patient_assign_category(
        patient=patient, category="cannot_get_pregnant", reason="menopause", by=alice, today=TODAY
    )
    patient.refresh_from_db()
    assert (patient.category, patient.category_assigned_by, patient.category_assigned_on) == (
        "cannot_get_pregnant",
        alice,
        TODAY,
    )


# Courses --------------------------------------------------------------------------------------


def test_course_create_without_end_is_active(alice, patient):
    course = services.course_create(
        patient=patient, start=dt.date(2026, 10, 1), weight_kg="62.5", by=alice, today=TODAY
    )
    assert course.status == CourseStatus.ACTIVE
    assert course.target_mg_per_kg == 150


def test_course_create_planned_may_start_in_the_future(alice, patient):
    course = services.course_create(
        patient=patient,
        start=TODAY + dt.timedelta(days=40),
        start_is_planned=True,
        weight_kg=60,
        by=alice,
        today=TODAY,
    )
    assert course.status == CourseStatus.PLANNED


def test_course_create_refuses_a_second_open_course(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.course_create(
            patient=course.patient, start=dt.date(2026, 10, 1), weight_kg=60, by=alice, today=TODAY
        )
    assert "already has a planned, active or on-hold course" in errors_of(excinfo)["start"][0]
    assert Course.objects.count() == 1


def test_course_create_refuses_an_implausible_weight(alice, patient):
    with pytest.raises(ValidationError) as excinfo:
        services.course_create(
            patient=patient, start=dt.date(2026, 10, 1), weight_kg=400, by=alice, today=TODAY
        )
    assert "weight_kg" in errors_of(excinfo)


def test_course_update_refuses_an_end_before_the_start(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.course_update(
            course=course, status="completed", end=dt.date(2026, 9, 1), by=alice, today=TODAY
        )
    assert "end" in errors_of(excinfo)
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_course_stopped_early_needs_a_reason(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.course_update(
            course=course, status="stopped", end=dt.date(2026, 10, 30), by=alice, today=TODAY
        )
    assert "stopped_reason" in errors_of(excinfo)


def test_course_completed_with_last_dose(alice, course):
    services.course_update(
        course=course, status="completed", end=dt.date(2026, 10, 30), by=alice, today=TODAY
    )
    course.refresh_from_db()
    assert (course.status, course.end) == (CourseStatus.COMPLETED, dt.date(2026, 10, 30))


# Clinical records -----------------------------------------------------------------------------


def test_record_dated_in_the_future_is_refused(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.weight_record(
            course=course, date=TODAY + dt.timedelta(days=1), kg=60, by=alice, today=TODAY
        )
    assert "in the future" in errors_of(excinfo)["date"][0]
    assert not WeightMeasurement.objects.exists()


def test_record_dated_before_birth_is_refused(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.confirmation_record(
            course=course, date=dt.date(1990, 1, 1), kind="consent", by=alice, today=TODAY
        )
    assert "before the patient's date of birth" in errors_of(excinfo)["date"][0]


def test_weight_outside_the_plausible_range_is_refused(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.weight_record(course=course, date=TODAY, kg=12, by=alice, today=TODAY)
    assert "kg" in errors_of(excinfo)


def test_dose_above_the_plausible_range_is_refused(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.dose_record(course=course, date=TODAY, mg_per_day=400, by=alice, today=TODAY)
    assert "mg_per_day" in errors_of(excinfo)
    assert not DoseChange.objects.exists()


def test_dose_before_the_course_start_is_refused(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.dose_record(
            course=course, date=dt.date(2026, 9, 1), mg_per_day=40, by=alice, today=TODAY
        )
    assert "date" in errors_of(excinfo)


def test_lab_result_in_mmol_is_converted_and_coded_as_molar(alice, course):
    result = services.lab_result_record(
        course=course,
        date=TODAY,
        analyte="triglycerides",
        value="2.0",
        unit="mmol/L",
        by=alice,
        today=TODAY,
    )
    assert result.canonical_unit == "mg/dL"
    assert result.canonical_value == Decimal("177.14")
    assert result.loinc == "14927-8"


def test_lab_unit_that_does_not_fit_the_analyte_is_refused(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.lab_result_record(
            course=course, date=TODAY, analyte="alt", value=30, unit="mg/dL", by=alice, today=TODAY
        )
    assert "ALT is reported in U/L" in errors_of(excinfo)["unit"][0]
    assert not LabResult.objects.exists()


def test_implausible_lab_value_is_refused(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.lab_result_record(
            course=course,
            date=TODAY,
            analyte="total_cholesterol",
            value=5000,
            unit="mg/dL",
            by=alice,
            today=TODAY,
        )
    assert "not a plausible" in errors_of(excinfo)["value"][0]


def test_uln_is_refused_for_a_lipid(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.lab_result_record(
            course=course,
            date=TODAY,
            analyte="ldl",
            value=100,
            unit="mg/dL",
            uln=40,
            by=alice,
            today=TODAY,
        )
    assert "uln" in errors_of(excinfo)


def test_phq9_total_above_27_is_refused(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.mood_screen_record(
            course=course, date=TODAY, instrument="PHQ-9", total=28, item9=0, by=alice, today=TODAY
        )
    assert "0 to 27" in errors_of(excinfo)["total"][0]
    assert not MoodScreen.objects.exists()


def test_phq9_item9_above_3_is_refused(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.mood_screen_record(
            course=course, date=TODAY, instrument="PHQ-9", total=10, item9=4, by=alice, today=TODAY
        )
    assert "0 to 3" in errors_of(excinfo)["item9"][0]


def test_phq9_item9_is_never_left_blank(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.mood_screen_record(
            course=course, date=TODAY, instrument="PHQ-9", total=10, by=alice, today=TODAY
        )
    assert "item9" in errors_of(excinfo)


def test_supply_of_more_than_90_days_is_refused(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.dispense_record(course=course, date=TODAY, supply_days=120, by=alice, today=TODAY)
    assert "supply_days" in errors_of(excinfo)


def test_first_dispense_starts_a_planned_course(alice, patient):
    course = factories.CourseFactory(
        patient=patient, start=dt.date(2026, 11, 20), start_is_planned=True, status="planned"
    )
    services.dispense_record(course=course, date=TODAY, supply_days=30, by=alice, today=TODAY)
    course.refresh_from_db()
    assert (course.status, course.start, course.start_is_planned) == ("active", TODAY, False)


def test_positive_pregnancy_test_puts_the_course_on_hold(alice, course):
    services.pregnancy_test_record(
        course=course, date=TODAY, result="positive", setting="clinic", by=alice, today=TODAY
    )
    course.refresh_from_db()
    assert course.status == CourseStatus.ON_HOLD


def test_hold_resolution_needs_a_reason(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.hold_resolve(course=course, date=TODAY, reason=" ", by=alice, today=TODAY)
    assert "reason" in errors_of(excinfo)


def test_alert_review_needs_a_note(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.alert_review_record(
            course=course, date=TODAY, source="lab", analyte="alt", by=alice, today=TODAY
        )
    assert "notes" in errors_of(excinfo)


# Entered in error -----------------------------------------------------------------------------


def test_entered_in_error_needs_a_reason(alice, course):
    record = services.weight_record(course=course, date=TODAY, kg=60, by=alice, today=TODAY)
    with pytest.raises(ValidationError) as excinfo:
        services.record_mark_entered_in_error(record=record, reason="  ", by=alice, today=TODAY)
    assert "reason" in errors_of(excinfo)
    record.refresh_from_db()
    assert not record.entered_in_error


def test_entered_in_error_keeps_the_record_with_its_reason(alice, course):
    record = services.weight_record(course=course, date=TODAY, kg=60, by=alice, today=TODAY)
    services.record_mark_entered_in_error(
        record=record, reason="wrong patient", by=alice, today=TODAY
    )
    record = WeightMeasurement.objects.get(pk=record.pk)
    assert (record.entered_in_error, record.error_reason, record.error_marked_by) == (
        True,
        "wrong patient",
        alice,
    )


def test_entered_in_error_works_for_a_visit(alice, course):
    visit = services.visit_record(course=course, date=TODAY, clinician=alice, by=alice, today=TODAY)
    services.record_mark_entered_in_error(record=visit, reason="duplicate", by=alice, today=TODAY)
    assert Visit.objects.get(pk=visit.pk).entered_in_error


# Visits ---------------------------------------------------------------------------------------


def test_visit_saves_each_part_linked_to_the_visit(alice, course):
    visit = services.visit_record(
        course=course,
        date=TODAY,
        clinician=alice,
        by=alice,
        weight_kg="61.0",
        pregnancy_test={"result": "negative", "setting": "clinic"},
        today=TODAY,
        se_dry_lips=True,
    )
    assert visit.weightmeasurements.get().kg == Decimal("61.0")
    assert visit.pregnancytests.get().result == "negative"
    assert visit.side_effects() == ["dry lips (cheilitis)"]


def test_visit_with_one_invalid_part_saves_nothing(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.visit_record(
            course=course,
            date=TODAY,
            clinician=alice,
            by=alice,
            weight_kg="61.0",
            mood_screen={"instrument": "PHQ-9", "total": 28, "item9": 0},
            today=TODAY,
        )
    assert "mood-total" in errors_of(excinfo)
    assert not Visit.objects.exists()
    assert not WeightMeasurement.objects.exists()


def test_visit_part_errors_carry_the_part_prefix(alice, course):
    with pytest.raises(ValidationError) as excinfo:
        services.visit_record(
            course=course,
            date=TODAY,
            clinician=alice,
            by=alice,
            pregnancy_test={"result": "negative", "setting": ""},
            today=TODAY,
        )
    assert "pregnancy_test-setting" in errors_of(excinfo)
    assert not PregnancyTest.objects.exists()
