"""Log-in throttling, session lifetime and password rules."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
CLINIC_IP = "192.0.2.10"  # documentation range: only a header value in these tests
HOME_IP = "198.51.100.7"


def attempt(client: Client, username: str, password: str, ip: str):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def fail_until_locked(username: str, ip: str) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), username, "wrong password", ip)


def test_a_correct_login_reaches_the_worklist(alice):
    response = attempt(Client(), "alice", PASSWORD, CLINIC_IP)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_repeated_failures_lock_that_user_at_that_address(alice):
    fail_until_locked("alice", CLINIC_IP)
    response = attempt(Client(), "alice", PASSWORD, CLINIC_IP)
    assert response.status_code in (403, 429)
    assert "Too many failed log-in attempts" in response.content.decode()


def test_a_colleague_behind_the_same_address_can_still_log_in(alice, bob):
    fail_until_locked("alice", CLINIC_IP)
    assert attempt(Client(), "bob", PASSWORD, CLINIC_IP).status_code == 302


def test_the_same_user_from_another_address_can_still_log_in(alice):
    fail_until_locked("alice", CLINIC_IP)
    assert attempt(Client(), "alice", PASSWORD, HOME_IP).status_code == 302


def test_the_session_ends_after_idle_time_and_with_the_browser(alice):
    client = Client()
    attempt(client, "alice", PASSWORD, CLINIC_IP)
    assert client.session.get_expiry_age() == 30 * 60
    assert client.session.get_expire_at_browser_close()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"]  # a browser-session cookie
    assert cookie["httponly"]


@contextlib.contextmanager
def clock(at: datetime):
    """Both clocks a session lives by (Django's and the idle-time middleware's) set to ``at``."""
    with (
        mock.patch.object(timezone, "now", return_value=at),
        mock.patch("tracker.web.middleware.time.time", return_value=at.timestamp()),
    ):
        yield


def test_idle_time_counts_from_the_last_request(alice):
    client = Client()
    attempt(client, "alice", PASSWORD, CLINIC_IP)
    key = client.session.session_key
    logged_in = timezone.now()
    at_login = Session.objects.get(pk=key).expire_date

    with clock(logged_in + timedelta(seconds=20)):
        assert client.get(reverse("home")).status_code == 200
    # Within a minute of the last save the session is not written again.
    assert Session.objects.get(pk=key).expire_date == at_login

    with clock(logged_in + timedelta(minutes=20)):
        assert client.get(reverse("home")).status_code == 200
    # Later, the request pushes the end of the session on.
    pushed = Session.objects.get(pk=key).expire_date
    assert pushed >= at_login + timedelta(minutes=19)

    # 25 minutes after that request (45 after log-in) the session is still alive...
    with clock(logged_in + timedelta(minutes=45)):
        assert client.get(reverse("home")).status_code == 200
    # ...and 31 minutes after the last request it is over.
    with clock(logged_in + timedelta(minutes=45 + 31)):
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_idle_timeout_is_never_longer_than_configured(alice):
    client = Client()
    attempt(client, "alice", PASSWORD, CLINIC_IP)
    key = client.session.session_key
    logged_in = timezone.now()
    with clock(logged_in + timedelta(seconds=59)):
        assert client.get(reverse("home")).status_code == 200
    # The request 59 s after log-in did not extend the session: it ends 30 minutes after
    # log-in, earlier than 30 minutes after that request, never later.
    expires = Session.objects.get(pk=key).expire_date
    assert expires <= logged_in + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)


def test_a_weak_new_password_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "password1", "new_password2": "password1"},
    )
    assert response.status_code == 200
    assert "too common" in response.content.decode() or "too short" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_every_form_carries_a_csrf_token(client, alice):
    client.force_login(alice)
    response = client.get(reverse("patients:create"))
    assert "csrfmiddlewaretoken" in response.content.decode()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(reverse("patients:create"), {}).status_code == 403


def nav_badge(html: str) -> str:
    return re.search(r'<span class="badge rounded-pill[^"]*">([^<]*)</span>', html).group(1)


def test_the_navigation_shows_the_users_roles_and_the_access_log_to_admins_only(client, bob, carol):
    client.force_login(carol)
    html = client.get(reverse("home")).text
    assert nav_badge(html) == "Clinic admin"
    assert f'href="{reverse("tracker:access_log")}"' in html
    client.force_login(bob)
    html = client.get(reverse("home")).text
    assert nav_badge(html) == "Clinic staff"
    assert f'href="{reverse("tracker:access_log")}"' not in html


def test_a_role_taken_away_closes_the_page_at_once_and_leaves_the_navigation_within_a_minute(
    carol,
):
    client = Client()
    client.force_login(carol)
    logged_in = timezone.now()
    carol.groups.clear()
    # The navigation may show the link until the session is next saved, but permission is
    # checked on every request: the page itself is refused at once.
    assert client.get(reverse("tracker:access_log")).status_code == 403
    with clock(logged_in + timedelta(seconds=61)):
        client.get(reverse("home"))  # the session is saved again, with the new facts
        html = client.get(reverse("home")).text
    assert f'href="{reverse("tracker:access_log")}"' not in html
    assert nav_badge(html) == "No role"
