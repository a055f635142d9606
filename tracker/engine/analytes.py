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
