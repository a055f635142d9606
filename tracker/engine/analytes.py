"""The closed list of lab analytes the tracker records, with codes and units.

Forms, services and the engine import this one table: allowed units, the canonical unit the
thresholds compare in, the mmol/L to mg/dL factor and a plausible range for input validation.
"""

from __future__ import annotations

from dataclasses import dataclass

MG_DL = "mg/dL"
MMOL_L = "mmol/L"
U_L = "U/L"


@dataclass(frozen=True)
class Analyte:
    code: str
    label: str
    loinc: tuple[str, ...]  # mass / catalytic code first, then the molar code when there is one
    allowed_units: tuple[str, ...]
    canonical_unit: str
    mmol_to_mg_dl: float | None  # factor mg/dL = mmol/L x factor; None when mmol/L is not allowed
    plausible_min: float  # canonical unit
    plausible_max: float  # canonical unit
    uln_based: bool  # thresholds are multiples of the upper limit of normal


ANALYTES: dict[str, Analyte] = {
    a.code: a
    for a in (
        Analyte(
            "triglycerides",
            "Triglycerides",
            ("2571-8", "14927-8"),
            (MG_DL, MMOL_L),
            MG_DL,
            88.57,
            1.0,
            20000.0,
            False,
        ),
        Analyte(
            "total_cholesterol",
            "Total cholesterol",
            ("2093-3", "14647-2"),
            (MG_DL, MMOL_L),
            MG_DL,
            38.67,
            20.0,
            2000.0,
            False,
        ),
        Analyte(
            "ldl",
            "LDL cholesterol",
            ("13457-7", "18262-6"),
            (MG_DL, MMOL_L),
            MG_DL,
            38.67,
            1.0,
            1500.0,
            False,
        ),
        Analyte(
            "hdl",
            "HDL cholesterol",
            ("2085-9", "14646-4"),
            (MG_DL, MMOL_L),
            MG_DL,
            38.67,
            1.0,
            500.0,
            False,
        ),
        Analyte("alt", "ALT", ("1742-6",), (U_L,), U_L, None, 0.0, 50000.0, True),
        Analyte("ast", "AST", ("1920-8",), (U_L,), U_L, None, 0.0, 50000.0, True),
        Analyte("ggt", "GGT", ("2324-2",), (U_L,), U_L, None, 0.0, 20000.0, True),
        Analyte("ck", "CK", ("2157-6",), (U_L,), U_L, None, 0.0, 1000000.0, True),
    )
}


class UnknownAnalyteError(ValueError):
    pass


class UnitNotAllowedError(ValueError):
    pass


def analyte(code: str) -> Analyte:
    try:
        return ANALYTES[code]
    except KeyError:
        raise UnknownAnalyteError(f"unknown analyte {code!r}") from None


def to_canonical(code: str, value: float, unit: str) -> float:
    """The value in the analyte's canonical unit (mg/dL for lipids, U/L for enzymes), unrounded."""
    a = analyte(code)
    if unit not in a.allowed_units:
        raise UnitNotAllowedError(f"{unit!r} is not an allowed unit for {code} ({a.allowed_units})")
    if unit == a.canonical_unit:
        return float(value)
    if unit == MMOL_L and a.mmol_to_mg_dl is not None:
        return float(value) * a.mmol_to_mg_dl
    raise UnitNotAllowedError(f"no conversion from {unit!r} for {code}")


def is_plausible(code: str, canonical_value: float) -> bool:
    a = analyte(code)
    return a.plausible_min <= canonical_value <= a.plausible_max


# Spellings of the allowed units that labs send, by their lower-case form. Enzyme activity is
# reported as U/L or IU/L (the same unit for these enzymes); UCUM writes the latter [IU]/L.
UNIT_SPELLINGS: dict[str, str] = {
    "mg/dl": MG_DL,
    "mmol/l": MMOL_L,
    "u/l": U_L,
    "iu/l": U_L,
    "[iu]/l": U_L,
}


def unit_as_recorded(text: str) -> str | None:
    """The allowed unit a lab's unit text stands for ("mg/dl" is mg/dL), else None."""
    return UNIT_SPELLINGS.get((text or "").strip().lower())


def analyte_for_loinc(loinc_code: str) -> Analyte | None:
    """The analyte a LOINC code measures (mass or molar code alike), else None."""
    return _BY_LOINC.get(loinc_code)


_BY_LOINC: dict[str, Analyte] = {code: a for a in ANALYTES.values() for code in a.loinc}

# Other codes of the records isotrack exchanges (clinical rules, section 7).
LOINC_SYSTEM = "http://loinc.org"
SNOMED_SYSTEM = "http://snomed.info/sct"
UCUM_SYSTEM = "http://unitsofmeasure.org"

# hCG: the qualitative tests by specimen (a pregnancy-test record), and the quantitative one,
# which has no positive/negative of its own.
HCG_QUALITATIVE_LOINC: dict[str, str] = {"2106-3": "urine", "2118-8": "serum"}
HCG_QUANTITATIVE_LOINC = "21198-7"
# Qualitative results.
SNOMED_NEGATIVE = "260385009"
SNOMED_POSITIVE = "10828004"
QUALITATIVE_RESULT_BY_SNOMED: dict[str, str] = {
    SNOMED_NEGATIVE: "negative",
    SNOMED_POSITIVE: "positive",
}
SNOMED_BY_QUALITATIVE_RESULT: dict[str, str] = {
    v: k for k, v in QUALITATIVE_RESULT_BY_SNOMED.items()
}
# Words labs write for a qualitative result, lower case.
QUALITATIVE_RESULT_WORDS: dict[str, str] = {
    "negative": "negative",
    "neg": "negative",
    "not detected": "negative",
    "positive": "positive",
    "pos": "positive",
    "detected": "positive",
}

BODY_WEIGHT_LOINC = "29463-7"
# Mood screens: the total score, and PHQ-9's item 9. PHQ-A and PHQ-2 have no code here.
SCREEN_TOTAL_LOINC: dict[str, str] = {"PHQ-9": "44261-6", "GAD-7": "70274-6"}
PHQ9_ITEM9_LOINC = "44260-8"

# The medicine, as prescribed and dispensed (RxNorm ingredient).
RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ISOTRETINOIN_RXNORM = "6064"
