"""Reads for the queue pages."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from patients.models import Patient
from tracker.interop.models import InboundMessage, InboundResult, MessageStatus, ResultState

PATIENT_SEARCH_LIMIT = 20


def queued_results(*, reason: str = "", sender: str = "", q: str = "") -> QuerySet:
    """Results waiting for staff, newest first, with their message."""
    results = InboundResult.objects.filter(state=ResultState.QUEUED).select_related("message")
    if reason:
        results = results.filter(queue_reason=reason)
    if sender:
        results = results.filter(message__sender=sender)
    if q:
        results = results.filter(
            Q(message__patient_family_name__icontains=q)
            | Q(message__patient_given_name__icontains=q)
            | Q(message__patient_identifiers__icontains=q)
            | Q(code__icontains=q)
            | Q(code_text__icontains=q)
        )
    return results.order_by("-pk")


UNREADABLE_SHOWN = 10


def unreadable_messages() -> tuple[int, list[InboundMessage]]:
    """Messages stored but not read (answered AE): how many, and the latest."""
    messages = InboundMessage.objects.filter(status=MessageStatus.UNPROCESSABLE)
    latest = messages.order_by("-pk").only(
        "sender", "control_id", "received_at", "error", "transport"
    )[:UNREADABLE_SHOWN]
    return messages.count(), list(latest)


def queue_senders() -> list[str]:
    """The labs that have sent messages (for the filter)."""
    return list(
        InboundMessage.objects.order_by("sender").values_list("sender", flat=True).distinct()
    )


def queue_item(pk: int) -> InboundResult:
    return InboundResult.objects.select_related(
        "message", "message__patient", "message__matched_by", "resolved_by", "supersedes"
    ).get(pk=pk)


def message_results(message: InboundMessage) -> list[InboundResult]:
    return list(message.results.order_by("sequence"))


def patient_candidates(q: str) -> list[Patient]:
    """Patients whose MRN or name contains every word of ``q`` (to match a result to)."""
    condition = Q()
    for term in q.split():
        condition &= (
            Q(mrn__icontains=term) | Q(given_name__icontains=term) | Q(family_name__icontains=term)
        )
    return list(Patient.objects.filter(condition)[:PATIENT_SEARCH_LIMIT])
