"""Input facts of the monitoring engine.

Plain, frozen dataclasses: the engine never touches the ORM or the clock. The adapter in
``tracker/monitoring.py`` builds these from database rows (records marked entered-in-error are
left out); the scenario runner builds them through the same services as the web forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Profile(StrEnum):
    US = "US"
    UK = "UK"
    EU = "EU"


class Category(StrEnum):
    CAN_GET_PREGNANT = "can_get_pregnant"
    CANNOT_GET_PREGNANT = "cannot_get_pregnant"


class CumulativeMethod(StrEnum):
    DAILY_WEIGHT = "daily_weight"
    START_WEIGHT = "start_weight"


class ConfirmationKind(StrEnum):
    CONSENT = "consent"  # programme enrolment + informed consent (US-B1)
    RISK_ACKNOWLEDGEMENT = "risk_acknowledgement"  # UK Acknowledgement of Risk form (UK-B1)
    SECOND_PRESCRIBER = "second_prescriber"  # UK second prescriber agreed (UK-B2)
    REMS_CONFIRMATION = "rems_confirmation"  # monthly counselling + programme confirmation (US-R2)


class TestResult(StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"


class TestSetting(StrEnum):
    CLINIC = "clinic"
    LAB = "lab"
    HOME = "home"
    REMOTE_SUPERVISED = "remote_supervised"


class Instrument(StrEnum):
    PHQ9 = "PHQ-9"
    PHQA = "PHQ-A"
    PHQ2 = "PHQ-2"
    GAD7 = "GAD-7"


@dataclass(frozen=True)
class Confirmation:
    id: int
    date: date
    kind: ConfirmationKind


@dataclass(frozen=True)
class ContraceptionStart:
    id: int
    date: date
    methods: frozenset[str]


@dataclass(frozen=True)
class ContraceptionAttestation:
    id: int
    date: date
    methods: frozenset[str]


@dataclass(frozen=True)
class PregnancyTest:
    id: int
    date: date  # specimen date
    result: TestResult
    setting: TestSetting


@dataclass(frozen=True)
class MoodScreen:
    id: int
    date: date
    instrument: Instrument
    total: int
    item9: int | None = None  # PHQ-9 / PHQ-A only


@dataclass(frozen=True)
class SexualFunctionReview:
    id: int
    date: date
    concern: bool


@dataclass(frozen=True)
class LabResult:
    id: int
    date: date  # collection date
    analyte: str  # triglycerides, total_cholesterol, ldl, hdl, alt, ast, ggt, ck
    value: float  # as reported
    unit: str  # as reported (UCUM)
    canonical_value: float  # mg/dL for lipids, U/L for enzymes
    uln: float | None = None  # the lab's upper limit of normal, when given


@dataclass(frozen=True)
class DoseChange:
    id: int
    date: date
    mg_per_day: float


@dataclass(frozen=True)
class WeightMeasurement:
    id: int
    date: date
    kg: float


@dataclass(frozen=True)
class Prescription:
    id: int
    date: date
    supply_days: int


@dataclass(frozen=True)
class Dispense:
    id: int
    date: date
    supply_days: int


@dataclass(frozen=True)
class HoldResolution:
    id: int
    date: date
    reason: str


@dataclass(frozen=True)
class AlertReview:
    """A clinician reviewed the open alert(s) of ``source`` (and analyte / instrument)
    raised on or before ``date``."""

    id: int
    date: date
    source: str  # "lab" | "pregnancy_test" | "mood_screen"
    analyte: str | None = None
    instrument: str | None = None
    note: str = ""


@dataclass(frozen=True)
class PatientFacts:
    date_of_birth: date
    category: Category | None  # None: not yet assigned by a clinician (the engine flags it)
    home_testing_permitted: bool = False
    contraception_exempt: bool = False
    previous_course_end: date | None = None


@dataclass(frozen=True)
class CourseFacts:
    profile: Profile
    patient: PatientFacts
    start: date | None  # S: first dispense (planned date while start_is_planned)
    start_is_planned: bool
    end: date | None  # E: date of the last dose
    weight_kg: float | None
    target_mg_per_kg: float = 150.0
    cumulative_method: CumulativeMethod = CumulativeMethod.DAILY_WEIGHT
    confirmations: tuple[Confirmation, ...] = ()
    contraception_starts: tuple[ContraceptionStart, ...] = ()
    contraception_attestations: tuple[ContraceptionAttestation, ...] = ()
    pregnancy_tests: tuple[PregnancyTest, ...] = ()
    mood_screens: tuple[MoodScreen, ...] = ()
    sexual_function_reviews: tuple[SexualFunctionReview, ...] = ()
    lab_results: tuple[LabResult, ...] = ()
    doses: tuple[DoseChange, ...] = ()
    weights: tuple[WeightMeasurement, ...] = ()
    prescriptions: tuple[Prescription, ...] = ()
    dispenses: tuple[Dispense, ...] = ()
    hold_resolutions: tuple[HoldResolution, ...] = ()
    alert_reviews: tuple[AlertReview, ...] = ()
