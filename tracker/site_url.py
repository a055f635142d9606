"""The site's public address, for links in emails (digests, password-reset links).

A request knows its own host; an email sent by a nightly command or to another person does
not, so it uses ``SITE_URL``. With ``DJANGO_DEBUG`` off it must be set to the address users
reach, never a loopback one: ``manage.py check --deploy`` reports it (tracker/config/checks.py), and
nothing is emailed without it.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_SITE_URL = "http://127.0.0.1:8000"


def _loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def site_url_problem(value: str | None = None, *, production: bool | None = None) -> str | None:
    """What is wrong with ``SITE_URL`` (``value``), or None. Any http(s) address will do in
    development; in production it must be set and must not be a loopback address."""
    value = settings.SITE_URL if value is None else value
    production = (not settings.DEBUG and not settings.TESTING) if production is None else production
    if not value:
        if production:
            return "SITE_URL must be set when DJANGO_DEBUG is off: emailed links use it."
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if parts is None or parts.scheme not in ("http", "https") or not host:
        return (
            "SITE_URL must be an http(s) address such as https://isotrack.clinic.example, "
            f"not {value!r}."
        )
    if production and _loopback(host):
        return (
            f"SITE_URL is a loopback address ({value}): emailed links would point at the "
            "reader's own computer. Set it to the address users reach."
        )
    return None


def site_url() -> str:
    """``SITE_URL`` without a trailing slash (the development address when unset in
    development); ImproperlyConfigured when it cannot be used."""
    problem = site_url_problem()
    if problem:
        raise ImproperlyConfigured(problem)
    return (settings.SITE_URL or DEVELOPMENT_SITE_URL).rstrip("/")
