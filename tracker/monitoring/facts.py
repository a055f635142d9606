"""Course facts from the database: the adapter between clinical records and the pure engine.

Records marked entered-in-error are left out. The queries are fixed in number whatever the
length of the course's history.
"""

from __future__ import annotations

from collections import defaultdict

from patients.models import (
    AlertReview,
    Confirmation,
    ContraceptionKind,
    ContraceptionRecord,
    Course,
    Dispense,
    DoseChange,
    HoldResolution,
    LabResult,
    MoodScreen,
    PregnancyTest,
    Prescription,
    SexualFunctionReview,
    WeightMeasurement,
)
from tracker.engine import facts as f

RECORD_MODELS = (
    Confirmation,
    ContraceptionRecord,
    PregnancyTest,
    MoodScreen,
    SexualFunctionReview,
    LabResult,
    DoseChange,
    WeightMeasurement,
    Prescription,
    Dispense,
    HoldResolution,
    AlertReview,
)


# The columns the engine reads from each record type, besides id, course and date.
RECORD_FIELDS: dict[type, tuple[str, ...]] = {
    Confirmation: ("kind",),
    ContraceptionRecord: ("kind", "methods"),
    PregnancyTest: ("result", "setting"),
    MoodScreen: ("instrument", "total", "item9"),
    SexualFunctionReview: ("concern",),
    LabResult: ("analyte", "value", "unit", "canonical_value", "uln"),
    DoseChange: ("mg_per_day",),
    WeightMeasurement: ("kg",),
    Prescription: ("supply_days",),
    Dispense: ("supply_days",),
    HoldResolution: ("reason",),
    AlertReview: ("source", "analyte", "instrument", "notes"),
}


def _records_by_course(courses: list[Course]) -> dict[type, dict[int, list]]:
    """Every valid record of the given courses, one query per record type.

    Rows are named tuples of the columns the engine reads, not model instances: building
    instances was a third of the time of loading facts.
    """
    ids = [c.pk for c in courses]
    grouped: dict[type, dict[int, list]] = {}
    for model in RECORD_MODELS:
        per_course: dict[int, list] = defaultdict(list)
        rows = (
            model.objects.filter(course_id__in=ids, entered_in_error=False)
            .order_by("date", "pk")
            .values_list("id", "course_id", "date", *RECORD_FIELDS[model], named=True)
        )
        for row in rows:
            per_course[row.course_id].append(row)
        grouped[model] = per_course
    return grouped


def _previous_course_ends(courses: list[Course]) -> dict[int, object]:
    """For each course, E of the patient's latest earlier course (recorded here or elsewhere)."""
    patient_ids = {c.patient_id for c in courses}
    ended = defaultdict(list)
    for pk, patient_id, start, end in Course.objects.filter(
        patient_id__in=patient_ids, end__isnull=False
    ).values_list("pk", "patient_id", "start", "end"):
        ended[patient_id].append((pk, start, end))
    result = {}
    for course in courses:
        earlier = [
            end
            for pk, start, end in ended[course.patient_id]
            if pk != course.pk and start < course.start
        ]
        result[course.pk] = max(earlier) if earlier else course.patient.previous_course_end
    return result


def courses_facts(courses: list[Course]) -> dict[int, f.CourseFacts]:
    """Facts of many courses with a fixed number of queries (patients must be selected)."""
    records = _records_by_course(courses)
    previous_ends = _previous_course_ends(courses)
    return {
        course.pk: _facts(course, {m: records[m][course.pk] for m in RECORD_MODELS}, previous_ends)
        for course in courses
    }


def course_facts(course: Course) -> f.CourseFacts:
    return courses_facts([course])[course.pk]


def course_facts_from_records(course: Course, records: list) -> f.CourseFacts:
    """The same facts as ``course_facts``, from records of the course already read (model
    instances of any record type, in any order, e.g. the patient page's timeline)."""
    rec: dict[type, list] = {model: [] for model in RECORD_MODELS}
    for record in records:
        if type(record) in rec and record.course_id == course.pk and not record.entered_in_error:
            rec[type(record)].append(record)
    for rows in rec.values():
        rows.sort(key=lambda r: (r.date, r.pk))
    return _facts(course, rec, _previous_course_ends([course]))


def _facts(course: Course, rec: dict[type, list], previous_ends: dict) -> f.CourseFacts:
    patient = course.patient
    contraception = rec[ContraceptionRecord]
    return f.CourseFacts(
        profile=f.Profile(patient.profile),
        patient=f.PatientFacts(
            date_of_birth=patient.date_of_birth,
            category=f.Category(patient.category) if patient.category else None,
            home_testing_permitted=patient.home_testing_permitted,
            contraception_exempt=patient.contraception_exempt,
            previous_course_end=previous_ends[course.pk],
        ),
        start=course.start,
        start_is_planned=course.start_is_planned,
        end=course.end,
        weight_kg=float(course.weight_kg) if course.weight_kg is not None else None,
        target_mg_per_kg=float(course.target_mg_per_kg),
        cumulative_method=f.CumulativeMethod(course.cumulative_method),
        confirmations=tuple(
            f.Confirmation(id=r.id, date=r.date, kind=f.ConfirmationKind(r.kind))
            for r in rec[Confirmation]
        ),
        contraception_starts=tuple(
            f.ContraceptionStart(id=r.id, date=r.date, methods=frozenset(r.methods))
            for r in contraception
            if r.kind == ContraceptionKind.START
        ),
        contraception_attestations=tuple(
            f.ContraceptionAttestation(id=r.id, date=r.date, methods=frozenset(r.methods))
            for r in contraception
            if r.kind == ContraceptionKind.ATTESTATION
        ),
        pregnancy_tests=tuple(
            f.PregnancyTest(
                id=r.id,
                date=r.date,
                result=f.TestResult(r.result),
                setting=f.TestSetting(r.setting),
            )
            for r in rec[PregnancyTest]
        ),
        mood_screens=tuple(
            f.MoodScreen(
                id=r.id,
                date=r.date,
                instrument=f.Instrument(r.instrument),
                total=r.total,
                item9=r.item9,
            )
            for r in rec[MoodScreen]
        ),
        sexual_function_reviews=tuple(
            f.SexualFunctionReview(id=r.id, date=r.date, concern=r.concern)
            for r in rec[SexualFunctionReview]
        ),
        lab_results=tuple(
            f.LabResult(
                id=r.id,
                date=r.date,
                analyte=r.analyte,
                value=float(r.value),
                unit=r.unit,
                canonical_value=float(r.canonical_value),
                uln=float(r.uln) if r.uln is not None else None,
            )
            for r in rec[LabResult]
        ),
        doses=tuple(
            f.DoseChange(id=r.id, date=r.date, mg_per_day=float(r.mg_per_day))
            for r in rec[DoseChange]
        ),
        weights=tuple(
            f.WeightMeasurement(id=r.id, date=r.date, kg=float(r.kg))
            for r in rec[WeightMeasurement]
        ),
        prescriptions=tuple(
            f.Prescription(id=r.id, date=r.date, supply_days=r.supply_days)
            for r in rec[Prescription]
        ),
        dispenses=tuple(
            f.Dispense(id=r.id, date=r.date, supply_days=r.supply_days) for r in rec[Dispense]
        ),
        hold_resolutions=tuple(
            f.HoldResolution(id=r.id, date=r.date, reason=r.reason) for r in rec[HoldResolution]
        ),
        alert_reviews=tuple(
            f.AlertReview(
                id=r.id,
                date=r.date,
                source=r.source,
                analyte=r.analyte or None,
                instrument=r.instrument or None,
                note=r.notes,
            )
            for r in rec[AlertReview]
        ),
    )
