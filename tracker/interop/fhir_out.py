"""A patient's record as a FHIR R4 Bundle (``$everything``): plain dictionaries, JSON-ready.

Patient; per course, MedicationRequest (prescriptions), MedicationDispense (dispenses),
Observation (lab results with LOINC and UCUM, pregnancy tests with a SNOMED CT answer, mood
screens, weights), Flag (a course on hold) and DetectedIssue (open alerts). Records marked
entered in error are included with that status. Validated against the R4 models in the tests.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.utils import timezone

from patients.models import (
    Course,
    CourseStatus,
    Dispense,
    LabResult,
    MoodScreen,
    Patient,
    PregnancyTest,
    Prescription,
    TestResult,
    WeightMeasurement,
)
from tracker.engine.analytes import (
    ANALYTES,
    BODY_WEIGHT_LOINC,
    HCG_QUALITATIVE_LOINC,
    ISOTRETINOIN_RXNORM,
    LOINC_SYSTEM,
    PHQ9_ITEM9_LOINC,
    RXNORM_SYSTEM,
    SCREEN_TOTAL_LOINC,
    SNOMED_BY_QUALITATIVE_RESULT,
    SNOMED_SYSTEM,
    UCUM_SYSTEM,
)

CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
IDENTIFIER_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"
MRN_SYSTEM = "urn:isotrack:mrn"
LOINC_BY_SPECIMEN = {specimen: code for code, specimen in HCG_QUALITATIVE_LOINC.items()}
# Alert level -> DetectedIssue.severity.
SEVERITY = {"critical": "high", "high": "moderate", "info": "low"}
ENTERED_IN_ERROR = "entered-in-error"


def _urn(kind: str, pk: int) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'isotrack/{kind}/{pk}')}"


def _number(value) -> int | float:
    return int(value) if value == int(value) else float(value)


def _status(record, ok: str) -> str:
    return ENTERED_IN_ERROR if record.entered_in_error else ok


def _concept(system: str, code: str, text: str) -> dict:
    return {"coding": [{"system": system, "code": code, "display": text}], "text": text}


def _category(code: str) -> list[dict]:
    return [{"coding": [{"system": CATEGORY_SYSTEM, "code": code}]}]


def patient_everything(patient: Patient) -> dict:
    """The Bundle (type ``searchset``) of everything isotrack holds for the patient."""
    subject = {"reference": _urn("Patient", patient.pk), "display": patient.name}
    resources = [_patient(patient)]
    for course in patient.courses.order_by("start", "pk"):
        resources += _course_resources(course, subject)
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": timezone.now().isoformat()},
        "type": "searchset",
        "timestamp": timezone.now().isoformat(),
        "total": len(resources),
        "entry": [
            {"fullUrl": url, "resource": resource, "search": {"mode": "match"}}
            for url, resource in resources
        ],
    }


def _patient(patient: Patient) -> tuple[str, dict]:
    return _urn("Patient", patient.pk), {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": [
            {
                "use": "usual",
                "type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": "MR"}]},
                "system": MRN_SYSTEM,
                "value": patient.mrn,
            }
        ],
        "name": [{"family": patient.family_name, "given": [patient.given_name]}],
        "birthDate": patient.date_of_birth.isoformat(),
    }


def _course_resources(course: Course, subject: dict) -> list[tuple[str, dict]]:
    found: list[tuple[str, dict]] = []
    medication = _concept(RXNORM_SYSTEM, ISOTRETINOIN_RXNORM, "Isotretinoin")
    for rx in Prescription.objects.filter(course=course).order_by("date", "pk"):
        found.append(_prescription(rx, subject, medication, course))
    for dispense in Dispense.objects.filter(course=course).order_by("date", "pk"):
        found.append(_dispense(dispense, subject, medication))
    for lab in LabResult.objects.filter(course=course).order_by("date", "pk"):
        found.append(_lab(lab, subject))
    for test in PregnancyTest.objects.filter(course=course).order_by("date", "pk"):
        found.append(_pregnancy_test(test, subject))
    for screen in MoodScreen.objects.filter(course=course).order_by("date", "pk"):
        found.append(_mood_screen(screen, subject))
    for weight in WeightMeasurement.objects.filter(course=course).order_by("date", "pk"):
        found.append(_weight(weight, subject))
    if course.status == CourseStatus.ON_HOLD:
        found.append(_hold(course, subject))
    for alert in course.alerts.filter(is_open=True).order_by("event_date", "pk"):
        found.append(_alert(alert, subject))
    return found


def _prescription(rx: Prescription, subject: dict, medication: dict, course) -> tuple[str, dict]:
    resource = {
        "resourceType": "MedicationRequest",
        "id": f"prescription-{rx.pk}",
        "status": _status(rx, "active" if course.is_open else "completed"),
        "intent": "order",
        "medicationCodeableConcept": medication,
        "subject": subject,
        "authoredOn": rx.date.isoformat(),
        "dispenseRequest": {
            "expectedSupplyDuration": {
                "value": rx.supply_days,
                "unit": "days",
                "system": UCUM_SYSTEM,
                "code": "d",
            }
        },
    }
    if rx.mg_per_day is not None:
        resource["dosageInstruction"] = [
            {
                "text": f"{rx.mg_per_day:g} mg a day",
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": _number(rx.mg_per_day),
                            "unit": "mg/d",
                            "system": UCUM_SYSTEM,
                            "code": "mg/d",
                        }
                    }
                ],
            }
        ]
    return _urn("MedicationRequest", rx.pk), resource


def _dispense(dispense: Dispense, subject: dict, medication: dict) -> tuple[str, dict]:
    return _urn("MedicationDispense", dispense.pk), {
        "resourceType": "MedicationDispense",
        "id": f"dispense-{dispense.pk}",
        "status": _status(dispense, "completed"),
        "medicationCodeableConcept": medication,
        "subject": subject,
        "whenHandedOver": dispense.date.isoformat(),
        "daysSupply": {
            "value": dispense.supply_days,
            "unit": "days",
            "system": UCUM_SYSTEM,
            "code": "d",
        },
    }


def _observation(kind: str, record, subject: dict, category: str, code: dict) -> dict:
    return {
        "resourceType": "Observation",
        "id": f"{kind}-{record.pk}",
        "status": _status(record, "final"),
        "category": _category(category),
        "code": code,
        "subject": subject,
        "effectiveDateTime": record.date.isoformat(),
    }


def _quantity(value, unit: str) -> dict:
    return {"value": _number(value), "unit": unit, "system": UCUM_SYSTEM, "code": unit}


def _lab(lab: LabResult, subject: dict) -> tuple[str, dict]:
    analyte = ANALYTES[lab.analyte]
    loinc = lab.loinc or analyte.loinc_for(lab.unit)
    resource = _observation(
        "lab", lab, subject, "laboratory", _concept(LOINC_SYSTEM, loinc, analyte.label)
    )
    resource["valueQuantity"] = _quantity(lab.value, lab.unit)
    if lab.uln is not None:
        resource["referenceRange"] = [{"high": _quantity(lab.uln, lab.unit)}]
    return _urn("LabResult", lab.pk), resource


def _pregnancy_test(test: PregnancyTest, subject: dict) -> tuple[str, dict]:
    code = _concept(
        LOINC_SYSTEM, LOINC_BY_SPECIMEN[test.specimen], f"hCG ({test.get_specimen_display()})"
    )
    resource = _observation("pregnancy-test", test, subject, "laboratory", code)
    resource["valueCodeableConcept"] = _concept(
        SNOMED_SYSTEM,
        SNOMED_BY_QUALITATIVE_RESULT[test.result],
        TestResult(test.result).label,
    )
    resource["method"] = {"text": test.get_setting_display()}
    return _urn("PregnancyTest", test.pk), resource


def _mood_screen(screen: MoodScreen, subject: dict) -> tuple[str, dict]:
    text = f"{screen.instrument} total score"
    loinc = SCREEN_TOTAL_LOINC.get(screen.instrument)
    code = _concept(LOINC_SYSTEM, loinc, text) if loinc else {"text": text}
    resource = _observation("mood-screen", screen, subject, "survey", code)
    resource["valueInteger"] = screen.total
    if screen.item9 is not None:
        resource["component"] = [
            {
                "code": _concept(LOINC_SYSTEM, PHQ9_ITEM9_LOINC, "Item 9: thoughts of self-harm"),
                "valueInteger": screen.item9,
            }
        ]
    return _urn("MoodScreen", screen.pk), resource


def _weight(weight: WeightMeasurement, subject: dict) -> tuple[str, dict]:
    code = _concept(LOINC_SYSTEM, BODY_WEIGHT_LOINC, "Body weight")
    resource = _observation("weight", weight, subject, "vital-signs", code)
    resource["valueQuantity"] = _quantity(weight.kg, "kg")
    return _urn("WeightMeasurement", weight.pk), resource


def _hold_start(course: Course) -> date | None:
    test = (
        PregnancyTest.objects.filter(course=course, result="positive", entered_in_error=False)
        .order_by("-date", "-pk")
        .first()
    )
    return test.date if test is not None else None


def _hold(course: Course, subject: dict) -> tuple[str, dict]:
    resource = {
        "resourceType": "Flag",
        "id": f"hold-{course.pk}",
        "status": "active",
        "category": [{"text": "Isotretinoin course"}],
        "code": {"text": "Course on hold: positive pregnancy test. No prescription or dispense."},
        "subject": subject,
    }
    started = _hold_start(course)
    if started is not None:
        resource["period"] = {"start": started.isoformat()}
    return _urn("Hold", course.pk), resource


def _alert(alert, subject: dict) -> tuple[str, dict]:
    return _urn("Alert", alert.pk), {
        "resourceType": "DetectedIssue",
        "id": f"alert-{alert.pk}",
        "status": "final",
        "severity": SEVERITY.get(alert.level, "low"),
        "code": {"text": f"{alert.get_level_display()} alert, not yet reviewed"},
        "patient": subject,
        "identifiedDateTime": alert.event_date.isoformat(),
        "detail": "; ".join(alert.conditions) or alert.source,
    }
