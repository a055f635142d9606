"""Every change to a user account, each written to the account log in the same transaction.

Clinic admins (``accounts.manage_users``) create accounts with exactly one of the three roles,
change a role, deactivate and reactivate, send a password-reset link, lift a login lockout and
reset someone's two-factor sign-in. They never set a password, never grant superuser or staff
status or single permissions, never act on a superuser, and never change their own role or
deactivate themselves. Each refusal is a ValidationError that names the field, and changes
nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.roles import ROLES
from tracker.accounts.models import AccountEvent
from tracker.site_url import site_url

log = logging.getLogger(__name__)

MANAGE_USERS = "accounts.manage_users"
RECOVERY_CODE_COUNT = 10
Action = AccountEvent.Action


def _event(*, by: User, user: User, action: str, detail: str = "", address: str | None = None):
    event = AccountEvent(
        actor=by, subject=user, action=action, detail=detail[:300], address=address or None
    )
    event.full_clean()
    event.save()
    return event


def _may_manage(by: User) -> None:
    if not by.has_perm(MANAGE_USERS):
        raise PermissionDenied("Only clinic admins manage accounts.")


def _managed(by: User, user: User, *, own: str | None = None) -> None:
    """Refuse superusers, and (with ``own``, the message) the acting user's own account."""
    _may_manage(by)
    if user.is_superuser:
        raise ValidationError(
            "A superuser's account is managed by a superuser in the Django admin, not here."
        )
    if own is not None and user.pk == by.pk:
        raise ValidationError(own)


def user_role(user: User) -> str | None:
    """The user's role, or None; several roles (given by a superuser) read "A, B"."""
    names = sorted(g.name for g in user.groups.all() if g.name in ROLES)
    return ", ".join(names) or None


def _role_group(role: str) -> Group:
    if role not in ROLES:
        raise ValidationError({"role": f"Choose one of: {', '.join(ROLES)}."})
    return Group.objects.get(name=role)


# Accounts ---------------------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    by: User,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    address: str | None = None,
) -> User:
    """A new account with one role and no password, and an emailed link to set one."""
    _may_manage(by)
    group = _role_group(role)
    email = email.strip()
    if not email:
        raise ValidationError({"email": "An email address is needed to send the password link."})
    if User.objects.filter(username__iexact=username).exists():
        # "Alice" beside "alice" would let one pass for the other in every log.
        raise ValidationError({"username": "A user with that username already exists."})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "Another account already uses this email address."})
    if not first_name.strip() or not last_name.strip():
        raise ValidationError(
            {
                name: "Enter the name."
                for name, value in (("first_name", first_name), ("last_name", last_name))
                if not value.strip()
            }
        )
    user = User(
        username=username,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        is_staff=False,
        is_superuser=False,
        is_active=True,
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    user.groups.add(group)
    _event(by=by, user=user, action=Action.CREATED, detail=f"Role: {role}", address=address)
    _send_reset_link(by=by, user=user, address=address)
    return user


@transaction.atomic
def user_change_role(*, by: User, user: User, role: str, address: str | None = None) -> None:
    """Replace the user's role (all three role groups) with exactly ``role``."""
    _managed(by, user, own="You cannot change your own role.")
    group = _role_group(role)
    before = user_role(user)
    if before == role:
        raise ValidationError({"role": f"{user.get_username()} already has this role."})
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    user.groups.add(group)
    _event(
        by=by,
        user=user,
        action=Action.ROLE_CHANGED,
        detail=f"{before or 'No role'} → {role}",
        address=address,
    )


@transaction.atomic
def user_deactivate(*, by: User, user: User, address: str | None = None) -> None:
    """The user can no longer log in; an open session ends with its next request."""
    _managed(by, user, own="You cannot deactivate your own account.")
    if not user.is_active:
        raise ValidationError(f"{user.get_username()} is already deactivated.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    _event(by=by, user=user, action=Action.DEACTIVATED, address=address)


@transaction.atomic
def user_reactivate(*, by: User, user: User, address: str | None = None) -> None:
    _managed(by, user)
    if user.is_active:
        raise ValidationError(f"{user.get_username()} is already active.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    _event(by=by, user=user, action=Action.REACTIVATED, address=address)


# Password-reset links -------------------------------------------------------------------------


def password_reset_url(user: User) -> str:
    """The emailed link: valid for PASSWORD_RESET_TIMEOUT, once, and no longer once the password
    or the email address changes (Django's token generator)."""
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return site_url() + path


def _send_reset_link(*, by: User, user: User, address: str | None) -> None:
    try:
        link = password_reset_url(user)
    except ImproperlyConfigured as error:
        raise ValidationError(f"No email was sent: {error}") from error
    context = {
        "user": user,
        "link": link,
        "valid_for": timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
        "clinic_name": settings.CLINIC_NAME,
    }
    message = EmailMessage(
        subject=f"{settings.CLINIC_NAME}: set your isotrack password",
        body=render_to_string("accounts/email/password_reset.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    _event(by=by, user=user, action=Action.RESET_SENT, detail=f"To {user.email}", address=address)
    try:
        mailers.default.send_messages([message])
    except Exception as error:  # SMTP, DNS, refused connection: nothing is recorded
        log.exception("The password-reset email to user %s could not be sent", user.pk)
        raise ValidationError(
            "The email could not be sent; nothing was changed. Try again later."
        ) from error


@transaction.atomic
def password_reset_send(*, by: User, user: User, address: str | None = None) -> None:
    """Email the user a link to set their own password. The admin never sees or sets it."""
    _managed(by, user)
    if not user.is_active:
        raise ValidationError("Reactivate the account before sending a password link.")
    if not user.email:
        raise ValidationError("This account has no email address to send the link to.")
    _send_reset_link(by=by, user=user, address=address)


@transaction.atomic
def password_set_from_link(*, user: User, password: str, address: str | None = None) -> None:
    """The user sets their password from a reset link (the view has checked the token)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    _event(by=user, user=user, action=Action.PASSWORD_SET, address=address)


# Lockouts -----------------------------------------------------------------------------------


@transaction.atomic
def lockout_lift(*, by: User, user: User, address: str | None = None) -> int:
    """Forget the failed logins of this username, from every address; returns how many
    address records were removed."""
    _managed(by, user)
    removed = axes_reset(username=user.get_username())
    if not removed:
        raise ValidationError(f"{user.get_username()} has no failed logins to forget.")
    _event(
        by=by,
        user=user,
        action=Action.LOCKOUT_LIFTED,
        detail=f"Failed logins forgotten from {removed} address{'es' if removed != 1 else ''}",
        address=address,
    )
    return removed


# Two-factor sign-in ------------------------------------------------------------------------------


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def two_factor_enable(
    *, user: User, key: str, token_step: int, address: str | None = None
) -> tuple[TOTPDevice, list[str]]:
    """Keep the authenticator app the user has just proved (``token_step``: the time step of
    the code it gave, so that code cannot be used again), with fresh recovery codes."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError("Two-factor sign-in is already set up for this account.")
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice(
        user=user, name="Authenticator app", key=key, confirmed=True, last_t=token_step
    )
    device.full_clean()
    device.save()
    codes = _new_recovery_codes(user)
    _event(by=user, user=user, action=Action.TWO_FACTOR_SET_UP, address=address)
    return device, codes


@transaction.atomic
def recovery_codes_renew(*, user: User, address: str | None = None) -> list[str]:
    """New recovery codes; the old ones stop working."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError("Set up two-factor sign-in first.")
    codes = _new_recovery_codes(user)
    _event(by=user, user=user, action=Action.RECOVERY_CODES_RENEWED, address=address)
    return codes


def recovery_code_used(*, user: User, remaining: int, address: str | None = None) -> None:
    _event(
        by=user,
        user=user,
        action=Action.RECOVERY_CODE_USED,
        detail=f"{remaining} code{'s' if remaining != 1 else ''} left",
        address=address,
    )


@transaction.atomic
def two_factor_reset(*, by: User, user: User, address: str | None = None) -> None:
    """Remove the user's authenticator and recovery codes (a lost phone). If two-factor
    sign-in is required of them, they set it up again at their next login."""
    _managed(by, user, own="Reset your own two-factor sign-in with another clinic admin.")
    removed = TOTPDevice.objects.filter(user=user).count()
    removed += StaticDevice.objects.filter(user=user).count()
    if not removed:
        raise ValidationError(f"{user.get_username()} has not set up two-factor sign-in.")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _event(by=by, user=user, action=Action.TWO_FACTOR_RESET, address=address)


# The Django admin (superusers) ------------------------------------------------------------------


def admin_change_record(*, by: User, user: User, message: str) -> None:
    """A superuser's change to a user in the Django admin, as the admin describes it."""
    _event(by=by, user=user, action=Action.CHANGED_IN_ADMIN, detail=message)
