"""The address a request came from, behind a known number of trusted proxies."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, unless ``TRUSTED_PROXY_COUNT`` proxies are
    configured in front of the app.

    Each proxy appends the address it received the request from to ``X-Forwarded-For``, so
    with N trusted proxies the client is the N-th address from the right; whatever a client
    wrote into the header itself stands further left and is ignored. With no trusted proxy
    (the default) the header is never read: anyone can send it. A header with fewer addresses
    than configured proxies, or one that is not an address, falls back to ``REMOTE_ADDR``.

    Used for the login lockout (``AXES_CLIENT_IP_CALLABLE``) and the account audit log.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if len(hops) >= count:
            forwarded = _address(hops[-count])
            if forwarded is not None:
                return forwarded
    return _address(remote) if remote else None
