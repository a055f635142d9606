"""Reads for monitoring pages: the stored state of courses and the rule set in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from patients.models import Course
from tracker.engine.rules import RuleSet, describe_rule
from tracker.engine.vocabulary import RULE_GROUP_LABELS, flag_label
from tracker.models import (
    CourseMonitoring,
    MonitoringAlert,
    MonitoringItem,
    WorklistEntry,
    days_overdue,
)
from tracker.monitoring.rulesets import current_ruleset
from tracker.web.links import RowLinks, shorten

STATUS_ORDER = {
    "overdue": 0,
    "due_soon": 1,
    "upcoming": 2,
    "satisfied": 3,
    "closed": 4,
    "not_applicable": 5,
}


def course_summary(course: Course, *, today: date | None = None) -> CourseMonitoring | None:
    """The course's stored monitoring summary, re-evaluated first when it is not for today."""
    from tracker.monitoring.store import course_refresh

    today = today or timezone.localdate()
    summary = CourseMonitoring.objects.filter(course=course).first()
    if summary is None or summary.evaluated_on != today:
        course_refresh(course, today=today)
        summary = CourseMonitoring.objects.filter(course=course).first()
    return summary


def course_monitoring_context(
    course: Course, *, today: date | None = None, ruleset: RuleSet | None = None
) -> dict:
    """Everything the monitoring panel of a patient page shows for one course."""
    today = today or timezone.localdate()
    ruleset = ruleset or current_ruleset()
    summary = course_summary(course, today=today)
    items = sorted(
        MonitoringItem.objects.filter(course=course),
        key=lambda i: (STATUS_ORDER.get(i.status, 9), i.due_on or date.max, i.code),
    )
    profile = course.patient.profile
    groups = [
        {
            "key": str(group),
            "label": label,
            "items": [i for i in items if ruleset.display_group(profile, i.rule_code) == group],
        }
        for group, label in RULE_GROUP_LABELS.items()
    ]
    alerts = list(MonitoringAlert.objects.filter(course=course).order_by("-event_date", "-pk"))
    derived = summary.derived if summary else {}
    last_day = derived.get("last_dispense_day")
    flags = summary.flags if summary else []
    return {
        "course": course,
        "today": today,
        "summary": summary,
        "groups": [g for g in groups if g["items"]],
        "items": items,
        "alerts": alerts,
        "open_alerts": [a for a in alerts if a.is_open],
        "derived": derived,
        "target": float(course.target_mg_per_kg),
        "cumulative": derived.get("cumulative_mg_per_kg"),
        "last_dispense_passed": bool(last_day) and date.fromisoformat(last_day) < today,
        "history": course_review_history(course),
        "flags": [(code, flag_label(code, ruleset.settings)) for code in flags],
    }


def schedule_rows(profile: str) -> dict:
    """The rules, dispensing checks and alert thresholds of a profile, stated in plain words."""
    ruleset = current_ruleset()
    rules = sorted(ruleset.rules_for(profile), key=lambda r: (r.code, r.effective_from or date.min))
    return {
        "rules": [{"rule": r, "text": describe_rule(r), "active": r.active} for r in rules],
        "checks": ruleset.checks_for(profile),
        "thresholds": [t for t in ruleset.thresholds if t.active],
        "ruleset_settings": ruleset.settings,
    }


WORKLIST_DETAIL_CHARS = 140


def worklist_entries():
    """The worklist's base queryset (whole entries, with patient and clinician: the CSV)."""
    return WorklistEntry.objects.select_related("patient", "responsible_clinician")


@dataclass(slots=True)
class RowPerson:
    """What a worklist row shows of a patient or of a responsible clinician."""

    mrn: str = ""
    given_name: str = ""
    family_name: str = ""
    username: str = ""

    def get_full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(slots=True)
class WorklistRow:
    """One row of a worklist page: read as plain values, not as model instances (fifty on
    every request), with its links, short detail and days overdue."""

    pk: int
    course_id: int
    patient_id: int
    key: str
    kind: str
    item_kind: str
    title: str
    detail: str
    status: str
    level: str
    priority: int
    due_on: date | None
    profile: str
    category: str
    acknowledged_at: datetime | None
    snoozed_until: date | None
    waived: bool
    last_outreach_at: datetime | None
    last_outreach: str
    patient: RowPerson
    responsible_clinician: RowPerson | None
    days: int | None = None
    patient_url: str = ""
    review_url: str = ""
    detail_short: str = ""


# A row's own columns (named as WorklistRow's fields), then its patient's and clinician's.
_OWN_FIELDS = (
    "pk", "course_id", "patient_id", "key", "kind", "item_kind", "title", "detail", "status",
    "level", "priority", "due_on", "profile", "category", "acknowledged_at", "snoozed_until",
    "waived", "last_outreach_at", "last_outreach",
)  # fmt: skip
_ROW_FIELDS = (
    *_OWN_FIELDS,
    "patient__mrn",
    "patient__given_name",
    "patient__family_name",
    "responsible_clinician_id",
    "responsible_clinician__username",
    "responsible_clinician__first_name",
    "responsible_clinician__last_name",
)


def _row(values: tuple, today: date, links: RowLinks) -> WorklistRow:
    own = dict(zip(_OWN_FIELDS, values, strict=False))
    mrn, given, family, clinician_id, username, first, last = values[len(_OWN_FIELDS) :]
    row = WorklistRow(
        **own,
        patient=RowPerson(mrn=mrn, given_name=given, family_name=family),
        responsible_clinician=None
        if clinician_id is None
        else RowPerson(username=username, given_name=first, family_name=last),
    )
    row.days = days_overdue(row.status, row.due_on, today)
    row.patient_url = links.patient(row.patient_id)
    row.review_url = links.review(row.course_id, row.key)
    row.detail_short = shorten(row.detail, WORKLIST_DETAIL_CHARS)
    return row


def worklist_counts(today: date) -> dict:
    """Visible worklist entries by status and by item kind (read from one index)."""
    from django.db.models import Count

    from tracker.web.filters import KIND_CHOICES, visible_entries

    rows = (
        visible_entries(WorklistEntry.objects.all(), today)
        .order_by()
        .values("status", "item_kind")
        .annotate(n=Count("*"))
    )
    by_status = {"overdue": 0, "due_soon": 0, "open": 0}
    by_kind: dict[str, int] = {}
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        by_kind[row["item_kind"]] = by_kind.get(row["item_kind"], 0) + row["n"]
    labels = dict(KIND_CHOICES)
    kinds = sorted(by_kind.items(), key=lambda kv: -kv[1])
    return {
        "status": by_status,
        "kind": [(labels.get(k, k), n) for k, n in kinds],
        "total": sum(by_status.values()),
    }


def worklist_row_values(filterset):
    """The filtered worklist as tuples of what a row shows (the rows query of the page)."""
    return filterset.qs.values_list(*_ROW_FIELDS)


def worklist_page(filterset, number, *, size: int, total: int | None = None):
    """One page of the filtered worklist as ``WorklistRow``s, in one query.

    ``total``, when the caller already knows the number of rows, saves counting them again.
    """
    from django.core.paginator import Paginator

    paginator = Paginator(worklist_row_values(filterset), size)
    if total is not None:
        paginator.count = total
    page = paginator.get_page(number)
    links = RowLinks()
    page.object_list = [_row(values, filterset.today, links) for values in page.object_list]
    return page


def review_context(course: Course, key: str) -> dict:
    """One item or alert of a course with its history of status changes and actions."""
    from django.http import Http404

    from tracker.models import ReviewAction, StatusChange, WorklistEntry

    item = MonitoringItem.objects.filter(course=course, code=key).first()
    alert = None if item else MonitoringAlert.objects.filter(course=course, key=key).first()
    if item is None and alert is None:
        raise Http404("Nothing with that code is monitored on this course.")
    history = sorted(
        [
            *(
                {
                    "when": a.created_at,
                    "who": a.created_by,
                    "what": a.get_action_display(),
                    "note": a.note,
                    "action": a,
                }
                for a in ReviewAction.objects.filter(course=course, key=key).select_related(
                    "created_by"
                )
            ),
            *(
                {
                    "when": c.created_at,
                    "who": None,
                    "what": f"Status {c.old_status or 'new'} → {c.new_status} (as of {c.on})",
                    "note": "",
                    "action": None,
                }
                for c in StatusChange.objects.filter(course=course, key=key)
            ),
        ],
        key=lambda row: row["when"],
        reverse=True,
    )
    return {
        "course": course,
        "patient": course.patient,
        "key": key,
        "item": item,
        "alert": alert,
        "entry": WorklistEntry.objects.filter(course=course, key=key).first(),
        "history": history,
    }


def course_review_history(course: Course, limit: int = 50) -> list[dict]:
    """Recent status changes and review actions of every item and alert of a course."""
    from tracker.models import ReviewAction, StatusChange

    actions = [
        {
            "when": a.created_at,
            "key": a.key,
            "who": a.created_by,
            "what": a.get_action_display()
            + (f" until {a.snoozed_until}" if a.snoozed_until else ""),
            "note": a.note,
        }
        for a in ReviewAction.objects.filter(course=course)
        .select_related("created_by")
        .order_by("-created_at")[:limit]
    ]
    changes = [
        {
            "when": c.created_at,
            "key": c.key,
            "who": None,
            "what": f"{c.old_status or 'new'} → {c.new_status} (as of {c.on})",
            "note": "",
        }
        for c in StatusChange.objects.filter(course=course).order_by("-created_at")[:limit]
    ]
    return sorted(actions + changes, key=lambda r: r["when"], reverse=True)[:limit]
