"""The clinician digest: an email to each clinician listing their patients' overdue monitoring
items and open alerts, read from the stored worklist (run it after ``refresh_monitoring``).

Entries snoozed on the digest date or waived are left out; a clinician with nothing to act on
gets no email.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, mailers
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from patients.roles import CLINICIAN
from tracker.models import DigestSent, WorklistEntry
from tracker.site_url import site_url


@dataclass
class PatientGroup:
    patient: object
    url: str
    overdue: list[WorklistEntry] = field(default_factory=list)
    alerts: list[WorklistEntry] = field(default_factory=list)


@dataclass
class Digest:
    clinician: object
    as_of: date
    patients: list[PatientGroup]

    @property
    def overdue_count(self) -> int:
        return sum(len(p.overdue) for p in self.patients)

    @property
    def alert_count(self) -> int:
        return sum(len(p.alerts) for p in self.patients)

    @property
    def item_count(self) -> int:
        return self.overdue_count + self.alert_count


@dataclass(frozen=True)
class DigestResult:
    digests: int
    clinicians: int
    items: int

    def __str__(self) -> str:
        return (
            f"Sent {self.digests} digest{'s' if self.digests != 1 else ''} to {self.clinicians} "
            f"clinician{'s' if self.clinicians != 1 else ''}, {self.items} "
            f"item{'s' if self.items != 1 else ''}"
        )


def digest_clinicians():
    """Active users in the Clinician group who have an email address."""
    return (
        get_user_model()
        .objects.filter(groups__name=CLINICIAN, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .distinct()
    )


def actionable_entries(as_of: date):
    """Overdue items and open alerts of patients with a responsible clinician; snoozed (on
    ``as_of``) and waived entries are left out."""
    return (
        WorklistEntry.objects.select_related("patient", "course")
        .filter(responsible_clinician__isnull=False, waived=False)
        .filter(Q(kind="item", status="overdue") | Q(kind="alert", status="open"))
        .exclude(snoozed_until__gte=as_of)
        .order_by("patient__family_name", "patient__given_name", "patient_id", "priority", "due_on")
    )


def build_digests(as_of: date) -> list[Digest]:
    """One digest per clinician with something to act on, in a fixed number of queries."""
    clinicians = {user.pk: user for user in digest_clinicians()}
    by_clinician: dict[int, dict[int, PatientGroup]] = defaultdict(dict)
    base = site_url()
    for entry in actionable_entries(as_of).filter(responsible_clinician_id__in=list(clinicians)):
        groups = by_clinician[entry.responsible_clinician_id]
        group = groups.get(entry.patient_id)
        if group is None:
            path = reverse("patients:detail", args=[entry.patient_id])
            group = groups[entry.patient_id] = PatientGroup(
                patient=entry.patient, url=f"{base}{path}?course={entry.course_id}"
            )
        entry.days = entry.days_overdue(as_of)
        (group.alerts if entry.kind == "alert" else group.overdue).append(entry)
    return [
        Digest(clinician=clinicians[pk], as_of=as_of, patients=list(groups.values()))
        for pk, groups in sorted(by_clinician.items())
    ]


def digest_message(digest: Digest) -> EmailMultiAlternatives:
    context = {"digest": digest, "site_url": site_url(), "worklist_url": site_url() + "/"}
    subject = (
        f"isotrack: {digest.overdue_count} overdue, {digest.alert_count} open "
        f"alert{'s' if digest.alert_count != 1 else ''} for your patients "
        f"({digest.as_of:%-d %b %Y})"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("tracker/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.clinician.email],
    )
    message.attach_alternative(render_to_string("tracker/email/digest.html", context), "text/html")
    return message


def _claim(digest: Digest, as_of: date) -> bool:
    """Record that this run sends the clinician's digest of the day; False when another run
    (on this or another app server) already did."""
    _, created = DigestSent.objects.get_or_create(
        clinician=digest.clinician, day=as_of, defaults={"items": digest.item_count}
    )
    return created


def send_digests(
    *, as_of: date | None = None, dry_run: bool = False, force: bool = False
) -> DigestResult:
    """Email every clinician their digest (``dry_run``: build them, send nothing).

    Each clinician gets at most one digest a day, however many servers run the command at
    the same time (``force`` sends again).
    """
    as_of = as_of or timezone.localdate()
    digests = build_digests(as_of)
    if not dry_run:
        if force:
            DigestSent.objects.filter(day=as_of).delete()
        digests = [d for d in digests if _claim(d, as_of)]
        if digests:
            try:
                mailers.default.send_messages([digest_message(d) for d in digests])
            except Exception:
                # Nothing was sent: release the claims so that the next run tries again.
                DigestSent.objects.filter(
                    day=as_of, clinician__in=[d.clinician for d in digests]
                ).delete()
                raise
    return DigestResult(
        digests=len(digests),
        clinicians=len({d.clinician.pk for d in digests}),
        items=sum(d.item_count for d in digests),
    )
