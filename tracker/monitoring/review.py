"""Review actions on a course's monitored items and alerts: acknowledge (an alert: review it),
snooze, waive, and log outreach to the patient. Append-only; each re-evaluates the course once
(``patients.reevaluation``), so the worklist shows the action at once.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients.models import Course
from patients.reevaluation import batch, course_changed
from patients.services import alert_review_record
from patients.validation import FieldErrors
from tracker.models import (
    MonitoringAlert,
    MonitoringItem,
    OutreachMethod,
    ReviewAction,
    ReviewActionKind,
)

MAX_SNOOZE_DAYS = 30


def _require_note(errors: FieldErrors, field: str, text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        errors.add(field, message)
    return text


def _action_target(course: Course, key: str) -> tuple[str, str]:
    """("item" or "alert", current status) of a stored item or alert, or a clear error."""
    item = MonitoringItem.objects.filter(course=course, code=key).first()
    if item is not None:
        return "item", item.status
    alert = MonitoringAlert.objects.filter(course=course, key=key).first()
    if alert is not None:
        return "alert", "open" if alert.is_open else "reviewed"
    raise ValidationError(f"Nothing called {key} is monitored on this course.")


def _record_action(
    course: Course,
    key: str,
    action: str,
    *,
    by,
    today: date,
    items_only: bool = False,
    **fields,
) -> ReviewAction:
    """Store one review action on a monitored item or alert, then re-evaluate the course."""
    target_kind, status = _action_target(course, key)
    if items_only and target_kind != "item":
        verb = ReviewActionKind(action).label.lower()
        raise ValidationError(f"An alert cannot be {verb}: review it instead.")
    record = ReviewAction.objects.create(
        course=course,
        key=key,
        target_kind=target_kind,
        action=action,
        status_at_action=status,
        created_by=by,
        **fields,
    )
    course_changed(course, today=today)
    return record


@transaction.atomic
@batch()
def review_acknowledge(
    *, course: Course, key: str, note: str, by, today: date | None = None
) -> ReviewAction:
    """A clinician acknowledges an item, or reviews an alert (which closes it), with a note."""
    today = today or timezone.localdate()
    errors = FieldErrors()
    note = _require_note(errors, "note", note, "Write what was decided.")
    errors.raise_if_any()
    # The action first, so it records the status the clinician saw (an alert still open).
    action = _record_action(
        course, key, ReviewActionKind.ACKNOWLEDGE, by=by, today=today, note=note
    )
    alert = MonitoringAlert.objects.filter(course=course, key=key).first()
    if alert is not None:
        alert_review_record(
            course=course,
            date=max(today, alert.event_date),
            source=alert.source,
            analyte=alert.analyte,
            instrument=alert.instrument,
            note=note,
            by=by,
            today=max(today, alert.event_date),
        )
    return action


@transaction.atomic
@batch()
def review_snooze(
    *, course: Course, key: str, until: date | None, reason: str, by, today: date | None = None
) -> ReviewAction:
    """Hide an item from the worklist until a date (at most 30 days); it comes back at once
    if its status worsens. Alerts cannot be snoozed: they are reviewed."""
    today = today or timezone.localdate()
    errors = FieldErrors()
    reason = _require_note(errors, "reason", reason, "Give the reason for snoozing.")
    if until is None:
        errors.add("until", "Choose the date the item comes back.")
    elif until <= today:
        errors.add("until", "Snooze until a date after today.")
    elif (until - today).days > MAX_SNOOZE_DAYS:
        errors.add("until", f"An item can be snoozed for at most {MAX_SNOOZE_DAYS} days.")
    errors.raise_if_any()
    return _record_action(
        course,
        key,
        ReviewActionKind.SNOOZE,
        by=by,
        today=today,
        items_only=True,
        note=reason,
        snoozed_until=until,
    )


@transaction.atomic
@batch()
def review_waive(
    *, course: Course, key: str, reason: str, by, today: date | None = None
) -> ReviewAction:
    """Waive an item for this course: it leaves the worklist. Readiness to prescribe is still
    decided by the monitoring rules alone, so a waiver never makes a course "ready"."""
    today = today or timezone.localdate()
    errors = FieldErrors()
    reason = _require_note(errors, "reason", reason, "Give the clinical reason for the waiver.")
    errors.raise_if_any()
    return _record_action(
        course, key, ReviewActionKind.WAIVE, by=by, today=today, items_only=True, note=reason
    )


@transaction.atomic
@batch()
def outreach_record(
    *, course: Course, key: str, method: str, note: str, by, today: date | None = None
) -> ReviewAction:
    """Clinic staff log contact with the patient about an item or alert."""
    today = today or timezone.localdate()
    errors = FieldErrors()
    if method not in OutreachMethod.values:
        errors.add("method", "Choose how the patient was contacted.")
    errors.raise_if_any()
    return _record_action(
        course,
        key,
        ReviewActionKind.OUTREACH,
        by=by,
        today=today,
        outreach_method=method,
        note=(note or "").strip(),
    )
