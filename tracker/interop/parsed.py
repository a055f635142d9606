"""What isotrack reads from a received message, HL7 v2 or FHIR alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Header:
    sending_application: str
    sending_facility: str
    control_id: str
    message_type: str
    version: str
    processing_id: str

    @property
    def sender(self) -> str:
        """Who sent it: the facility, or the application when no facility is given."""
        return self.sending_facility or self.sending_application


@dataclass(frozen=True)
class ParsedPatient:
    identifiers: tuple[str, ...]  # medical record numbers, as sent
    family_name: str
    given_name: str
    date_of_birth: date | None


@dataclass(frozen=True)
class ParsedResult:
    sequence: int  # the result's place in the message, from 1
    code: str
    code_system: str
    code_text: str
    value_type: str
    value: str  # as sent (unescaped); for a coded answer its text or code
    value_code: str  # a coded answer's code, e.g. a SNOMED CT code
    value_code_system: str
    unit: str
    reference_range: str
    abnormal_flag: str
    status: str  # OBX-11: F final, C corrected, X cancelled, P preliminary...
    specimen_date: date | None
    order_number: str  # the lab's (filler) order number, else the placer's
    comment: str = ""
    alternate_code: str = ""  # OBX-3.4 to 3.6, e.g. LOINC beside a local code
    alternate_system: str = ""


@dataclass(frozen=True)
class ParsedMessage:
    header: Header
    patient: ParsedPatient
    results: tuple[ParsedResult, ...] = field(default_factory=tuple)
