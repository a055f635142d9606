"""Who must give a second factor (a code from an authenticator app, or a recovery code), and
whether this session has given it.

- Required of superusers and of those who manage accounts (clinic admins) always, and of
  everyone when ``TWO_FACTOR_REQUIRED_FOR_ALL`` is on. Anyone may set it up; once set up, it
  is asked for at every login.
- In development only (``DEBUG``), the demo logins of ``seed_demo`` are not required to set it
  up (``TWO_FACTOR_DEMO_EXEMPT``, always empty when ``DEBUG`` is off).
- A session is verified when django-otp's ``login`` has stored the device that gave the code
  (``DEVICE_ID_SESSION_KEY``); a password login always starts unverified.

What the session needs is worked out at login and again at most once a minute
(``SESSION_TOUCH_SECONDS``), so a page costs no query for it; a role given in the meantime
asks for the second factor within that minute.
"""

from __future__ import annotations

import time
from base64 import b32encode
from binascii import unhexlify
from collections.abc import Callable
from dataclasses import dataclass

import segno
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

MANAGE_USERS = "accounts.manage_users"
# Where the session keeps what it needs: {"required": bool, "device": bool, "at": seconds}.
SESSION_STATE = "_isotrack_two_factor"
# The secret of an authenticator being set up, until the user proves it with a code.
SESSION_PENDING_KEY = "_isotrack_two_factor_pending_key"


def two_factor_exempt(view: Callable) -> Callable:
    """Mark a view that a logged-in user may reach before giving the second factor (the
    set-up and verification pages themselves, logging out)."""
    view.two_factor_exempt = True
    return view


def required_of(user: User) -> bool:
    """Whether ``user`` must have a second factor (whether or not they have one yet)."""
    if settings.DEBUG and user.get_username() in settings.TWO_FACTOR_DEMO_EXEMPT:
        return False
    return bool(
        settings.TWO_FACTOR_REQUIRED_FOR_ALL or user.is_superuser or user.has_perm(MANAGE_USERS)
    )


def has_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@dataclass(frozen=True)
class State:
    required: bool
    device: bool
    verified: bool

    @property
    def pending(self) -> bool:
        """The user must give (or first set up) a second factor before anything else."""
        return (self.required or self.device) and not self.verified


def state(request: HttpRequest, *, fresh: bool = False) -> State:
    """This session's two-factor state, kept in the session and read again when older than
    ``SESSION_TOUCH_SECONDS`` (or ``fresh``)."""
    session, user = request.session, request.user
    kept = session.get(SESSION_STATE)
    now = int(time.time())
    stale = (
        fresh
        or not isinstance(kept, dict)
        or not isinstance(kept.get("at"), int)
        or not 0 <= now - kept["at"] < settings.SESSION_TOUCH_SECONDS
    )
    if stale:
        kept = session[SESSION_STATE] = _read(user)
    return State(
        required=bool(kept["required"]),
        device=bool(kept["device"]),
        verified=bool(session.get(DEVICE_ID_SESSION_KEY)),
    )


def mark_verified(request: HttpRequest, device) -> None:
    """The user has just given a code from ``device``: the session is verified from now on,
    under a new session key."""
    otp_login(request, device)
    request.session.cycle_key()
    state(request, fresh=True)


def _read(user: User) -> dict:
    return {"required": required_of(user), "device": has_device(user), "at": int(time.time())}


def forget_verification_at_login(sender, request, user, **kwargs) -> None:
    """A password login starts unverified, whatever the session held before, with what the
    user needs read now (the session is saved at login anyway)."""
    session = getattr(request, "session", None)
    if session is not None:
        for key in (DEVICE_ID_SESSION_KEY, SESSION_PENDING_KEY):
            session.pop(key, None)
        session[SESSION_STATE] = _read(user)


# Setting up an authenticator app ------------------------------------------------------------------


def pending_key(request: HttpRequest) -> str:
    """The secret offered to the user on the set-up page, the same until they prove it."""
    key = request.session.get(SESSION_PENDING_KEY)
    if not isinstance(key, str) or len(key) != 40:
        key = random_hex(20)
        request.session[SESSION_PENDING_KEY] = key
    return key


def code_step(key: str, code: str) -> int | None:
    """The time step at which ``code`` is the current code of the secret ``key`` (one step of
    clock drift allowed either way, as TOTPDevice allows), else None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = TOTP(unhexlify(key.encode()), step=30, t0=0, digits=6, drift=0)
    totp.time = time.time()
    return totp.t() if totp.verify(int(code), tolerance=1) else None


def authenticator_uri(user: User, key: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return TOTPDevice(user=user, key=key, name="Authenticator app").config_url


def qr_code_data_uri(uri: str) -> str:
    """The QR code as an SVG ``data:`` URI, for an <img> (the CSP allows ``img-src data:``;
    no script, no inline style)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


def secret_in_groups(key: str) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    text = b32encode(unhexlify(key.encode())).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
