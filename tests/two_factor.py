"""Two-factor sign-in in tests: an authenticator with a known secret, its codes, and a session
marked as having given one."""

from __future__ import annotations

import time
from binascii import unhexlify

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker.accounts import two_factor

KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, hex


def code(key: str = KEY, *, at: float | None = None) -> str:
    """The authenticator app's code for ``key`` at ``at`` (now)."""
    totp = TOTP(unhexlify(key.encode()), step=30, t0=0, digits=6, drift=0)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def authenticator(user, key: str = KEY) -> TOTPDevice:
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, defaults={"name": "Test authenticator", "key": key, "confirmed": True}
    )
    return device


def verify_session(client, user) -> None:
    """Mark the client's session as having given the second factor, when the user needs one."""
    if not (two_factor.required_of(user) or two_factor.has_device(user)):
        return
    device = authenticator(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.pop(two_factor.SESSION_STATE, None)
    session.save()
