"""The closed list of lab analytes: label, LOINC codes, units (UCUM), canonical unit,
conversion factor and the plausible range used to catch typing errors.

Pure data and functions; no Django. Lipids are compared in mg/dL, enzymes in U/L.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Analyte:
    code: str
    label: str
    canonical_unit: str
    loinc: dict[str, str]  # unit -> LOINC code of the result in that unit
    factors: dict[str, float]  # unit -> multiply by this to get the canonical unit
    plausible_range: tuple[float, float]  # in the canonical unit
    uses_uln: bool = False

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(self.factors)

    def loinc_for(self, unit: str) -> str:
        return self.loinc.get(unit, "")


TRIGLYCERIDES_MMOL_TO_MG = 88.57
CHOLESTEROL_MMOL_TO_MG = 38.67

ANALYTES: dict[str, Analyte] = {
    a.code: a
    for a in (
        Analyte(
            "triglycerides",
            "Triglycerides",
            "mg/dL",
            {"mg/dL": "2571-8", "mmol/L": "14927-8"},
            {"mg/dL": 1.0, "mmol/L": TRIGLYCERIDES_MMOL_TO_MG},
            (5, 10000),
        ),
        Analyte(
            "total_cholesterol",
            "Total cholesterol",
            "mg/dL",
            {"mg/dL": "2093-3", "mmol/L": "14647-2"},
            {"mg/dL": 1.0, "mmol/L": CHOLESTEROL_MMOL_TO_MG},
            (40, 1500),
        ),
        Analyte(
            "ldl",
            "LDL cholesterol",
            "mg/dL",
            {"mg/dL": "13457-7", "mmol/L": "13457-7"},
            {"mg/dL": 1.0, "mmol/L": CHOLESTEROL_MMOL_TO_MG},
            (5, 1000),
        ),
        Analyte(
            "hdl",
            "HDL cholesterol",
            "mg/dL",
            {"mg/dL": "2085-9", "mmol/L": "14646-4"},
            {"mg/dL": 1.0, "mmol/L": CHOLESTEROL_MMOL_TO_MG},
            (2, 300),
        ),
        Analyte("alt", "ALT", "U/L", {"U/L": "1742-6"}, {"U/L": 1.0}, (0, 10000), True),
        Analyte("ast", "AST", "U/L", {"U/L": "1920-8"}, {"U/L": 1.0}, (0, 10000), True),
        Analyte("ggt", "GGT", "U/L", {"U/L": "2324-2"}, {"U/L": 1.0}, (0, 10000), True),
        Analyte("ck", "CK", "U/L", {"U/L": "2157-6"}, {"U/L": 1.0}, (0, 200000), True),
    )
}


def to_canonical(analyte: str, value: float, unit: str) -> float:
    """Value in the analyte's canonical unit (unrounded; round only for display)."""
    return value * ANALYTES[analyte].factors[unit]
