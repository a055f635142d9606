"""Monitoring domain: the rule set (data, effective-dated) and the stored state of each course.

The stored state is what dashboards filter on. It is recomputed by ``tracker.services`` in the
same transaction as every clinical write or correction, and nightly by ``refresh_monitoring``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from patients.models import Course


class ItemStatus(models.TextChoices):
    SATISFIED = "satisfied", "Satisfied"
    UPCOMING = "upcoming", "Upcoming"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    CLOSED = "closed", "Closed"


class AlertLevel(models.TextChoices):
    INFO = "info", "Info"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


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
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Monitoring of {self.course}"


EVENT_KIND_LABELS = {
    "consent": "Consent",
    "risk_acknowledgement": "Risk acknowledgement",
    "second_prescriber": "Second prescriber",
    "rems_confirmation": "Programme confirmation",
    "contraception_start": "Contraception start",
    "contraception_attestation": "Attestation",
    "pregnancy_test": "Pregnancy test",
    "lab": "Lab result",
    "mood_screen": "Mood screen",
    "sexual_function": "Sexual function review",
}


class MonitoringItem(models.Model):
    """Stored status of one monitoring item (rule, or rule and analyte) of a course."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=40)  # e.g. "US-R1" or "US-L1:alt"
    rule_code = models.CharField(max_length=24)
    analyte = models.CharField(max_length=24, blank=True)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=ItemStatus.choices)
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
        return EVENT_KIND_LABELS.get(self.satisfied_kind, self.satisfied_kind.replace("_", " "))

    @property
    def title(self) -> str:
        """The item's name, capitalised, with its analyte."""
        return self.name[:1].upper() + self.name[1:]


class MonitoringAlert(models.Model):
    """Stored alert opened by one lab result, mood screen or pregnancy test."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="alerts")
    key = models.CharField(max_length=80)  # stable: source + event id
    source = models.CharField(max_length=16)
    analyte = models.CharField(max_length=24, blank=True)
    instrument = models.CharField(max_length=6, blank=True)
    level = models.CharField(max_length=8, choices=AlertLevel.choices)
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
        return f"{self.level} alert: {self.source} {self.analyte or self.instrument}"


# The rule set ---------------------------------------------------------------------------------
# Columns mirror the engine's dataclasses (tracker.engine.rules); tracker.rulesets turns rows
# into a RuleSet. Shipped defaults are loaded by a data migration from
# tracker/rules/default_rules.json. Clinic admins edit them in the Django admin.


class RuleProfile(models.TextChoices):
    US = "US", "US"
    UK = "UK", "UK"
    EU = "EU", "EU"


class MonitoringRule(models.Model):
    code = models.CharField(max_length=24, help_text='Stable identifier, e.g. "US-R1".')
    profile = models.CharField(max_length=2, choices=RuleProfile.choices)
    name = models.CharField(max_length=200, help_text="Plain-language name of the item.")
    satisfier = models.CharField(
        max_length=32, help_text="What kind of recorded event satisfies the rule."
    )
    category = models.CharField(
        max_length=24,
        default="all",
        help_text="all, can_get_pregnant or cannot_get_pregnant.",
    )
    instruments = models.JSONField(default=list, blank=True, help_text="Mood instruments.")
    analytes = models.JSONField(
        default=list, blank=True, help_text="Lab analytes; each is its own item CODE:analyte."
    )
    min_methods = models.PositiveSmallIntegerField(
        default=0, help_text="Contraception methods needed (abstinence always qualifies)."
    )
    excludes_contraception_exempt = models.BooleanField(default=False)
    max_age_at_start = models.PositiveSmallIntegerField(null=True, blank=True)
    start_from = models.DateField(null=True, blank=True, help_text="Applies to courses from S.")
    start_to = models.DateField(null=True, blank=True, help_text="Applies to courses until S.")
    effective_from = models.DateField(
        null=True, blank=True, help_text="The rule applies on evaluation dates from this date."
    )
    effective_to = models.DateField(
        null=True, blank=True, help_text="The rule applies on evaluation dates until this date."
    )
    phase = models.CharField(max_length=16, default="always")
    due_anchor = models.CharField(max_length=24, default="start")
    due_offset = models.IntegerField(default=0)
    min_due_offset_from_start = models.IntegerField(null=True, blank=True)
    window_from = models.IntegerField(
        null=True, blank=True, help_text="Acceptance window start, days from the due date."
    )
    window_to = models.IntegerField(
        null=True, blank=True, help_text="Acceptance window end, days from the due date."
    )
    window_closes_at_end = models.BooleanField(default=False)
    not_applicable_if_end_before_window = models.BooleanField(default=False)
    interval = models.PositiveIntegerField(
        null=True, blank=True, help_text="Recurring items: days between due dates."
    )
    anchor_min_offset_from_start = models.IntegerField(null=True, blank=True)
    stop_offset_from_end = models.IntegerField(null=True, blank=True)
    prerequisites = models.JSONField(default=list, blank=True)
    requires_satisfied = models.CharField(max_length=24, blank=True)
    lead = models.PositiveSmallIntegerField(default=0, help_text="Due soon this many days before.")
    grace = models.PositiveSmallIntegerField(default=0, help_text="Overdue this many days after.")
    gates_dispensing = models.BooleanField(default=False)
    baseline = models.BooleanField(default=False)
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


class DispensingCheck(models.Model):
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    profiles = models.JSONField(default=list)
    category = models.CharField(max_length=24, default="all")
    window_days = models.IntegerField(null=True, blank=True)
    max_supply_days = models.IntegerField(null=True, blank=True)
    min_gap_days = models.IntegerField(null=True, blank=True)
    legacy_before = models.DateField(null=True, blank=True)
    first_dispense_settings = models.JSONField(default=list, blank=True)
    effective_from = models.DateField(null=True, blank=True)
    effective_to = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    source = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"


class AlertThreshold(models.Model):
    source = models.CharField(max_length=16)
    level = models.CharField(max_length=8, choices=AlertLevel.choices)
    comparison = models.CharField(max_length=12)
    value = models.FloatField()
    analyte = models.CharField(max_length=24, blank=True)
    instrument = models.CharField(max_length=6, blank=True)
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


class ProfileSetting(models.Model):
    profile = models.CharField(max_length=2, choices=RuleProfile.choices, unique=True)
    pre_start_test_settings = models.JSONField(default=list)
    treatment_test_settings = models.JSONField(default=list)
    home_testing_test_settings = models.JSONField(default=list)
    ready_test_window_days = models.PositiveSmallIntegerField()
    first_dispense_deadline_basis = models.CharField(max_length=24)
    first_dispense_deadline_days = models.PositiveSmallIntegerField()
    pre_start_test_rule = models.CharField(
        max_length=24, help_text="The rule whose test supports the first dispense."
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.profile} pregnancy-test settings"


class RuleSetSetting(models.Model):
    """The clinic-wide numbers of the rule set (one row)."""

    default_uln = models.FloatField(default=40.0)
    target_band_mg_per_kg = models.FloatField(default=120.0)
    upper_limit_mg_per_kg = models.FloatField(default=150.0)
    dose_band_low_mg_per_kg_day = models.FloatField(default=0.5)
    dose_band_high_mg_per_kg_day = models.FloatField(default=1.0)
    retreatment_gap_days = models.PositiveSmallIntegerField(default=56)
    single_method_contraception = models.JSONField(default=list)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return "Rule set settings"


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


class WorklistRevision(models.Model):
    """A token that changes with every committed change to what the worklist shows: its rows,
    patients' names and MRNs, clinicians' names, and who is a clinician; and to who may see it
    at all (permissions, superuser status).

    Database triggers write it (migrations 0010, 0011 and 0012: on the worklist table, and on
    the patient, user, group, group-membership and permission tables), inside the transaction
    of the change, so
    it is committed, or rolled back, with it and no code path can forget it. What is derived
    from those tables, such as the counts at the top of the worklist or a whole worklist page,
    can then be kept and reused for as long as the token is the same. A token is never reused:
    PostgreSQL draws it from a sequence, SQLite at random from 63 bits. Each PostgreSQL
    connection writes one of a few slots (its process id modulo 16), so that parallel writers,
    such as the nightly refresh in several processes, seldom wait for one another.
    """

    slot = models.PositiveSmallIntegerField(primary_key=True)
    token = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.slot}: {self.token}"


class AccessLog(models.Model):
    """Who looked at which patient's record, and when. Written for every view of a record."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="access_log"
    )
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
        return f"{self.user_id} viewed {self.patient_id} at {self.at:%Y-%m-%d %H:%M}"


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
