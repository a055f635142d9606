"""The client's address behind a trusted proxy, and the login lockout keyed by it.

Behind a reverse proxy every request comes from the proxy's address. Keyed by username and
that address, the lockout lets anyone lock any known user out; keyed by a header the client
writes itself, it lets an attacker try passwords without end. So X-Forwarded-For is read only
with TRUSTED_PROXY_COUNT set, counting that many addresses from the right.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django.urls import reverse

from tracker.accounts.client_ip import client_ip

PROXY = "10.0.0.2"
ATTACKER = "203.0.113.66"
CLINIC = "198.51.100.7"
PASSWORD = "correct horse battery"


def request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, None, PROXY),
        (0, "192.0.2.1", PROXY),  # no trusted proxy: the header is anyone's to write
        (1, CLINIC, CLINIC),
        (1, f"192.0.2.1, {CLINIC}", CLINIC),  # the client's own entry stands further left
        (2, f"192.0.2.1, {CLINIC}, 10.0.0.1", CLINIC),
        (2, CLINIC, PROXY),  # fewer addresses than proxies: not through them all
        (1, "not-an-address", PROXY),
        (1, "", PROXY),
        (1, " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_the_client_is_read_from_the_header_only_behind_trusted_proxies(
    settings, count, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(request(PROXY, forwarded)) == expected


def attempt(username: str, password: str, forwarded: str):
    return Client().post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_header_does_not_change_the_lockout_key(settings, alice):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        attempt("alice", "wrong password", f"192.0.2.{n + 1}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}
    # Another forged address does not get the attacker another try.
    assert attempt("alice", PASSWORD, "192.0.2.200").status_code == 429


@pytest.mark.django_db
def test_behind_one_trusted_proxy_the_lockout_is_keyed_by_the_client_address(settings, alice):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        attempt("alice", "wrong password", ATTACKER)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert attempt("alice", PASSWORD, ATTACKER).status_code == 429
    # Alice, from the clinic, through the same proxy, is not locked out by the attacker.
    assert attempt("alice", PASSWORD, CLINIC).status_code == 302
