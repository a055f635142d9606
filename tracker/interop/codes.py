"""What a received result's code stands for: an analyte, a pregnancy test, or nothing known.

The codes themselves are owned by the engine's analyte definitions (``tracker.engine.analytes``);
a lab's own codes are mapped by staff (``CodeMapping``) and looked up here.
"""

from __future__ import annotations

from dataclasses import dataclass

from patients.models import SpecimenType
from tracker.engine.analytes import (
    ANALYTES,
    HCG_QUALITATIVE_LOINC,
    HCG_QUANTITATIVE_LOINC,
    QUALITATIVE_RESULT_BY_SNOMED,
    QUALITATIVE_RESULT_WORDS,
    analyte_for_loinc,
)

# Code system names as HL7 v2 (table 0396) and FHIR write them, upper case.
LOINC_SYSTEMS = {"LN", "LOINC", "HTTP://LOINC.ORG"}
SNOMED_SYSTEMS = {"SCT", "SNM", "SNOMED", "SNOMEDCT", "HTTP://SNOMED.INFO/SCT"}
PREGNANCY_TEST_PREFIX = "pregnancy_test_"


@dataclass(frozen=True)
class Target:
    """What a result records: ``analyte`` for a lab result, ``specimen`` for a pregnancy test;
    ``quantitative_hcg`` for a number that has no positive or negative of its own."""

    analyte: str = ""
    specimen: str = ""
    quantitative_hcg: bool = False


def mapping_choices() -> list[tuple[str, str]]:
    """What staff may map a lab's code to: every analyte, and a qualitative pregnancy test by
    specimen."""
    return [(a.code, a.label) for a in ANALYTES.values()] + [
        (f"{PREGNANCY_TEST_PREFIX}{value}", f"Pregnancy test: {label}")
        for value, label in SpecimenType.choices
    ]


def target_of_mapping(value: str) -> Target | None:
    if value in ANALYTES:
        return Target(analyte=value)
    specimen = value.removeprefix(PREGNANCY_TEST_PREFIX)
    if value.startswith(PREGNANCY_TEST_PREFIX) and specimen in SpecimenType.values:
        return Target(specimen=specimen)
    return None


def target_of_loinc(code: str) -> Target | None:
    analyte = analyte_for_loinc(code)
    if analyte is not None:
        return Target(analyte=analyte.code)
    if code in HCG_QUALITATIVE_LOINC:
        return Target(specimen=HCG_QUALITATIVE_LOINC[code])
    if code == HCG_QUANTITATIVE_LOINC:
        return Target(quantitative_hcg=True)
    return None


def loinc_of(codes: list[tuple[str, str]]) -> Target | None:
    """The target of the first LOINC code among (code, system) pairs."""
    for code, system in codes:
        if code and system.upper() in LOINC_SYSTEMS:
            target = target_of_loinc(code)
            if target is not None:
                return target
    return None


def qualitative_result(code: str, system: str, text: str) -> str | None:
    """ "positive" or "negative" from a SNOMED CT code, else from the lab's words; None when it
    says neither (equivocal, invalid, a number)."""
    if code and (system.upper() in SNOMED_SYSTEMS or not system):
        result = QUALITATIVE_RESULT_BY_SNOMED.get(code)
        if result is not None:
            return result
    return QUALITATIVE_RESULT_WORDS.get(" ".join((text or "").lower().split()).rstrip("."))
