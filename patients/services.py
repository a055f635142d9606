"""Writes to patients, courses and clinical records.

Every function is keyword-only, validates (field errors, nothing saved on error), saves, and
has the course's monitoring re-evaluated in the same transaction, once per write, through the
one entry point ``patients.reevaluation.course_changed`` (``@batch()``: a visit that saves
several records, or a service that calls another, evaluates each course once, at its end).
``today`` defaults to the clinic's local date; the scenario runner passes its own.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.concurrency import bump, check_version, lock
from patients.models import (
    OPEN_COURSE_STATUSES,
    AlertReview,
    AlertSource,
    ClinicalRecord,
    Confirmation,
    ConfirmationKind,
    ContraceptionKind,
    ContraceptionMethod,
    ContraceptionRecord,
    Course,
    CourseStatus,
    Dispense,
    DoseChange,
    HoldResolution,
    Instrument,
    LabResult,
    MoodScreen,
    Patient,
    PregnancyTest,
    Prescription,
    Profile,
    SexualFunctionReview,
    TestResult,
    TestSetting,
    Visit,
    WeightMeasurement,
)
from patients.reevaluation import batch, course_changed
from patients.validation import (
    PLANNED_START_MAX_DAYS_AHEAD,
    FieldErrors,
    check_choice,
    check_clinical_date,
    check_date_of_birth,
    check_range,
)
from tracker.engine.analytes import ANALYTES, is_plausible, to_canonical

WEIGHT_RANGE = (Decimal(20), Decimal(300))
DOSE_RANGE = (Decimal(0), Decimal(200))
SUPPLY_RANGE = (1, 90)
TARGET_RANGE = (Decimal(30), Decimal(300))

INSTRUMENT_MAX_TOTAL = {"PHQ-9": 27, "PHQ-A": 27, "PHQ-2": 6, "GAD-7": 21}
INSTRUMENTS_WITH_ITEM9 = {"PHQ-9", "PHQ-A"}


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _decimal(errors: FieldErrors, field: str, value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        errors.add(field, "Enter a number.")
        return None
    if not result.is_finite():
        errors.add(field, "Enter a number.")
        return None
    return result


def _full_clean_and_save(instance, exclude: list[str] | None = None) -> None:
    # ``created_by`` is set by the service, not entered: rows created before it was recorded
    # (imports, fixtures) must stay editable.
    instance.full_clean(exclude=[*(exclude or []), "created_by"])
    instance.save()


# Patients -------------------------------------------------------------------------------------


def _validate_patient(errors: FieldErrors, patient: Patient, today: date) -> None:
    check_date_of_birth(errors, "date_of_birth", patient.date_of_birth, today=today)
    if patient.profile not in Profile.values:
        errors.add("profile", f"Choose one of: {', '.join(Profile.values)}.")
    if patient.previous_course_end:
        check_clinical_date(
            errors,
            "previous_course_end",
            patient.previous_course_end,
            today=today,
            date_of_birth=patient.date_of_birth,
        )
    if patient.contraception_exempt and not patient.contraception_exempt_reason.strip():
        errors.add(
            "contraception_exempt_reason",
            "Record the documented no-risk agreement that supports the exemption.",
        )


@transaction.atomic
def patient_create(
    *,
    mrn: str,
    given_name: str,
    family_name: str,
    date_of_birth: date,
    profile: str,
    by: AbstractBaseUser | None,
    category: str = "",
    category_reason: str = "",
    home_testing_permitted: bool = False,
    contraception_exempt: bool = False,
    contraception_exempt_reason: str = "",
    responsible_clinician=None,
    previous_course_end: date | None = None,
    today: date | None = None,
) -> Patient:
    today = _today(today)
    patient = Patient(
        mrn=(mrn or "").strip(),
        given_name=(given_name or "").strip(),
        family_name=(family_name or "").strip(),
        date_of_birth=date_of_birth,
        profile=profile,
        home_testing_permitted=home_testing_permitted,
        contraception_exempt=contraception_exempt,
        contraception_exempt_reason=contraception_exempt_reason or "",
        responsible_clinician=responsible_clinician,
        previous_course_end=previous_course_end,
        created_by=by,
    )
    errors = FieldErrors()
    _validate_patient(errors, patient, today)
    errors.raise_if_any()
    if category:
        _apply_category(patient, category=category, reason=category_reason, by=by, on=today)
    _full_clean_and_save(patient)
    return patient


@transaction.atomic
@batch()
def patient_update(
    *,
    patient: Patient,
    by: AbstractBaseUser | None,
    today: date | None = None,
    version: int | None = None,
    **fields,
) -> Patient:
    """Update demographic and programme fields (not the category: see patient_assign_category).

    ``version`` is the version the form was opened on: a later save by someone else refuses
    this one (nothing is overwritten silently).
    """
    today = _today(today)
    check_version(patient, version, "patient")
    allowed = {
        "mrn",
        "given_name",
        "family_name",
        "date_of_birth",
        "profile",
        "home_testing_permitted",
        "contraception_exempt",
        "contraception_exempt_reason",
        "responsible_clinician",
        "previous_course_end",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Unknown patient fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(patient, name, value.strip() if isinstance(value, str) else value)
    errors = FieldErrors()
    _validate_patient(errors, patient, today)
    errors.raise_if_any()
    bump(patient)
    _full_clean_and_save(patient)
    for course in patient.courses.all():
        course_changed(course, today=today)
    return patient


def _apply_category(
    patient: Patient, *, category: str, reason: str, by: AbstractBaseUser | None, on: date
) -> None:
    errors = FieldErrors()
    check_choice(errors, "category", category, ["can_get_pregnant", "cannot_get_pregnant"])
    errors.raise_if_any()
    patient.category = category
    patient.category_reason = reason or ""
    patient.category_assigned_by = by
    patient.category_assigned_on = on


@transaction.atomic
@batch()
def patient_assign_category(
    *,
    patient: Patient,
    category: str,
    reason: str = "",
    by: AbstractBaseUser | None,
    today: date | None = None,
    version: int | None = None,
) -> Patient:
    today = _today(today)
    check_version(patient, version, "patient")
    _apply_category(patient, category=category, reason=reason, by=by, on=today)
    bump(patient)
    _full_clean_and_save(patient)
    for course in patient.courses.all():
        course_changed(course, today=today)
    return patient


# Courses --------------------------------------------------------------------------------------


def _validate_course(errors: FieldErrors, course: Course, today: date) -> None:
    dob = course.patient.date_of_birth
    planned = course.start_is_planned
    ahead = PLANNED_START_MAX_DAYS_AHEAD if planned else 0
    check_clinical_date(
        errors, "start", course.start, today=today, date_of_birth=dob, days_ahead=ahead
    )
    check_clinical_date(errors, "end", course.end, today=today, date_of_birth=dob)
    if course.start and course.end and course.end < course.start:
        errors.add("end", "The last dose cannot be before the start.")
    if planned and course.end:
        errors.add("end", "A planned course has no last dose yet.")
    if planned and course.status == CourseStatus.COMPLETED:
        errors.add("status", "A planned course cannot be completed: cancel it instead.")
    check_range(errors, "weight_kg", course.weight_kg, *WEIGHT_RANGE, "kg", what="weight")
    check_range(
        errors, "target_mg_per_kg", course.target_mg_per_kg, *TARGET_RANGE, "mg/kg", what="target"
    )
    if course.status == CourseStatus.STOPPED and not course.stopped_reason.strip():
        errors.add("stopped_reason", "Give the reason the course was stopped early.")


@transaction.atomic
@batch()
def course_create(
    *,
    patient: Patient,
    start: date,
    weight_kg,
    by: AbstractBaseUser | None,
    start_is_planned: bool = False,
    end: date | None = None,
    target_mg_per_kg=Decimal(150),
    cumulative_method: str = "daily_weight",
    today: date | None = None,
) -> Course:
    today = _today(today)
    errors = FieldErrors()
    weight = _decimal(errors, "weight_kg", weight_kg)
    target = _decimal(errors, "target_mg_per_kg", target_mg_per_kg)
    if start_is_planned:
        status = CourseStatus.PLANNED
    elif end is not None:
        status = CourseStatus.COMPLETED
    else:
        status = CourseStatus.ACTIVE
    course = Course(
        patient=patient,
        start=start,
        start_is_planned=start_is_planned,
        end=end,
        status=status,
        weight_kg=weight,
        target_mg_per_kg=target,
        cumulative_method=cumulative_method,
        created_by=by,
    )
    if status in OPEN_COURSE_STATUSES:
        # Two "new course" saves for one patient at once: the second waits here until the
        # first is committed, then finds its course.
        lock(patient)
        if _has_open_course(patient):
            errors.add("start", OPEN_COURSE_MESSAGE)
    _validate_course(errors, course, today)
    errors.raise_if_any()
    try:
        with transaction.atomic():
            _full_clean_and_save(course)
    except IntegrityError:
        # The database's one-open-course constraint, met by a course saved meanwhile.
        if status in OPEN_COURSE_STATUSES and _has_open_course(patient):
            raise ValidationError({"start": OPEN_COURSE_MESSAGE}) from None
        raise
    course_changed(course, today=today)
    return course


OPEN_COURSE_MESSAGE = (
    "This patient already has a planned, active or on-hold course. "
    "Complete or stop it before starting another."
)


def _has_open_course(patient: Patient) -> bool:
    return patient.courses.filter(status__in=OPEN_COURSE_STATUSES).exists()


@transaction.atomic
@batch()
def course_update(
    *,
    course: Course,
    by: AbstractBaseUser | None,
    today: date | None = None,
    version: int | None = None,
    **fields,
) -> Course:
    """Change start, end, status, weight, target or method; re-evaluates the course.

    ``version`` is the version the form was opened on (see ``patient_update``).
    """
    today = _today(today)
    check_version(course, version, "course")
    allowed = {
        "start",
        "end",
        "status",
        "stopped_reason",
        "weight_kg",
        "target_mg_per_kg",
        "cumulative_method",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Unknown course fields: {sorted(unknown)}")
    errors = FieldErrors()
    for name, value in fields.items():
        if name in {"weight_kg", "target_mg_per_kg"}:
            value = _decimal(errors, name, value)
        setattr(course, name, value)
    cancelled = course.status == CourseStatus.STOPPED and course.start_is_planned
    ending = course.status in (CourseStatus.COMPLETED, CourseStatus.STOPPED)
    if ending and not course.end and not cancelled:
        errors.add("end", "Record the date of the last dose to complete or stop the course.")
    _validate_course(errors, course, today)
    errors.raise_if_any()
    bump(course)
    _full_clean_and_save(course)
    course_changed(course, today=today)
    return course


# Clinical records -----------------------------------------------------------------------------


def _save_record(
    record: ClinicalRecord,
    errors: FieldErrors,
    *,
    today: date,
    exclude: list[str] | None = None,
) -> ClinicalRecord:
    check_clinical_date(
        errors,
        "date",
        record.date,
        today=today,
        date_of_birth=record.course.patient.date_of_birth,
    )
    errors.raise_if_any()
    _full_clean_and_save(record, exclude=exclude)
    course_changed(record.course, today=today)
    return record


@transaction.atomic
@batch()
def confirmation_record(
    *,
    course: Course,
    date: date,
    kind: str,
    by: AbstractBaseUser | None,
    notes: str = "",
    visit: Visit | None = None,
    today: date | None = None,
) -> Confirmation:
    errors = FieldErrors()
    check_choice(errors, "kind", kind, ConfirmationKind.values)
    record = Confirmation(
        course=course, date=date, kind=kind, notes=notes, visit=visit, created_by=by
    )
    return _save_record(record, errors, today=_today(today))


def _validate_methods(errors: FieldErrors, methods: list[str]) -> list[str]:
    methods = list(dict.fromkeys(methods or []))
    if not methods:
        errors.add("methods", "Choose at least one method (or abstinence).")
    unknown = [m for m in methods if m not in ContraceptionMethod.values]
    if unknown:
        errors.add("methods", f"Unknown method: {', '.join(unknown)}.")
    return methods


@transaction.atomic
@batch()
def contraception_record(
    *,
    course: Course,
    date: date,
    kind: str,
    methods: list[str],
    by: AbstractBaseUser | None,
    notes: str = "",
    visit: Visit | None = None,
    today: date | None = None,
) -> ContraceptionRecord:
    """Record a contraception start or attestation.

    Fewer than two methods (without abstinence) is saved as reported: the monitoring engine
    flags it, because the record is what the patient reported.
    """
    errors = FieldErrors()
    check_choice(errors, "kind", kind, ContraceptionKind.values)
    methods = _validate_methods(errors, methods)
    record = ContraceptionRecord(
        course=course,
        date=date,
        kind=kind,
        methods=methods,
        notes=notes,
        visit=visit,
        created_by=by,
    )
    return _save_record(record, errors, today=_today(today))


@transaction.atomic
@batch()
def pregnancy_test_record(
    *,
    course: Course,
    date: date,
    result: str,
    setting: str,
    by: AbstractBaseUser | None,
    specimen: str = "urine",
    notes: str = "",
    visit: Visit | None = None,
    source: str = "",
    today: date | None = None,
) -> PregnancyTest:
    errors = FieldErrors()
    check_choice(errors, "result", result, TestResult.values)
    check_choice(errors, "setting", setting, TestSetting.values)
    record = PregnancyTest(
        course=course,
        date=date,
        result=result,
        setting=setting,
        specimen=specimen,
        notes=notes,
        visit=visit,
        source=source,
        created_by=by,
    )
    record = _save_record(record, errors, today=_today(today))
    if result == TestResult.POSITIVE and course.status in (
        CourseStatus.ACTIVE,
        CourseStatus.PLANNED,
    ):
        course.status = CourseStatus.ON_HOLD
        bump(course)
        course.save(update_fields=["status", "version"])
    return record


@transaction.atomic
@batch()
def lab_result_record(
    *,
    course: Course,
    date: date,
    analyte: str,
    value,
    unit: str,
    by: AbstractBaseUser | None,
    uln=None,
    notes: str = "",
    visit: Visit | None = None,
    source: str = "",
    today: date | None = None,
) -> LabResult:
    errors = FieldErrors()
    definition = ANALYTES.get(analyte)
    if definition is None:
        errors.add("analyte", f"Choose one of: {', '.join(ANALYTES)}.")
    value_d = _decimal(errors, "value", value)
    uln_d = _decimal(errors, "uln", uln)
    canonical = None
    if definition is not None:
        if unit not in definition.allowed_units:
            errors.add(
                "unit",
                f"{definition.label} is reported in {' or '.join(definition.allowed_units)}, "
                f"not {unit or 'an empty unit'}.",
            )
        elif value_d is not None:
            canonical = Decimal(str(to_canonical(analyte, float(value_d), unit))).quantize(
                Decimal("0.0001")
            )
            if not is_plausible(analyte, float(canonical)):
                errors.add(
                    "value",
                    f"{value_d:g} {unit} is not a plausible {definition.label} result "
                    f"(expected {definition.plausible_min:g}–{definition.plausible_max:g} "
                    f"{definition.canonical_unit}).",
                )
        if uln_d is not None:
            if not definition.uln_based:
                errors.add("uln", f"An upper limit of normal is not used for {definition.label}.")
            elif not Decimal(1) <= uln_d <= Decimal(1000):
                errors.add("uln", "Enter the lab's upper limit of normal (1–1000 U/L).")
    if value_d is None and "value" not in errors.errors:
        errors.add("value", "Enter the result.")
    errors.raise_if_any()
    record = LabResult(
        course=course,
        date=date,
        analyte=analyte,
        value=value_d,
        unit=unit,
        uln=uln_d,
        canonical_value=canonical,
        canonical_unit=definition.canonical_unit,
        loinc=definition.loinc_for(unit),
        notes=notes,
        visit=visit,
        source=source,
        created_by=by,
    )
    return _save_record(record, errors, today=_today(today))


@transaction.atomic
@batch()
def mood_screen_record(
    *,
    course: Course,
    date: date,
    instrument: str,
    total,
    by: AbstractBaseUser | None,
    item9=None,
    notes: str = "",
    visit: Visit | None = None,
    today: date | None = None,
) -> MoodScreen:
    errors = FieldErrors()
    check_choice(errors, "instrument", instrument, Instrument.values)
    max_total = INSTRUMENT_MAX_TOTAL.get(instrument, 27)
    if total is None or total == "":
        errors.add("total", "Enter the total score.")
    elif not isinstance(total, int) or not 0 <= total <= max_total:
        errors.add("total", f"The {instrument} total is a whole number from 0 to {max_total}.")
    if instrument in INSTRUMENTS_WITH_ITEM9:
        if item9 is None or item9 == "":
            errors.add("item9", "Enter item 9 (thoughts of self-harm): it is never left blank.")
        elif not isinstance(item9, int) or not 0 <= item9 <= 3:
            errors.add("item9", "Item 9 is scored 0 to 3.")
        elif isinstance(total, int) and item9 > total:
            errors.add("item9", "Item 9 cannot be more than the total.")
    elif item9 not in (None, ""):
        errors.add("item9", f"{instrument} has no item 9.")
        item9 = None
    record = MoodScreen(
        course=course,
        date=date,
        instrument=instrument,
        total=total if isinstance(total, int) else 0,
        item9=item9 if isinstance(item9, int) else None,
        notes=notes,
        visit=visit,
        created_by=by,
    )
    return _save_record(record, errors, today=_today(today))


@transaction.atomic
@batch()
def sexual_function_record(
    *,
    course: Course,
    date: date,
    concern: bool,
    by: AbstractBaseUser | None,
    notes: str = "",
    visit: Visit | None = None,
    today: date | None = None,
) -> SexualFunctionReview:
    record = SexualFunctionReview(
        course=course, date=date, concern=bool(concern), notes=notes, visit=visit, created_by=by
    )
    return _save_record(record, FieldErrors(), today=_today(today))


@transaction.atomic
@batch()
def dose_record(
    *,
    course: Course,
    date: date,
    mg_per_day,
    by: AbstractBaseUser | None,
    notes: str = "",
    visit: Visit | None = None,
    today: date | None = None,
) -> DoseChange:
    errors = FieldErrors()
    mg = _decimal(errors, "mg_per_day", mg_per_day)
    if mg is None and "mg_per_day" not in errors.errors:
        errors.add("mg_per_day", "Enter the daily dose in mg.")
    check_range(errors, "mg_per_day", mg, *DOSE_RANGE, "mg/day", what="daily dose")
    if date and course.start and date < course.start:
        errors.add("date", "A dose starts on or after the course start.")
    record = DoseChange(
        course=course, date=date, mg_per_day=mg, notes=notes, visit=visit, created_by=by
    )
    return _save_record(record, errors, today=_today(today))


@transaction.atomic
@batch()
def weight_record(
    *,
    course: Course,
    date: date,
    kg,
    by: AbstractBaseUser | None,
    notes: str = "",
    visit: Visit | None = None,
    today: date | None = None,
) -> WeightMeasurement:
    errors = FieldErrors()
    kg_d = _decimal(errors, "kg", kg)
    if kg_d is None and "kg" not in errors.errors:
        errors.add("kg", "Enter the weight in kg.")
    check_range(errors, "kg", kg_d, *WEIGHT_RANGE, "kg", what="weight")
    record = WeightMeasurement(
        course=course, date=date, kg=kg_d, notes=notes, visit=visit, created_by=by
    )
    return _save_record(record, errors, today=_today(today))


def _validate_supply(errors: FieldErrors, supply_days) -> None:
    if not isinstance(supply_days, int):
        errors.add("supply_days", "Enter the number of days supplied.")
    else:
        check_range(errors, "supply_days", supply_days, *SUPPLY_RANGE, "days", what="supply")


@transaction.atomic
@batch()
def prescription_record(
    *,
    course: Course,
    date: date,
    supply_days: int,
    by: AbstractBaseUser | None,
    mg_per_day=None,
    notes: str = "",
    visit: Visit | None = None,
    today: date | None = None,
) -> Prescription:
    errors = FieldErrors()
    _validate_supply(errors, supply_days)
    mg = _decimal(errors, "mg_per_day", mg_per_day)
    check_range(errors, "mg_per_day", mg, *DOSE_RANGE, "mg/day", what="daily dose")
    record = Prescription(
        course=course,
        date=date,
        supply_days=supply_days if isinstance(supply_days, int) else 0,
        mg_per_day=mg,
        notes=notes,
        visit=visit,
        created_by=by,
    )
    return _save_record(record, errors, today=_today(today))


@transaction.atomic
@batch()
def dispense_record(
    *,
    course: Course,
    date: date,
    supply_days: int,
    by: AbstractBaseUser | None,
    notes: str = "",
    visit: Visit | None = None,
    today: date | None = None,
) -> Dispense:
    errors = FieldErrors()
    _validate_supply(errors, supply_days)
    record = Dispense(
        course=course,
        date=date,
        supply_days=supply_days if isinstance(supply_days, int) else 0,
        notes=notes,
        visit=visit,
        created_by=by,
    )
    if course.start_is_planned and not errors.errors:
        # The first dispense starts a planned course: S is the first dispense's date.
        course.start = date
        course.start_is_planned = False
        if course.status == CourseStatus.PLANNED:
            course.status = CourseStatus.ACTIVE
        course.full_clean(exclude=["created_by"])
        course.save(update_fields=["start", "start_is_planned", "status"])
    return _save_record(record, errors, today=_today(today))


@transaction.atomic
@batch()
def hold_resolve(
    *,
    course: Course,
    date: date,
    reason: str,
    by: AbstractBaseUser | None,
    today: date | None = None,
) -> HoldResolution:
    errors = FieldErrors()
    if not (reason or "").strip():
        errors.add("reason", "Give the clinical reason for lifting the hold.")
    record = HoldResolution(course=course, date=date, reason=(reason or "").strip(), created_by=by)
    record = _save_record(record, errors, today=_today(today))
    if course.status == CourseStatus.ON_HOLD:
        course.status = CourseStatus.PLANNED if course.start_is_planned else CourseStatus.ACTIVE
        bump(course)
        course.save(update_fields=["status", "version"])
    return record


@transaction.atomic
@batch()
def alert_review_record(
    *,
    course: Course,
    date: date,
    source: str,
    by: AbstractBaseUser | None,
    analyte: str = "",
    instrument: str = "",
    note: str = "",
    today: date | None = None,
) -> AlertReview:
    errors = FieldErrors()
    check_choice(errors, "source", source, AlertSource.values)
    if not (note or "").strip():
        errors.add("notes", "Write a short review note: what was decided.")
    record = AlertReview(
        course=course,
        date=date,
        source=source,
        analyte=analyte or "",
        instrument=instrument or "",
        notes=(note or "").strip(),
        created_by=by,
    )
    return _save_record(record, errors, today=_today(today))


@transaction.atomic
@batch()
def record_mark_entered_in_error(
    *,
    record: ClinicalRecord | Visit,
    reason: str,
    by: AbstractBaseUser | None,
    today: date | None = None,
) -> ClinicalRecord | Visit:
    """Correct a record: it stays, struck through, and is left out of every calculation.

    The record's row is locked and read again first: of two people marking it at once, the
    second is told who marked it, and the first one's reason stays.
    """
    # No join here: a join read while waiting for the lock would show who marked it as of
    # before the wait; the user is read afterwards.
    stored = type(record).objects.select_for_update().get(pk=record.pk)
    if stored.entered_in_error:
        raise ValidationError({"reason": _already_marked(stored)})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the reason this record was entered in error."})
    record.entered_in_error = True
    record.error_reason = reason.strip()
    record.error_marked_at = timezone.now()
    record.error_marked_by = by
    record.save(
        update_fields=["entered_in_error", "error_reason", "error_marked_at", "error_marked_by"]
    )
    course_changed(record.course, today=_today(today))
    return record


def _already_marked(record: ClinicalRecord | Visit) -> str:
    who = record.error_marked_by
    name = (who.get_full_name() or who.get_username()) if who is not None else "someone"
    when = (
        f" on {timezone.localtime(record.error_marked_at):%d %b %Y at %H:%M}"
        if record.error_marked_at
        else ""
    )
    return f"Already marked entered in error by {name}{when}."


# Visits ---------------------------------------------------------------------------------------

VISIT_FIELDS = {
    "iga",
    "inflammatory_lesions",
    "comedones",
    "se_dry_lips",
    "se_dry_skin",
    "se_nosebleeds",
    "se_dry_eyes",
    "se_muscle_joint_pain",
    "se_mood_change",
    "se_night_vision",
    "se_headache",
    "se_other",
    "co_contraception",
    "co_no_alcohol",
    "co_no_vitamin_a",
    "co_sun_protection",
    "co_no_waxing",
    "co_no_blood_donation",
    "notes",
}


def _prefixed(prefix: str, error: ValidationError) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError(
            {f"{prefix}{field}": messages for field, messages in error.message_dict.items()}
        )
    return error


@transaction.atomic
@batch()
def visit_record(
    *,
    course: Course,
    date: date,
    clinician: AbstractBaseUser,
    by: AbstractBaseUser | None,
    weight_kg=None,
    mg_per_day=None,
    pregnancy_test: dict | None = None,
    contraception_methods: list[str] | None = None,
    mood_screen: dict | None = None,
    rems_confirmation: bool = False,
    today: date | None = None,
    **fields,
) -> Visit:
    """Record a monthly visit and, in one go, what usually happens at it.

    Every part is validated; on any error nothing at all is saved (errors of a part are
    returned with the part's prefix, e.g. ``pregnancy_test-setting``).
    """
    today = _today(today)
    unknown = set(fields) - VISIT_FIELDS
    if unknown:
        raise ValueError(f"Unknown visit fields: {sorted(unknown)}")
    errors = FieldErrors()
    check_clinical_date(
        errors, "date", date, today=today, date_of_birth=course.patient.date_of_birth
    )
    errors.raise_if_any()
    visit = Visit(course=course, date=date, clinician=clinician, created_by=by, **fields)
    visit.full_clean(exclude=["created_by"])
    visit.save()
    collected: dict[str, list[str]] = {}
    common = {"course": course, "date": date, "by": by, "visit": visit, "today": today}
    parts = []
    if weight_kg not in (None, ""):
        parts.append(("weight-", weight_record, {"kg": weight_kg}))
    if mg_per_day not in (None, ""):
        parts.append(("dose-", dose_record, {"mg_per_day": mg_per_day}))
    if pregnancy_test:
        parts.append(("pregnancy_test-", pregnancy_test_record, pregnancy_test))
    if contraception_methods:
        parts.append(
            (
                "contraception-",
                contraception_record,
                {"kind": ContraceptionKind.ATTESTATION, "methods": contraception_methods},
            )
        )
    if mood_screen:
        parts.append(("mood-", mood_screen_record, mood_screen))
    if rems_confirmation:
        parts.append(
            ("confirmation-", confirmation_record, {"kind": ConfirmationKind.REMS_CONFIRMATION})
        )
    for prefix, service, kwargs in parts:
        try:
            with transaction.atomic():
                service(**common, **kwargs)
        except ValidationError as exc:
            collected.update(_prefixed(prefix, exc).message_dict)
    if collected:
        # Undo the visit and every part saved so far: all or nothing.
        raise ValidationError(collected)
    course_changed(course, today=today)
    return visit
