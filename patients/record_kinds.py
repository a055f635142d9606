"""The kinds of record a course page offers to add: each one's form, service and permission."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from patients import forms, services
from patients.models import Course, CourseStatus
from tracker.engine.vocabulary import event_label

RECORD_CLINICAL = "patients.record_clinical"
ENTER_LAB_RESULTS = "patients.enter_lab_results"
REVIEW_MONITORING = "patients.review_monitoring"


@dataclass(frozen=True)
class RecordKind:
    title: str  # the record type's label (``tracker.engine.vocabulary``), or what the form does
    form: type[forms.forms.Form]
    service: Callable
    permission: str
    date_defaults_to_today: bool = True
    intro: str = ""


RECORD_KINDS: dict[str, RecordKind] = {
    "confirmation": RecordKind(
        event_label("confirmation"),
        forms.ConfirmationForm,
        services.confirmation_record,
        RECORD_CLINICAL,
    ),
    "contraception": RecordKind(
        event_label("contraception"),
        forms.ContraceptionForm,
        services.contraception_record,
        RECORD_CLINICAL,
    ),
    "pregnancy-test": RecordKind(
        event_label("pregnancy_test"),
        forms.PregnancyTestForm,
        services.pregnancy_test_record,
        RECORD_CLINICAL,
        date_defaults_to_today=False,
        intro="A positive result puts the course on hold until a clinician resolves it.",
    ),
    "lab-result": RecordKind(
        event_label("lab"),
        forms.LabResultForm,
        services.lab_result_record,
        ENTER_LAB_RESULTS,
        date_defaults_to_today=False,
        intro="Enter the result as reported, dated by the specimen collection date.",
    ),
    "mood-screen": RecordKind(
        event_label("mood_screen"),
        forms.MoodScreenForm,
        services.mood_screen_record,
        RECORD_CLINICAL,
    ),
    "sexual-function": RecordKind(
        event_label("sexual_function"),
        forms.SexualFunctionForm,
        services.sexual_function_record,
        RECORD_CLINICAL,
    ),
    "dose": RecordKind(event_label("dose"), forms.DoseForm, services.dose_record, RECORD_CLINICAL),
    "weight": RecordKind(
        event_label("weight"), forms.WeightForm, services.weight_record, RECORD_CLINICAL
    ),
    "prescription": RecordKind(
        event_label("prescription"),
        forms.PrescriptionForm,
        services.prescription_record,
        RECORD_CLINICAL,
    ),
    "dispense": RecordKind(
        event_label("dispense"),
        forms.DispenseForm,
        services.dispense_record,
        RECORD_CLINICAL,
        intro="The first dispense of a planned course starts it on this date.",
    ),
    "hold-resolution": RecordKind(
        "Resolve course hold",
        forms.HoldResolutionForm,
        services.hold_resolve,
        REVIEW_MONITORING,
        intro="Lifts the hold that a positive pregnancy test put on the course. Audited.",
    ),
    "alert-review": RecordKind(
        event_label("alert_review"),
        forms.AlertReviewForm,
        services.alert_review_record,
        REVIEW_MONITORING,
        intro="Reviewing an alert records the decision; the alert itself is never deleted.",
    ),
}


def add_links(user, course: Course) -> list[tuple[str, str]]:
    """(slug, title) of each kind of record ``user`` may add to ``course`` now."""
    return [
        (slug, spec.title)
        for slug, spec in RECORD_KINDS.items()
        if user.has_perm(spec.permission)
        and (slug != "hold-resolution" or course.status == CourseStatus.ON_HOLD)
    ]
