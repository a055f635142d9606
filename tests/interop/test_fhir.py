"""FHIR R4: a patient's record out as a Bundle (validated with fhir.resources), and Bundles
of Observations in through the same matching and queue as HL7."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from patients import services as records
from patients.models import LabResult, PregnancyTest
from tests.interop.conftest import receive, sample
from tracker.interop import services, tasks
from tracker.interop.models import InboundResult, QueueReason
from tracker.models import AccessLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_record(jane, alice):
    """Jane's course with a prescription, a dispense, labs, a mood screen and a weight; a
    positive pregnancy test received from the lab puts it on hold."""
    course = jane.courses.get()
    common = {"course": course, "by": alice}
    records.prescription_record(**common, date=dt.date(2025, 10, 1), supply_days=30, mg_per_day=40)
    records.dispense_record(**common, date=dt.date(2025, 10, 2), supply_days=30)
    records.mood_screen_record(
        **common, date=dt.date(2025, 10, 20), instrument="PHQ-9", total=4, item9=0
    )
    records.weight_record(**common, date=dt.date(2025, 10, 20), kg=61)
    wrong = records.lab_result_record(
        **common, date=dt.date(2025, 10, 20), analyte="alt", value=30, unit="U/L"
    )
    records.record_mark_entered_in_error(record=wrong, reason="Other patient's result", by=alice)
    receive(
        sample("nhs_pathology_mmol_l.hl7")
        .replace("UK2002", "M1001")
        .replace("19900214", "19970707")
    )
    receive(sample("quest_hcg_positive.hl7"))
    return jane


def everything(client, patient) -> dict:
    response = client.get(reverse("fhir:patient_everything", args=[patient.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    return json.loads(response.content)


def by_type(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_everything_is_a_valid_r4_searchset_of_the_whole_record(client, bob, full_record):
    client.force_login(bob)
    data = everything(client, full_record)
    bundle = Bundle.model_validate(data)  # raises on anything R4 does not allow
    assert bundle.type == "searchset"
    assert bundle.total == len(bundle.entry)
    kinds = [e.resource.get_resource_type() for e in bundle.entry]
    assert kinds[0] == "Patient"
    assert {
        "MedicationRequest",
        "MedicationDispense",
        "Observation",
        "Flag",
        "DetectedIssue",
    } <= set(kinds)
    patient = by_type(data, "Patient")[0]
    assert patient["identifier"][0]["value"] == "M1001"
    assert patient["birthDate"] == "1997-07-07"


def test_lab_observations_carry_loinc_and_ucum_and_entered_in_error_status(
    client, bob, full_record
):
    client.force_login(bob)
    observations = by_type(everything(client, full_record), "Observation")
    labs = {o["code"]["coding"][0]["code"]: o for o in observations if o["id"].startswith("lab-")}
    triglycerides = labs["14927-8"]  # reported in mmol/L: the molar code
    assert triglycerides["valueQuantity"] == {
        "value": 2.1,
        "unit": "mmol/L",
        "system": "http://unitsofmeasure.org",
        "code": "mmol/L",
    }
    assert triglycerides["effectiveDateTime"] == "2025-11-04"
    alts = [o for o in observations if o["code"]["coding"][0]["code"] == "1742-6"]
    assert sorted(o["status"] for o in alts) == ["entered-in-error", "final"]
    imported = next(o for o in alts if o["status"] == "final")
    assert imported["referenceRange"][0]["high"]["value"] == 40


def test_pregnancy_tests_and_mood_screens_are_coded(client, bob, full_record):
    client.force_login(bob)
    observations = by_type(everything(client, full_record), "Observation")
    test = next(o for o in observations if o["id"].startswith("pregnancy-test-"))
    assert test["code"]["coding"][0]["code"] == "2106-3"
    assert test["valueCodeableConcept"]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "10828004",
        "display": "Positive",
    }
    screen = next(o for o in observations if o["id"].startswith("mood-screen-"))
    assert screen["code"]["coding"][0]["code"] == "44261-6"
    assert screen["valueInteger"] == 4
    assert screen["component"][0]["code"]["coding"][0]["code"] == "44260-8"


def test_the_hold_is_a_flag_and_open_alerts_are_detected_issues(client, bob, full_record):
    client.force_login(bob)
    data = everything(client, full_record)
    (flag,) = by_type(data, "Flag")
    assert flag["status"] == "active"
    assert flag["period"]["start"] == "2025-11-06"
    issues = by_type(data, "DetectedIssue")
    assert "high" in {issue["severity"] for issue in issues}  # the positive test: critical
    course = full_record.courses.get()
    assert len(issues) == course.alerts.filter(is_open=True).count()


def test_prescriptions_and_dispenses_are_medication_resources(client, bob, full_record):
    client.force_login(bob)
    data = everything(client, full_record)
    (request,) = by_type(data, "MedicationRequest")
    assert request["authoredOn"] == "2025-10-01"
    assert request["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["code"] == "mg/d"
    (dispense,) = by_type(data, "MedicationDispense")
    assert (dispense["whenHandedOver"], dispense["daysSupply"]["value"]) == ("2025-10-02", 30)


def test_the_export_is_in_the_access_log_and_never_cached(client, bob, jane):
    client.force_login(bob)
    response = client.get(reverse("fhir:patient_everything", args=[jane.pk]))
    assert "no-store" in response["Cache-Control"]
    log = AccessLog.objects.get(user=bob)
    assert (log.patient_id, log.kind, log.refused) == (jane.pk, "record", False)


def test_clinic_admins_may_not_export_and_the_attempt_is_logged(client, carol, jane):
    client.force_login(carol)
    response = client.get(reverse("fhir:patient_everything", args=[jane.pk]))
    assert response.status_code == 403
    assert AccessLog.objects.get(user=carol).refused


def bundle_of(observations: list[dict], *, mrn="M1001", born="1997-07-07", bundle_id="b-1") -> str:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [
            {
                "type": {"coding": [{"code": "MR"}]},
                "system": "urn:lab:mrn",
                "value": mrn,
            }
        ],
        "birthDate": born,
    }
    entries = [{"fullUrl": "urn:uuid:8f1c1a52-0000-4000-8000-000000000001", "resource": patient}]
    for observation in observations:
        observation = {
            "resourceType": "Observation",
            "subject": {"reference": "urn:uuid:8f1c1a52-0000-4000-8000-000000000001"},
            **observation,
        }
        entries.append({"resource": observation})
    return json.dumps(
        {
            "resourceType": "Bundle",
            "id": bundle_id,
            "meta": {"source": "CITYLAB"},
            "type": "collection",
            "entry": entries,
        }
    )


TRIGLYCERIDES = {
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "2571-8"}]},
    "effectiveDateTime": "2025-11-03T08:15:00Z",
    "valueQuantity": {
        "value": 180,
        "unit": "mg/dL",
        "system": "http://unitsofmeasure.org",
        "code": "mg/dL",
    },
}


def import_bundle(text: str) -> services.Receipt:
    receipt = services.receive_fhir(text=text)
    tasks.enqueue_processing(receipt)
    return receipt


def test_a_fhir_bundle_of_observations_is_filed_like_an_hl7_message(jane):
    negative = {
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2118-8"}]},
        "effectiveDateTime": "2025-11-03",
        "valueCodeableConcept": {
            "coding": [{"system": "http://snomed.info/sct", "code": "260385009"}]
        },
    }
    receipt = import_bundle(bundle_of([TRIGLYCERIDES, negative]))
    assert receipt.code == "AA"
    lab = LabResult.objects.get()
    assert (lab.analyte, lab.value, lab.date) == ("triglycerides", 180, dt.date(2025, 11, 3))
    assert lab.source == "CITYLAB, message b-1, result 1"
    test = PregnancyTest.objects.get()
    assert (test.result, test.specimen, test.setting) == ("negative", "serum", "lab")
    # The same bundle again: nothing new.
    assert import_bundle(bundle_of([TRIGLYCERIDES, negative])).message_id == receipt.message_id
    assert LabResult.objects.count() == 1


def test_a_fhir_bundle_for_an_unknown_patient_waits_in_the_same_queue(db):
    import_bundle(bundle_of([TRIGLYCERIDES], mrn="NOPE"))
    assert InboundResult.objects.get().queue_reason == QueueReason.NO_PATIENT


@pytest.mark.parametrize(
    ("text", "code", "reason"),
    [
        ("not json", "AR", "not JSON"),
        (json.dumps({"resourceType": "Patient"}), "AR", "not a FHIR Bundle"),
        (
            bundle_of([{**TRIGLYCERIDES, "valueQuantity": {"value": "lots"}}]),
            "AE",
            "Not a valid FHIR R4",
        ),
        (bundle_of([]), "AE", "no Observation"),
        (
            bundle_of([{**TRIGLYCERIDES, "subject": {"reference": "Patient/other"}}]),
            "AE",
            "not the bundle's Patient",
        ),
    ],
)
def test_a_bundle_that_cannot_be_read_is_answered_with_the_reason(db, text, code, reason):
    receipt = import_bundle(text)
    assert receipt.code == code
    assert reason in receipt.reason
