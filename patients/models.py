"""Patients, treatment courses and the clinical records of a course.

Clinical records are never deleted: a wrong entry is marked *entered in error* with a reason,
is left out of every calculation and is shown struck through. Every model keeps a full change
history (django-simple-history). Validation that needs "today" lives in ``patients.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from patients.validation import (
    validate_no_hidden_characters,
    validate_plausible_date,
    validate_visible,
)
from tracker.engine.analytes import analyte_choices
from tracker.engine.vocabulary import event_label


class Profile(models.TextChoices):
    US = "US", "US (iPLEDGE REMS)"
    UK = "UK", "UK (MHRA Pregnancy Prevention Programme)"
    EU = "EU", "EU (SmPC Pregnancy Prevention Programme)"


class Category(models.TextChoices):
    CAN_GET_PREGNANT = "can_get_pregnant", "Can get pregnant (CGP)"
    CANNOT_GET_PREGNANT = "cannot_get_pregnant", "Cannot get pregnant (CNGP)"


# A name or MRN is shown as typed: nothing hidden in it, and something to see.
TEXT_SHOWN_AS_IS = [validate_no_hidden_characters, validate_visible]


class Patient(models.Model):
    mrn = models.CharField(
        "MRN",
        max_length=32,
        unique=True,
        validators=TEXT_SHOWN_AS_IS,
        help_text="Medical record number, unique in this clinic.",
    )
    given_name = models.CharField(max_length=100, validators=TEXT_SHOWN_AS_IS)
    family_name = models.CharField(max_length=100, validators=TEXT_SHOWN_AS_IS)
    date_of_birth = models.DateField(validators=[validate_plausible_date])
    profile = models.CharField(
        "monitoring profile",
        max_length=2,
        choices=Profile.choices,
        help_text="Which programme's schedule applies. Defaults to the clinic's profile.",
    )
    category = models.CharField(
        "pregnancy-potential category",
        max_length=24,
        choices=Category.choices,
        blank=True,
        help_text=(
            "Assigned by a clinician, never derived from sex or gender. US: tubal ligation still "
            "counts as CGP. UK/EU: tubal ligation or confirmed menopause is CNGP."
        ),
    )
    category_assigned_on = models.DateField(null=True, blank=True)
    category_assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    category_reason = models.CharField(max_length=300, blank=True)
    home_testing_permitted = models.BooleanField(
        "home pregnancy testing permitted (US)",
        default=False,
        help_text="US: the prescriber allows home tests during and after treatment.",
    )
    contraception_exempt = models.BooleanField(
        "contraception exemption (UK/EU)",
        default=False,
        help_text='UK: a documented "no expected risk of pregnancy" agreement.',
    )
    contraception_exempt_reason = models.CharField(max_length=300, blank=True)
    responsible_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patients",
    )
    previous_course_end = models.DateField(
        "end of a course given elsewhere",
        null=True,
        blank=True,
        validators=[validate_plausible_date],
        help_text="Last dose of an earlier course not recorded here (retreatment gap check).",
    )
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Raised on every save: a form saved from an older version is refused.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["family_name", "given_name", "mrn"]
        indexes = [models.Index(fields=["family_name", "given_name"])]
        permissions = [
            ("view_patient_data", "Can see patients, their courses, the worklist and exports"),
            ("record_clinical", "Can record clinical data"),
            ("enter_lab_results", "Can enter lab results received from outside labs"),
            ("assign_category", "Can assign the pregnancy-potential category"),
            ("review_monitoring", "Can review alerts, snooze, waive and resolve holds"),
            ("record_outreach", "Can record outreach to patients"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class CourseStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped early"


OPEN_COURSE_STATUSES = (CourseStatus.PLANNED, CourseStatus.ACTIVE, CourseStatus.ON_HOLD)


class CumulativeMethod(models.TextChoices):
    DAILY_WEIGHT = "daily_weight", "Daily dose ÷ latest weight, summed per day"
    START_WEIGHT = "start_weight", "Total mg ÷ start weight"


class Course(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    start = models.DateField(
        "start (first dispense)",
        validators=[validate_plausible_date],
        help_text="Day 1 of treatment: the first dispense. For a planned course, the planned date.",
    )
    end = models.DateField(
        "end (last dose)",
        null=True,
        blank=True,
        validators=[validate_plausible_date],
        help_text="Date of the last dose.",
    )
    start_is_planned = models.BooleanField(
        "start is planned",
        default=False,
        help_text="The course has not started: the start is the planned first-dispense date.",
    )
    status = models.CharField(max_length=12, choices=CourseStatus.choices)
    stopped_reason = models.CharField(max_length=300, blank=True)
    weight_kg = models.DecimalField(
        "weight at start (kg)",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(20), MaxValueValidator(300)],
    )
    target_mg_per_kg = models.DecimalField(
        "cumulative target (mg/kg)",
        max_digits=5,
        decimal_places=1,
        default=150,
        validators=[MinValueValidator(30), MaxValueValidator(300)],
    )
    cumulative_method = models.CharField(
        max_length=16, choices=CumulativeMethod.choices, default=CumulativeMethod.DAILY_WEIGHT
    )
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Raised on every save: a form saved from an older version is refused.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=["planned", "active", "on_hold"]),
                name="one_open_course_per_patient",
                violation_error_message=(
                    "This patient already has a planned, active or on-hold course. "
                    "Complete or stop it before starting another."
                ),
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="course_end_not_before_start",
                violation_error_message="The last dose cannot be before the start.",
            ),
            models.CheckConstraint(condition=Q(weight_kg__gt=0), name="course_weight_positive"),
            models.CheckConstraint(
                condition=Q(target_mg_per_kg__gt=0), name="course_target_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Course from {self.start:%d %b %Y} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_COURSE_STATUSES


class ClinicalRecord(models.Model):
    """Common fields of every dated clinical record of a course."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="%(class)ss")
    date = models.DateField(validators=[validate_plausible_date])
    notes = models.TextField(blank=True)
    visit = models.ForeignKey(
        "Visit", null=True, blank=True, on_delete=models.PROTECT, related_name="%(class)ss"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_in_error = models.BooleanField(default=False)
    error_reason = models.CharField(max_length=300, blank=True)
    error_marked_at = models.DateTimeField(null=True, blank=True)
    error_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # The record's type, named as the event kinds of ``tracker.engine.vocabulary`` (which
    # gives its label, e.g. "Pregnancy test").
    record_type = ""

    class Meta:
        abstract = True
        ordering = ["date", "id"]

    @property
    def kind_label(self) -> str:
        return event_label(self.record_type)

    def summary(self) -> str:
        return self.kind_label


class Visit(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="visits")
    date = models.DateField(validators=[validate_plausible_date])
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    iga = models.PositiveSmallIntegerField(
        "IGA (0–4)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(4)],
        help_text="Investigator's Global Assessment: 0 clear, 1 almost clear, 2 mild, "
        "3 moderate, 4 severe.",
    )
    inflammatory_lesions = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(500)]
    )
    comedones = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(1000)]
    )
    # Side effects named in the product information.
    se_dry_lips = models.BooleanField("dry lips (cheilitis)", default=False)
    se_dry_skin = models.BooleanField("dry skin", default=False)
    se_nosebleeds = models.BooleanField("nosebleeds", default=False)
    se_dry_eyes = models.BooleanField("dry eyes", default=False)
    se_muscle_joint_pain = models.BooleanField("muscle or joint pain", default=False)
    se_mood_change = models.BooleanField("mood change", default=False)
    se_night_vision = models.BooleanField("night-vision problems", default=False)
    se_headache = models.BooleanField("headache", default=False)
    se_other = models.CharField("other side effects", max_length=300, blank=True)
    # Counselling given.
    co_contraception = models.BooleanField("contraception", default=False)
    co_no_alcohol = models.BooleanField("avoid alcohol", default=False)
    co_no_vitamin_a = models.BooleanField("no vitamin A supplements", default=False)
    co_sun_protection = models.BooleanField("sun protection", default=False)
    co_no_waxing = models.BooleanField(
        "no waxing, laser or dermabrasion until 6 months after", default=False
    )
    co_no_blood_donation = models.BooleanField(
        "no blood donation until 1 month after", default=False
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_in_error = models.BooleanField(default=False)
    error_reason = models.CharField(max_length=300, blank=True)
    error_marked_at = models.DateTimeField(null=True, blank=True)
    error_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    record_type = "visit"

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"Visit on {self.date:%d %b %Y}"

    @property
    def kind_label(self) -> str:
        return event_label(self.record_type)

    def side_effects(self) -> list[str]:
        names = [
            f.verbose_name
            for f in self._meta.fields
            if f.name.startswith("se_") and f.name != "se_other" and getattr(self, f.name)
        ]
        if self.se_other:
            names.append(self.se_other)
        return names

    def counselling(self) -> list[str]:
        return [
            f.verbose_name
            for f in self._meta.fields
            if f.name.startswith("co_") and getattr(self, f.name)
        ]

    def summary(self) -> str:
        parts = []
        if self.iga is not None:
            parts.append(f"IGA {self.iga}")
        if self.side_effects():
            parts.append("side effects: " + ", ".join(self.side_effects()))
        return "Visit" + (" — " + "; ".join(parts) if parts else "")


class DoseChange(ClinicalRecord):
    mg_per_day = models.DecimalField(
        "dose (mg/day)",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(200)],
        help_text="Daily dose from this date on. The first one is dated on the start.",
    )
    history = HistoricalRecords()
    record_type = "dose"

    class Meta(ClinicalRecord.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(mg_per_day__gte=0), name="dose_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.mg_per_day} mg/day from {self.date}"

    def summary(self) -> str:
        return f"Dose {self.mg_per_day:g} mg/day from this date"


class WeightMeasurement(ClinicalRecord):
    kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(20), MaxValueValidator(300)],
    )
    history = HistoricalRecords()
    record_type = "weight"

    class Meta(ClinicalRecord.Meta):
        constraints = [models.CheckConstraint(condition=Q(kg__gt=0), name="weight_positive")]

    def __str__(self) -> str:
        return f"{self.kg} kg on {self.date}"

    def summary(self) -> str:
        return f"Weight {self.kg:g} kg"


class ContraceptionMethod(models.TextChoices):
    IUD_COPPER = "iud_copper", "Copper IUD"
    IUD_HORMONAL = "iud_hormonal", "Hormonal IUD"
    IMPLANT = "implant", "Implant"
    TUBAL_LIGATION = "tubal_ligation", "Tubal ligation"
    PARTNER_VASECTOMY = "partner_vasectomy", "Partner's vasectomy"
    COMBINED_PILL = "combined_pill", "Combined pill"
    PROGESTIN_PILL = "progestin_pill", "Progestin-only pill"
    PATCH = "patch", "Patch"
    RING = "ring", "Vaginal ring"
    INJECTION = "injection", "Injection"
    MALE_CONDOM = "male_condom", "Male condom"
    DIAPHRAGM = "diaphragm", "Diaphragm"
    CERVICAL_CAP = "cervical_cap", "Cervical cap"
    ABSTINENCE = "abstinence", "Abstinence (committed)"


class ContraceptionKind(models.TextChoices):
    START = "start", event_label("contraception_start")
    ATTESTATION = "attestation", event_label("contraception_attestation")


class ContraceptionRecord(ClinicalRecord):
    kind = models.CharField(max_length=12, choices=ContraceptionKind.choices)
    methods = models.JSONField(
        default=list,
        help_text="Method codes. US CGP: at least two methods, unless abstinence.",
    )
    history = HistoricalRecords()
    record_type = "contraception"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date}"

    def method_labels(self) -> list[str]:
        labels = dict(ContraceptionMethod.choices)
        return [labels.get(code, code) for code in self.methods]

    def summary(self) -> str:
        return f"{self.get_kind_display()}: {', '.join(self.method_labels())}"


class TestResult(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"


class TestSetting(models.TextChoices):
    CLINIC = "clinic", "Clinic"
    LAB = "lab", "Laboratory"
    HOME = "home", "Home"
    REMOTE_SUPERVISED = "remote_supervised", "Remote, supervised"


class SpecimenType(models.TextChoices):
    URINE = "urine", "Urine hCG (qualitative)"
    SERUM = "serum", "Serum hCG"


class PregnancyTest(ClinicalRecord):
    result = models.CharField(max_length=8, choices=TestResult.choices)
    setting = models.CharField(max_length=20, choices=TestSetting.choices)
    specimen = models.CharField(max_length=8, choices=SpecimenType.choices, default="urine")
    source = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where an electronically received result came from (lab and message).",
    )
    history = HistoricalRecords()
    record_type = "pregnancy_test"

    def __str__(self) -> str:
        return f"Pregnancy test {self.result} on {self.date}"

    def summary(self) -> str:
        return f"Pregnancy test {self.get_result_display().lower()} ({self.get_setting_display()})"


class LabResult(ClinicalRecord):
    analyte = models.CharField(max_length=24, choices=analyte_choices)
    value = models.DecimalField(max_digits=9, decimal_places=3)
    unit = models.CharField(max_length=12)
    uln = models.DecimalField(
        "upper limit of normal",
        max_digits=9,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="As printed by the lab. Enzymes only; when empty a default ULN is assumed.",
    )
    canonical_value = models.DecimalField(max_digits=12, decimal_places=4)
    canonical_unit = models.CharField(max_length=12)
    loinc = models.CharField("LOINC code", max_length=12, blank=True)
    source = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where an electronically received result came from (lab and message).",
    )
    history = HistoricalRecords()
    record_type = "lab"

    class Meta(ClinicalRecord.Meta):
        indexes = [models.Index(fields=["course", "analyte", "date"])]
        constraints = [models.CheckConstraint(condition=Q(value__gte=0), name="lab_value_nonneg")]

    def __str__(self) -> str:
        return f"{self.get_analyte_display()} {self.value} {self.unit} on {self.date}"

    def summary(self) -> str:
        text = f"{self.get_analyte_display()} {self.value.normalize():f} {self.unit}"
        if self.unit != self.canonical_unit:
            text += f" (= {self.canonical_value:.0f} {self.canonical_unit})"
        return text


class Instrument(models.TextChoices):
    PHQ9 = "PHQ-9", "PHQ-9"
    PHQA = "PHQ-A", "PHQ-A (adolescents)"
    PHQ2 = "PHQ-2", "PHQ-2"
    GAD7 = "GAD-7", "GAD-7"


class MoodScreen(ClinicalRecord):
    instrument = models.CharField(max_length=6, choices=Instrument.choices)
    total = models.PositiveSmallIntegerField()
    item9 = models.PositiveSmallIntegerField(
        "item 9 (thoughts of self-harm)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(3)],
        help_text="PHQ-9 / PHQ-A only, 0–3. Any score above 0 needs a same-day review.",
    )
    history = HistoricalRecords()
    record_type = "mood_screen"

    def __str__(self) -> str:
        return f"{self.instrument} {self.total} on {self.date}"

    def summary(self) -> str:
        text = f"{self.instrument} total {self.total}"
        if self.item9 is not None:
            text += f", item 9 = {self.item9}"
        return text


class SexualFunctionReview(ClinicalRecord):
    concern = models.BooleanField("concern raised", default=False)
    history = HistoricalRecords()
    record_type = "sexual_function"

    def __str__(self) -> str:
        return f"Sexual function review on {self.date}"

    def summary(self) -> str:
        return "Sexual function review: " + ("concern raised" if self.concern else "no concern")


class ConfirmationKind(models.TextChoices):
    CONSENT = "consent", event_label("consent")
    RISK_ACKNOWLEDGEMENT = "risk_acknowledgement", event_label("risk_acknowledgement")
    SECOND_PRESCRIBER = "second_prescriber", event_label("second_prescriber")
    REMS_CONFIRMATION = "rems_confirmation", event_label("rems_confirmation")


class Confirmation(ClinicalRecord):
    kind = models.CharField(max_length=24, choices=ConfirmationKind.choices)
    history = HistoricalRecords()
    record_type = "confirmation"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date}"

    def summary(self) -> str:
        return self.get_kind_display()


class Prescription(ClinicalRecord):
    supply_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="The programme allows at most 30 days; more is flagged.",
    )
    mg_per_day = models.DecimalField(
        "dose (mg/day)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(200)],
    )
    history = HistoricalRecords()
    record_type = "prescription"

    def __str__(self) -> str:
        return f"Prescription on {self.date}"

    def summary(self) -> str:
        return f"Prescription for {self.supply_days} days"


class Dispense(ClinicalRecord):
    supply_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="The programme allows at most 30 days; more is flagged.",
    )
    history = HistoricalRecords()
    record_type = "dispense"

    def __str__(self) -> str:
        return f"Dispense on {self.date}"

    def summary(self) -> str:
        return f"Dispensed {self.supply_days} days' supply"


class HoldResolution(ClinicalRecord):
    """A clinician lifts the hold that a positive pregnancy test put on the course."""

    reason = models.CharField(max_length=300)
    history = HistoricalRecords()
    record_type = "hold_resolved"

    def __str__(self) -> str:
        return f"Hold resolved on {self.date}"

    def summary(self) -> str:
        return f"Hold resolved: {self.reason}"


class AlertSource(models.TextChoices):
    LAB = "lab", event_label("lab")
    PREGNANCY_TEST = "pregnancy_test", event_label("pregnancy_test")
    MOOD_SCREEN = "mood_screen", event_label("mood_screen")


class AlertReview(ClinicalRecord):
    """A clinician reviewed the open alert(s) of a source (and analyte or instrument)
    raised on or before this date. Reviewing never deletes the alert."""

    source = models.CharField(max_length=16, choices=AlertSource.choices)
    analyte = models.CharField(max_length=24, choices=analyte_choices, blank=True)
    instrument = models.CharField(max_length=6, choices=Instrument.choices, blank=True)
    history = HistoricalRecords()
    record_type = "alert_review"

    def __str__(self) -> str:
        return f"Alert review on {self.date}"

    def summary(self) -> str:
        target = self.get_analyte_display() or self.get_instrument_display() or ""
        return f"Alert reviewed: {self.get_source_display()} {target}".strip()


# Every dated clinical record type, in timeline order of display.
CLINICAL_RECORD_MODELS: tuple[type[ClinicalRecord], ...] = (
    Confirmation,
    ContraceptionRecord,
    PregnancyTest,
    LabResult,
    MoodScreen,
    SexualFunctionReview,
    DoseChange,
    WeightMeasurement,
    Prescription,
    Dispense,
    HoldResolution,
    AlertReview,
)
