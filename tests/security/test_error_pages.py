"""Error pages carry the same security headers as every other page: a server error, the page
shown while the database is down, and the 400, 403 and 404 pages."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

HSTS_SECONDS = 31_536_000


@pytest.fixture(autouse=True)
def production_headers(settings):
    # Production sends HSTS over HTTPS (tests run with it off); every request here is HTTPS.
    settings.SECURE_HSTS_SECONDS = HSTS_SECONDS


def assert_security_headers(response) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy, policy
    assert "frame-ancestors 'none'" in policy, policy
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("X-Frame-Options") == "DENY"
    assert headers.get("Referrer-Policy") == "same-origin"
    assert headers.get("Strict-Transport-Security", "").startswith(f"max-age={HSTS_SECONDS}")
    assert "no-store" in headers.get("Cache-Control", "")


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)  # a server error is answered, not raised
    client.force_login(user)
    return client


def test_a_normal_page_carries_them(alice):
    response = signed_in(alice).get(reverse("home"), secure=True)
    assert response.status_code == 200
    assert_security_headers(response)


def test_a_server_error_carries_them(alice, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("tracker.web.views.worklist_counts", broken)
    response = signed_in(alice).get(reverse("home"), secure=True)
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert_security_headers(response)


@pytest.mark.parametrize("url_name", ["home", "patients:list", "tracker:worklist_csv"])
def test_the_page_shown_while_the_database_is_down_carries_them(alice, monkeypatch, url_name):
    client = signed_in(alice)  # signed in while the database was up: the session is stored

    def database_down(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(connection, "ensure_connection", database_down)
    response = client.get(reverse(url_name), secure=True)
    monkeypatch.undo()
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert_security_headers(response)


def test_a_bad_request_carries_them(alice):
    response = signed_in(alice).get(reverse("patients:list") + "?q=%00", secure=True)
    assert response.status_code == 400
    assert_security_headers(response)


def test_a_refusal_and_a_missing_page_carry_them(bob):
    client = signed_in(bob)
    patient = PatientFactory()
    refused = client.get(reverse("patients:edit", args=[patient.pk]), secure=True)
    missing = client.get(reverse("patients:detail", args=[999999]), secure=True)
    assert (refused.status_code, missing.status_code) == (403, 404)
    assert_security_headers(refused)
    assert_security_headers(missing)
