"""FHIR R4 Bundles of Observations in: read into the same ``ParsedMessage`` as an HL7 v2
message, so that they go through the same matching and queue.

The bundle is validated with ``fhir.resources`` (R4B models, which read R4 Observations and
Patients alike). It must hold one Patient (MRN identifier, birth date) and Observations whose
subject is that patient. Bundle ``identifier`` (else ``id``) is the control ID, ``meta.source``
(else the importer's ``--sender``) the sender.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError as SchemaError

from tracker.interop.hl7v2 import Rejected, Unprocessable
from tracker.interop.parsed import Header, ParsedMessage, ParsedPatient, ParsedResult

# Observation.status -> HL7 OBX-11.
STATUS = {
    "final": "F",
    "amended": "C",
    "corrected": "C",
    "cancelled": "X",
    "entered-in-error": "W",
    "preliminary": "P",
    "registered": "I",
}
MRN_TYPE = "MR"


def read_bundle(text: str, *, sender: str = "") -> ParsedMessage:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise Rejected("The file is not JSON.") from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise Rejected("The file is not a FHIR Bundle.")
    identifier = data.get("identifier") if isinstance(data.get("identifier"), dict) else {}
    control_id = str(identifier.get("value") or data.get("id") or "")
    source = data.get("meta", {}).get("source") if isinstance(data.get("meta"), dict) else None
    header = Header(
        sending_application="",
        sending_facility=str(source or sender or ""),
        control_id=control_id,
        message_type="Bundle",
        version="R4",
        processing_id="P",
    )
    if not control_id:
        raise Rejected("The bundle has neither an identifier nor an id.", header)
    if not header.sender:
        raise Rejected("The bundle has no meta.source: name the sender.", header)
    try:
        bundle = Bundle.model_validate(data)
    except SchemaError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Unprocessable(
            f"Not a valid FHIR R4 bundle: {where}: {first['msg']}.", header
        ) from None
    resources = [entry.resource for entry in bundle.entry or [] if entry.resource is not None]
    patients = [r for r in resources if r.get_resource_type() == "Patient"]
    observations = [r for r in resources if r.get_resource_type() == "Observation"]
    if len(patients) != 1:
        raise Unprocessable("The bundle must hold exactly one Patient.", header)
    if not observations:
        raise Unprocessable("The bundle holds no Observation.", header)
    patient = _patient(patients[0], header)
    references = _references(patients[0], bundle)
    results = []
    for sequence, observation in enumerate(observations, start=1):
        subject = observation.subject.reference if observation.subject else None
        if subject not in references:
            raise Unprocessable(
                f"Observation {sequence}: its subject is not the bundle's Patient.", header
            )
        results.append(_result(sequence, observation))
    return ParsedMessage(header=header, patient=patient, results=tuple(results))


def _references(patient, bundle) -> set[str]:
    refs = {f"Patient/{patient.id}"} if patient.id else set()
    for entry in bundle.entry or []:
        if entry.resource is patient and entry.fullUrl:
            refs.add(entry.fullUrl)
    return refs


def _patient(resource, header: Header) -> ParsedPatient:
    mrns = []
    for identifier in resource.identifier or []:
        codes = [c.code for c in (identifier.type.coding or [])] if identifier.type else []
        if identifier.value and (not codes or MRN_TYPE in codes):
            mrns.append(identifier.value)
    if not mrns:
        raise Unprocessable("The Patient has no medical record number.", header)
    name = (resource.name or [None])[0]
    return ParsedPatient(
        identifiers=tuple(dict.fromkeys(mrns)),
        family_name=(name.family or "") if name else "",
        given_name=" ".join(name.given or []) if name else "",
        date_of_birth=_date(resource.birthDate),
    )


def _result(sequence: int, observation) -> ParsedResult:
    codings = observation.code.coding or []
    first = codings[0] if codings else None
    loinc = next((c for c in codings if c.system == "http://loinc.org"), first)
    value, unit, value_code, value_system, value_type = "", "", "", "", ""
    if observation.valueQuantity is not None:
        quantity = observation.valueQuantity
        value_type = "NM"
        value = "" if quantity.value is None else f"{quantity.value:f}"
        if quantity.comparator:
            value = f"{quantity.comparator}{value}"
        unit = quantity.code or quantity.unit or ""
    elif observation.valueCodeableConcept is not None:
        concept = observation.valueCodeableConcept
        coding = (concept.coding or [None])[0]
        value_type = "CWE"
        value = concept.text or (coding.display if coding else "") or ""
        value_code = (coding.code or "") if coding else ""
        value_system = (coding.system or "") if coding else ""
    elif observation.valueString is not None:
        value_type, value = "ST", observation.valueString
    high = ""
    if observation.referenceRange and observation.referenceRange[0].high is not None:
        high = f"<{observation.referenceRange[0].high.value:f}"
    return ParsedResult(
        sequence=sequence,
        code=(loinc.code or "") if loinc else "",
        code_system=(loinc.system or "") if loinc else "",
        code_text=observation.code.text or ((loinc.display or "") if loinc else ""),
        value_type=value_type,
        value=value,
        value_code=value_code,
        value_code_system=value_system,
        unit=unit,
        reference_range=high,
        abnormal_flag="",
        status=STATUS.get(observation.status, "P"),
        specimen_date=_date(observation.effectiveDateTime),
        order_number="",
    )


def _date(value) -> date | None:
    """The day of a FHIR date or dateTime; None for a partial one (a year, a month)."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None
