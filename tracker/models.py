"""Monitoring domain: the rule set (data, effective-dated) and the stored state of each course.

The stored state is what dashboards filter on. It is recomputed by ``tracker.monitoring.store``
in the same transaction as every clinical write or correction, and nightly by
``refresh_monitoring``.
"""

from __future__ import annotations

import math
import secrets
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F
from django.utils.deconstruct import deconstructible
from simple_history.models import HistoricalRecords

from patients import access
from patients.models import ContraceptionMethod, Course
from patients.validation import validate_plausible_date
from tracker.engine.analytes import ANALYTES
from tracker.engine.rules import (
    CHECK_CODES,
    Comparison,
    DeadlineBasis,
    DueAnchor,
    Phase,
    RuleCategory,
    RuleSetError,
    Satisfier,
    load_ruleset,
)
from tracker.engine.rules import AlertSource as EngineAlertSource
from tracker.engine.vocabulary import (
    LEVEL_LABELS,
    RULE_GROUP_LABELS,
    STATUS_LABELS,
    RuleGroup,
    alert_subject,
    event_label,
    item_title,
)
from tracker.monitoring.rulesets import ruleset_data_with

STATUS_CHOICES = list(STATUS_LABELS.items())
LEVEL_CHOICES = list(LEVEL_LABELS.items())


class CourseMonitoring(models.Model):
    """One row per course: the course-level result of the last evaluation."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="monitoring")
    evaluated_on = models.DateField()
    ready_to_prescribe = models.BooleanField(default=False)
    unmet = models.JSONField(default=list)
    on_hold = models.BooleanField(default=False)
    flags = models.JSONField(default=list)
    derived = models.JSONField(default=dict)
    violations = models.JSONField(default=list)
    overdue_count = models.PositiveIntegerField(default=0)
    due_soon_count = models.PositiveIntegerField(default=0)
    open_alert_count = models.PositiveIntegerField(default=0)
    ruleset_revision = models.PositiveIntegerField(
        default=0, help_text="The revision of the rule set the evaluation used."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Monitoring of {self.course}"


class MonitoringItem(models.Model):
    """Stored status of one monitoring item (rule, or rule and analyte) of a course."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=40)  # e.g. "US-R1" or "US-L1:alt"
    rule_code = models.CharField(max_length=24)
    analyte = models.CharField(max_length=24, blank=True)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES)
    due_on = models.DateField(null=True, blank=True)
    satisfied_kind = models.CharField(max_length=40, blank=True)
    satisfied_id = models.BigIntegerField(null=True, blank=True)
    satisfied_on = models.DateField(null=True, blank=True)
    explanation = models.TextField(blank=True)
    gates_dispensing = models.BooleanField(default=False)
    evaluated_on = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["course", "code"], name="one_item_per_course_code")
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="item_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.status}"

    @property
    def satisfied_label(self) -> str:
        return event_label(self.satisfied_kind)

    @property
    def title(self) -> str:
        """The item's name, capitalised, with its analyte."""
        return item_title(self.name, self.analyte)


class MonitoringAlert(models.Model):
    """Stored alert opened by one lab result, mood screen or pregnancy test."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="alerts")
    key = models.CharField(max_length=80)  # stable: source + event id
    source = models.CharField(max_length=16)
    analyte = models.CharField(max_length=24, blank=True)
    instrument = models.CharField(max_length=6, blank=True)
    level = models.CharField(max_length=8, choices=LEVEL_CHOICES)
    event_id = models.BigIntegerField()
    event_date = models.DateField()
    conditions = models.JSONField(default=list)
    is_open = models.BooleanField(default=True)
    reviewed_on = models.DateField(null=True, blank=True)
    evaluated_on = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-event_date"]
        constraints = [
            models.UniqueConstraint(fields=["course", "key"], name="one_alert_per_course_key")
        ]
        indexes = [models.Index(fields=["is_open", "level"], name="alert_open_level_idx")]

    def __str__(self) -> str:
        return f"{self.level} alert: {self.subject}"

    @property
    def subject(self) -> str:
        return alert_subject(self.source, self.analyte, self.instrument)

    @property
    def source_label(self) -> str:
        return event_label(self.source)


# The rule set ---------------------------------------------------------------------------------
# Columns mirror the engine's dataclasses (tracker.engine.rules); tracker.rulesets turns rows
# into a RuleSet. Shipped defaults are loaded by a data migration from
# tracker/rules/default_rules.json. Clinic admins edit them in the Django admin.
#
# Every row is validated here, whatever edits it: each number has a plausible range (wide
# enough for any programme, narrow enough that no date the engine counts from it leaves the
# calendar), each code is one the engine knows, each JSON list has the shape the engine reads,
# and the whole rule set, with the row as edited, must load (``clean``). A refused row is not
# saved and the form says why.

MAX_OFFSET_DAYS = 730  # due offsets and acceptance windows, either side of their anchor
MAX_PERIOD_DAYS = 365  # intervals, lead and grace, windows and gaps of the checks
MAX_RETREATMENT_GAP_DAYS = 730
OFFSET_DAYS = [MinValueValidator(-MAX_OFFSET_DAYS), MaxValueValidator(MAX_OFFSET_DAYS)]
PERIOD_DAYS = [MinValueValidator(0), MaxValueValidator(MAX_PERIOD_DAYS)]


def enum_choices(enum) -> list[tuple[str, str]]:
    """Choices from one of the engine's vocabularies (a closed set of codes)."""
    return [(member.value, member.value.replace("_", " ")) for member in enum]


def validate_finite(value) -> None:
    if value is not None and not math.isfinite(value):
        raise ValidationError("Enter a number.", code="not_finite")


@deconstructible
class CodeListValidator:
    """A JSON list of known codes, each at most once (``required``: at least one)."""

    def __init__(self, codes, what: str, required: bool = False) -> None:
        self.codes = tuple(codes)
        self.what = what
        self.required = required

    def __call__(self, value) -> None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError(
                f'Enter a list of {self.what} codes, e.g. ["{self.codes[0]}"].', code="not_list"
            )
        unknown = [v for v in value if v not in self.codes]
        if unknown:
            raise ValidationError(
                f"Unknown {self.what}: {', '.join(map(repr, unknown))}. "
                f"Known: {', '.join(self.codes)}.",
                code="unknown_code",
            )
        if len(set(value)) != len(value):
            raise ValidationError(f"Each {self.what} once.", code="repeated_code")
        if self.required and not value:
            raise ValidationError(f"Enter at least one {self.what}.", code="empty")

    def __eq__(self, other) -> bool:
        return isinstance(other, CodeListValidator) and (
            self.codes,
            self.what,
            self.required,
        ) == (other.codes, other.what, other.required)


PREREQUISITE_KEYS = {"rule", "min_days", "waived_if_contraception_exempt"}


def validate_prerequisites(value) -> None:
    """``[{"rule": "US-B3", "min_days": 19, "waived_if_contraception_exempt": false}]``."""
    example = '[{"rule": "US-B3", "min_days": 19}]'
    if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
        raise ValidationError(f"Enter a list of prerequisites, e.g. {example}.")
    for p in value:
        if set(p) - PREREQUISITE_KEYS or not {"rule", "min_days"} <= set(p):
            raise ValidationError(
                f"Each prerequisite has rule and min_days (and may have "
                f"waived_if_contraception_exempt), e.g. {example}."
            )
        days = p["min_days"]
        if not isinstance(p["rule"], str) or not p["rule"]:
            raise ValidationError("A prerequisite names its rule by code.")
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_PERIOD_DAYS:
            raise ValidationError(
                f"A prerequisite's min_days is a whole number from 0 to {MAX_PERIOD_DAYS}."
            )
        if not isinstance(p.get("waived_if_contraception_exempt", False), bool):
            raise ValidationError("waived_if_contraception_exempt is true or false.")


def _in_order(errors: dict, low_field: str, high_field: str, low, high) -> None:
    if low is not None and high is not None and low > high:
        errors[high_field] = f"This is before (or less than) {low_field.replace('_', ' ')}."


def check_loads_with(row, errors: dict) -> None:
    """Refuse the row unless the whole rule set, with the row as edited, loads in the engine
    (every reference resolves, every lab rule lists its analytes, …).

    Skipped while a field of the row is itself invalid: that field's error says it first.
    """
    if errors:
        raise ValidationError(errors)
    try:
        row.clean_fields()
    except ValidationError:
        return
    try:
        load_ruleset(ruleset_data_with(row))
    except (RuleSetError, TypeError, ValueError, KeyError, OverflowError) as error:
        raise ValidationError(f"The rule set would not load with this row: {error}.") from None


class RuleSetRevision(models.Model):
    """The rule set's revision: one row. Its number is raised, and a new random token drawn, in
    the transaction of every save and every delete of a rule-set row, bulk ones included
    (``RuleSetRow``). Each process keeps the rule set it built under the token it read, so one
    cheap query says whether it is still current; the token, never the same twice, keeps a
    revision rolled back with its transaction from being taken for a later one with the same
    number. The number is what people see: "schedule revision 12"."""

    number = models.PositiveIntegerField(default=0)
    token = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Rule set revision {self.number}"


def bump_ruleset_revision(using: str = "default") -> None:
    """Raise the rule set's revision, in the current transaction."""
    token = secrets.randbits(62)
    rows = RuleSetRevision.objects.using(using).filter(pk=1)
    if not rows.update(number=F("number") + 1, token=token):
        RuleSetRevision.objects.using(using).create(pk=1, number=1, token=token)


# Set while a write of rule-set rows runs: the writes it makes itself (``bulk_update`` runs
# ``update``) raise the revision with it, once.
_writing_rules: ContextVar[bool] = ContextVar("writing_rules", default=False)


class RuleSetQuerySet(models.QuerySet):
    """Every bulk write of rule-set rows raises the rule set's revision, once, in its
    transaction."""

    def _bumped(self, write):
        if _writing_rules.get():
            return write()
        token = _writing_rules.set(True)
        try:
            with transaction.atomic(using=self.db):
                result = write()
                bump_ruleset_revision(self.db)
        finally:
            _writing_rules.reset(token)
        return result

    def update(self, **kwargs):
        return self._bumped(lambda: super(RuleSetQuerySet, self).update(**kwargs))

    def delete(self):
        return self._bumped(lambda: super(RuleSetQuerySet, self).delete())

    def bulk_create(self, objs, *args, **kwargs):
        return self._bumped(lambda: super(RuleSetQuerySet, self).bulk_create(objs, *args, **kwargs))

    def bulk_update(self, objs, fields, *args, **kwargs):
        return self._bumped(
            lambda: super(RuleSetQuerySet, self).bulk_update(objs, fields, *args, **kwargs)
        )


class RuleSetRow(models.Model):
    """A row of the rule set: saving or deleting it raises the rule set's revision, in the same
    transaction (as do the bulk writes of its manager, ``RuleSetQuerySet``)."""

    objects = RuleSetQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        type(self).objects.all()._bumped(lambda: super(RuleSetRow, self).save(*args, **kwargs))

    def delete(self, *args, **kwargs):
        return (
            type(self)
            .objects.all()
            ._bumped(lambda: super(RuleSetRow, self).delete(*args, **kwargs))
        )


class RuleProfile(models.TextChoices):
    US = "US", "US"
    UK = "UK", "UK"
    EU = "EU", "EU"


INSTRUMENTS = ("PHQ-9", "PHQ-A", "PHQ-2", "GAD-7")
TEST_SETTINGS = ("clinic", "lab", "home", "remote_supervised")


class MonitoringRule(RuleSetRow):
    code = models.CharField(max_length=24, help_text='Stable identifier, e.g. "US-R1".')
    profile = models.CharField(max_length=2, choices=RuleProfile.choices)
    name = models.CharField(max_length=200, help_text="Plain-language name of the item.")
    satisfier = models.CharField(
        max_length=32,
        choices=enum_choices(Satisfier),
        help_text="What kind of recorded event satisfies the rule.",
    )
    category = models.CharField(
        max_length=24,
        default="all",
        choices=enum_choices(RuleCategory),
        help_text="all, can_get_pregnant or cannot_get_pregnant.",
    )
    instruments = models.JSONField(
        default=list,
        blank=True,
        validators=[CodeListValidator(INSTRUMENTS, "instrument")],
        help_text="Mood instruments.",
    )
    analytes = models.JSONField(
        default=list,
        blank=True,
        validators=[CodeListValidator(tuple(ANALYTES), "analyte")],
        help_text="Lab analytes; each is its own item CODE:analyte.",
    )
    min_methods = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(4)],
        help_text="Contraception methods needed (abstinence always qualifies).",
    )
    excludes_contraception_exempt = models.BooleanField(default=False)
    max_age_at_start = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    start_from = models.DateField(
        null=True,
        blank=True,
        validators=[validate_plausible_date],
        help_text="Applies to courses from S.",
    )
    start_to = models.DateField(
        null=True,
        blank=True,
        validators=[validate_plausible_date],
        help_text="Applies to courses until S.",
    )
    effective_from = models.DateField(
        null=True,
        blank=True,
        validators=[validate_plausible_date],
        help_text="The rule applies on evaluation dates from this date.",
    )
    effective_to = models.DateField(
        null=True,
        blank=True,
        validators=[validate_plausible_date],
        help_text="The rule applies on evaluation dates until this date.",
    )
    phase = models.CharField(max_length=16, default="always", choices=enum_choices(Phase))
    due_anchor = models.CharField(max_length=24, default="start", choices=enum_choices(DueAnchor))
    due_offset = models.IntegerField(default=0, validators=OFFSET_DAYS)
    min_due_offset_from_start = models.IntegerField(null=True, blank=True, validators=OFFSET_DAYS)
    window_from = models.IntegerField(
        null=True,
        blank=True,
        validators=OFFSET_DAYS,
        help_text="Acceptance window start, days from the due date.",
    )
    window_to = models.IntegerField(
        null=True,
        blank=True,
        validators=OFFSET_DAYS,
        help_text="Acceptance window end, days from the due date.",
    )
    window_closes_at_end = models.BooleanField(default=False)
    not_applicable_if_end_before_window = models.BooleanField(default=False)
    interval = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PERIOD_DAYS)],
        help_text="Recurring items: days between due dates.",
    )
    anchor_min_offset_from_start = models.IntegerField(
        null=True, blank=True, validators=OFFSET_DAYS
    )
    stop_offset_from_end = models.IntegerField(null=True, blank=True, validators=OFFSET_DAYS)
    prerequisites = models.JSONField(default=list, blank=True, validators=[validate_prerequisites])
    requires_satisfied = models.CharField(max_length=24, blank=True)
    lead = models.PositiveSmallIntegerField(
        default=0, validators=PERIOD_DAYS, help_text="Due soon this many days before."
    )
    grace = models.PositiveSmallIntegerField(
        default=0, validators=PERIOD_DAYS, help_text="Overdue this many days after."
    )
    gates_dispensing = models.BooleanField(default=False)
    baseline = models.BooleanField(default=False)
    display_group = models.CharField(
        max_length=16,
        choices=[(group.value, label) for group, label in RULE_GROUP_LABELS.items()],
        default=RuleGroup.MONTHLY.value,
        help_text="Where its items are shown on the patient page and in the grid.",
    )
    active = models.BooleanField(default=True)
    source = models.TextField(blank=True, help_text="Citation of the programme material.")
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["profile", "code", "effective_from"]
        indexes = [models.Index(fields=["profile", "code"])]

    def __str__(self) -> str:
        return f"{self.code} ({self.profile}): {self.name}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        _in_order(errors, "start_from", "start_to", self.start_from, self.start_to)
        _in_order(errors, "effective_from", "effective_to", self.effective_from, self.effective_to)
        _in_order(errors, "window_from", "window_to", self.window_from, self.window_to)
        check_loads_with(self, errors)


class DispensingCheck(RuleSetRow):
    code = models.CharField(max_length=32, choices=[(c, c) for c in sorted(CHECK_CODES)])
    name = models.CharField(max_length=200)
    profiles = models.JSONField(
        default=list, validators=[CodeListValidator(RuleProfile.values, "profile", True)]
    )
    category = models.CharField(max_length=24, default="all", choices=enum_choices(RuleCategory))
    window_days = models.IntegerField(null=True, blank=True, validators=PERIOD_DAYS)
    max_supply_days = models.IntegerField(null=True, blank=True, validators=PERIOD_DAYS)
    min_gap_days = models.IntegerField(null=True, blank=True, validators=PERIOD_DAYS)
    legacy_before = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    first_dispense_settings = models.JSONField(
        default=list, blank=True, validators=[CodeListValidator(TEST_SETTINGS, "test setting")]
    )
    effective_from = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    effective_to = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    active = models.BooleanField(default=True)
    source = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        _in_order(errors, "effective_from", "effective_to", self.effective_from, self.effective_to)
        check_loads_with(self, errors)


class AlertThreshold(RuleSetRow):
    source = models.CharField(max_length=16, choices=enum_choices(EngineAlertSource))
    level = models.CharField(max_length=8, choices=LEVEL_CHOICES)
    comparison = models.CharField(max_length=12, choices=enum_choices(Comparison))
    value = models.FloatField(
        validators=[validate_finite, MinValueValidator(0), MaxValueValidator(100_000)]
    )
    analyte = models.CharField(
        max_length=24, blank=True, choices=[(code, a.label) for code, a in ANALYTES.items()]
    )
    instrument = models.CharField(
        max_length=6, blank=True, choices=[(code, code) for code in INSTRUMENTS]
    )
    label = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    citation = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["source", "analyte", "instrument", "value"]

    def __str__(self) -> str:
        return self.label or f"{self.source} {self.level} {self.comparison} {self.value}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.source == "lab" and not self.analyte:
            errors["analyte"] = "A lab threshold names its analyte."
        if self.source == "mood_screen" and not self.instrument:
            errors["instrument"] = "A mood threshold names its instrument."
        check_loads_with(self, errors)


class ProfileSetting(RuleSetRow):
    profile = models.CharField(max_length=2, choices=RuleProfile.choices, unique=True)
    pre_start_test_settings = models.JSONField(
        default=list, validators=[CodeListValidator(TEST_SETTINGS, "test setting")]
    )
    treatment_test_settings = models.JSONField(
        default=list, validators=[CodeListValidator(TEST_SETTINGS, "test setting")]
    )
    home_testing_test_settings = models.JSONField(
        default=list, validators=[CodeListValidator(TEST_SETTINGS, "test setting")]
    )
    ready_test_window_days = models.PositiveSmallIntegerField(validators=PERIOD_DAYS)
    first_dispense_deadline_basis = models.CharField(
        max_length=24, choices=enum_choices(DeadlineBasis)
    )
    first_dispense_deadline_days = models.PositiveSmallIntegerField(validators=PERIOD_DAYS)
    pre_start_test_rule = models.CharField(
        max_length=24, help_text="The rule whose test supports the first dispense."
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.profile} pregnancy-test settings"

    def clean(self) -> None:
        check_loads_with(self, {})


class RuleSetSetting(RuleSetRow):
    """The clinic-wide numbers of the rule set (one row)."""

    default_uln = models.FloatField(
        default=40.0, validators=[validate_finite, MinValueValidator(1), MaxValueValidator(1000)]
    )
    target_band_mg_per_kg = models.FloatField(
        default=120.0, validators=[validate_finite, MinValueValidator(30), MaxValueValidator(300)]
    )
    upper_limit_mg_per_kg = models.FloatField(
        default=150.0, validators=[validate_finite, MinValueValidator(30), MaxValueValidator(300)]
    )
    dose_band_low_mg_per_kg_day = models.FloatField(
        default=0.5, validators=[validate_finite, MinValueValidator(0.05), MaxValueValidator(5)]
    )
    dose_band_high_mg_per_kg_day = models.FloatField(
        default=1.0, validators=[validate_finite, MinValueValidator(0.05), MaxValueValidator(5)]
    )
    retreatment_gap_days = models.PositiveSmallIntegerField(
        default=56, validators=[MaxValueValidator(MAX_RETREATMENT_GAP_DAYS)]
    )
    single_method_contraception = models.JSONField(
        default=list,
        validators=[CodeListValidator(ContraceptionMethod.values, "contraception method")],
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return "Rule set settings"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        _in_order(
            errors,
            "target_band_mg_per_kg",
            "upper_limit_mg_per_kg",
            self.target_band_mg_per_kg,
            self.upper_limit_mg_per_kg,
        )
        _in_order(
            errors,
            "dose_band_low_mg_per_kg_day",
            "dose_band_high_mg_per_kg_day",
            self.dose_band_low_mg_per_kg_day,
            self.dose_band_high_mg_per_kg_day,
        )
        check_loads_with(self, errors)


# Review workflow and worklist ---------------------------------------------------------------


class ReviewActionKind(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", "Acknowledged"
    SNOOZE = "snooze", "Snoozed"
    WAIVE = "waive", "Waived for this course"
    OUTREACH = "outreach", "Outreach"


class OutreachMethod(models.TextChoices):
    CALLED = "called", "Called the patient"
    LEFT_MESSAGE = "left_message", "Left a message"
    EMAILED = "emailed", "Emailed"
    APPOINTMENT_BOOKED = "appointment_booked", "Appointment booked"


class ReviewAction(models.Model):
    """Something a person did about a monitoring item or alert. Append-only: never deleted."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="review_actions")
    key = models.CharField(max_length=80, help_text='Item code ("US-R1") or alert key.')
    target_kind = models.CharField(max_length=8)  # "item" | "alert"
    action = models.CharField(max_length=12, choices=ReviewActionKind.choices)
    note = models.TextField(blank=True)
    snoozed_until = models.DateField(null=True, blank=True)
    outreach_method = models.CharField(max_length=20, choices=OutreachMethod.choices, blank=True)
    status_at_action = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["course", "key"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.key}"


class StatusChange(models.Model):
    """History of an item's or alert's status, written whenever the stored status changes."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="status_changes")
    key = models.CharField(max_length=80)
    old_status = models.CharField(max_length=16, blank=True)
    new_status = models.CharField(max_length=16)
    on = models.DateField(help_text="Evaluation date of the change.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["course", "key"])]

    def __str__(self) -> str:
        return f"{self.key}: {self.old_status or '—'} → {self.new_status}"


def days_overdue(status: str, due_on, today) -> int | None:
    """Days past the due date of an overdue worklist entry (None for anything else)."""
    if status != "overdue" or due_on is None:
        return None
    return (today - due_on).days


class WorklistEntry(models.Model):
    """One actionable row of the clinic worklist: an overdue or due-soon item, or an open alert.

    Rebuilt for a course whenever its monitoring state is stored, so the worklist is one
    indexed query over one table.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="worklist_entries")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="worklist_entries"
    )
    key = models.CharField(max_length=80)
    kind = models.CharField(max_length=8)  # "item" | "alert"
    item_kind = models.CharField(max_length=32)  # contraception_attestation, lab, …
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    status = models.CharField(max_length=16)  # overdue | due_soon | open
    level = models.CharField(max_length=8, blank=True)  # alerts: info | high | critical
    priority = models.PositiveSmallIntegerField()  # 0 = most urgent
    due_on = models.DateField(null=True, blank=True)  # items: due date; alerts: result date
    responsible_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    profile = models.CharField(max_length=2)
    category = models.CharField(max_length=24, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    snoozed_until = models.DateField(null=True, blank=True)
    waived = models.BooleanField(default=False)
    last_outreach_at = models.DateTimeField(null=True, blank=True)
    last_outreach = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["priority", "due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "key"], name="one_entry_per_course_key")
        ]
        indexes = [
            models.Index(fields=["priority", "due_on"], name="worklist_order_idx"),
            models.Index(fields=["responsible_clinician", "priority", "due_on"]),
            models.Index(fields=["status", "priority", "due_on"]),
            # The worklist's counts by status and kind, read from the index alone.
            models.Index(
                fields=["status", "item_kind", "waived", "snoozed_until"],
                name="worklist_counts_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} {self.key} ({self.status})"

    def days_overdue(self, today) -> int | None:
        return days_overdue(self.status, self.due_on, today)

    def review_state(self, today=None) -> str:
        from django.utils import timezone

        today = today or timezone.localdate()
        if self.waived:
            return "waived"
        if self.snoozed_until and self.snoozed_until >= today:
            return f"snoozed until {self.snoozed_until.isoformat()}"
        if self.acknowledged_at:
            return "acknowledged"
        return "not reviewed"


class AccessKind(models.TextChoices):
    RECORD = access.RECORD, "Patient record"
    EXPORT = access.EXPORT, "Worklist export"
    LIST = access.LIST, "List of patients"


class AccessLog(models.Model):
    """Who looked at which patient's record, and when: every view of a record, every export of
    the worklist (a file of many patients' data, with its filters), and every refused attempt
    to open a page with patient data."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_log",
        help_text="The patient whose record was opened; empty for lists and exports.",
    )
    kind = models.CharField(max_length=8, choices=AccessKind.choices, default=AccessKind.RECORD)
    refused = models.BooleanField(default=False, help_text="The user's role did not allow it.")
    rows = models.PositiveIntegerField(null=True, blank=True, help_text="Rows exported.")
    at = models.DateTimeField(auto_now_add=True)
    path = models.CharField(max_length=300)
    method = models.CharField(max_length=8)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-at"], name="access_patient_idx"),
            models.Index(fields=["user", "-at"], name="access_user_idx"),
        ]

    def __str__(self) -> str:
        what = self.patient_id if self.patient_id is not None else self.get_kind_display()
        verb = "was refused" if self.refused else "viewed"
        return f"{self.user_id} {verb} {what} at {self.at:%Y-%m-%d %H:%M}"


class DigestSent(models.Model):
    """One clinician's digest of one day. The unique pair makes the daily run safe on several
    app servers at once: only the run that records the row sends the email."""

    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    items = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinician", "day"], name="one_digest_a_day")
        ]

    def __str__(self) -> str:
        return f"Digest for {self.clinician_id} on {self.day}"
