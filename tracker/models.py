"""Monitoring domain: the rule set (data, effective-dated) and the stored state of each course.

The stored state is what dashboards filter on. It is recomputed by ``tracker.services`` in the
same transaction as every clinical write or correction, and nightly by ``refresh_monitoring``.
"""

from __future__ import annotations

from django.db import models

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
