"""The closed list of lab analytes the tracker records: codes, labels, LOINC codes and units.

Forms, models, services and the engine read this one table: the label, the LOINC codes, the
allowed units, the canonical unit the thresholds compare in, the mmol/L to mg/dL factor and a
plausible range for input validation. A new analyte is added here (and to the rules that monitor
it, ``tracker/rules/default_rules.json``); the models' choices follow in a generated migration.
"""

from __future__ import annotations

from dataclasses import dataclass

MG_DL = "mg/dL"
MMOL_L = "mmol/L"
U_L = "U/L"


@dataclass(frozen=True)
class Analyte:
    code: str
    label: str  # shown everywhere the analyte is named; never the code
    loinc: tuple[str, ...]  # the mass (mg/dL) or catalytic (U/L) codes, the usual one first
    allowed_units: tuple[str, ...]
    canonical_unit: str
    mmol_to_mg_dl: float | None  # factor mg/dL = mmol/L x factor; None when mmol/L is not allowed
    plausible_min: float  # canonical unit
    plausible_max: float  # canonical unit
    uln_based: bool  # thresholds are multiples of the upper limit of normal
    loinc_mmol: str | None = None  # the code of a result reported in mmol/L, if it has its own

    @property
    def codes(self) -> tuple[str, ...]:
        """Every LOINC code of the analyte."""
        return self.loinc + ((self.loinc_mmol,) if self.loinc_mmol else ())

    def loinc_for(self, unit: str) -> str:
        """The LOINC code of a result reported in ``unit``."""
        return self.loinc_mmol if unit == MMOL_L and self.loinc_mmol else self.loinc[0]


LIPID = {"allowed_units": (MG_DL, MMOL_L), "canonical_unit": MG_DL, "uln_based": False}
ENZYME = {"allowed_units": (U_L,), "canonical_unit": U_L, "mmol_to_mg_dl": None, "uln_based": True}

ANALYTES: dict[str, Analyte] = {
    a.code: a
    for a in (
        Analyte(
            "triglycerides",
            "Triglycerides",
            ("2571-8",),
            loinc_mmol="14927-8",
            mmol_to_mg_dl=88.57,
            plausible_min=1.0,
            plausible_max=20000.0,
            **LIPID,
        ),
        Analyte(
            "total_cholesterol",
            "Total cholesterol",
            ("2093-3",),
            loinc_mmol="14647-2",
            mmol_to_mg_dl=38.67,
            plausible_min=20.0,
            plausible_max=2000.0,
            **LIPID,
        ),
        Analyte(
            "ldl",
            "LDL cholesterol",
            ("13457-7", "18262-6"),  # calculated, direct
            mmol_to_mg_dl=38.67,
            plausible_min=1.0,
            plausible_max=1500.0,
            **LIPID,
        ),
        Analyte(
            "hdl",
            "HDL cholesterol",
            ("2085-9",),
            loinc_mmol="14646-4",
            mmol_to_mg_dl=38.67,
            plausible_min=1.0,
            plausible_max=500.0,
            **LIPID,
        ),
        Analyte("alt", "ALT", ("1742-6",), plausible_min=0.0, plausible_max=50000.0, **ENZYME),
        Analyte("ast", "AST", ("1920-8",), plausible_min=0.0, plausible_max=50000.0, **ENZYME),
        Analyte("ggt", "GGT", ("2324-2",), plausible_min=0.0, plausible_max=20000.0, **ENZYME),
        Analyte("ck", "CK", ("2157-6",), plausible_min=0.0, plausible_max=1000000.0, **ENZYME),
    )
}


def analyte_choices() -> list[tuple[str, str]]:
    """(code, label) of every analyte, for a model's or a form's choices."""
    return [(a.code, a.label) for a in ANALYTES.values()]


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def units_in_words() -> str:
    """Which analytes are reported in which units, e.g. "ALT and AST in U/L"."""
    by_units: dict[tuple[str, ...], list[str]] = {}
    for a in ANALYTES.values():
        by_units.setdefault(a.allowed_units, []).append(a.label)
    return "; ".join(
        f"{_listed(labels)} in {' or '.join(units)}" for units, labels in by_units.items()
    )


def uln_based_in_words() -> str:
    """The analytes measured against an upper limit of normal, e.g. "ALT and AST"."""
    return _listed([a.label for a in ANALYTES.values() if a.uln_based])


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


_BY_LOINC: dict[str, Analyte] = {code: a for a in ANALYTES.values() for code in a.codes}

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
