"""Reads for the account pages: users with their role, two-factor and lockout state, and the
account log."""

from __future__ import annotations

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.roles import ROLES
from tracker.accounts.models import AccountEvent


def users(q: str = "") -> QuerySet[User]:
    """Every account, by username, with its role groups and whether it has two-factor sign-in;
    ``q`` matches the username or a name (each word)."""
    result = (
        User.objects.order_by("username")
        .prefetch_related(
            Prefetch("groups", queryset=Group.objects.filter(name__in=ROLES).order_by("name"))
        )
        .annotate(two_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
    )
    for word in q.split():
        result = result.filter(
            Q(username__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
        )
    return result


def locked_out(usernames: list[str]) -> set[str]:
    """Which of ``usernames`` are locked out of logging in now, from at least one address."""
    attempts = AccessAttempt.objects.filter(
        username__in=usernames, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    )
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return set(attempts.values_list("username", flat=True))


def failed_logins(user: User) -> int:
    """Failed logins of this username still counted (from every address)."""
    return AccessAttempt.objects.filter(username=user.get_username()).count()


def account_events(*, username: str = "") -> QuerySet[AccountEvent]:
    """The account log, newest first; ``username``: events by or to that user."""
    events = AccountEvent.objects.select_related("actor", "subject")
    if username:
        events = events.filter(
            Q(actor__username__iexact=username) | Q(subject__username__iexact=username)
        )
    return events
