"""Two-factor sign-in: set up with an authenticator app, asked for after the password, recovery
codes that work once; required of clinic admins, of everyone with the clinic setting, and of
nobody among the demo logins in development."""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PatientFactory
from tests.two_factor import authenticator, code
from tracker.accounts.models import AccountEvent
from tracker.models import AccessLog

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
SETUP = reverse("accounts:two_factor_setup")
VERIFY = reverse("accounts:two_factor_verify")


def password_login(username: str) -> Client:
    """A browser that has given the password only."""
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def secret_on(page) -> str:
    """The hex key behind the secret the set-up page shows for typing by hand."""
    text = re.search(r"data-secret>([A-Z2-7 ]+)<", page.text).group(1).replace(" ", "")
    return b32decode(text).hex()


def test_a_clinic_admin_sets_up_two_factor_and_uses_it_then_a_recovery_code_once(carol):
    browser = password_login("carol")
    # Before anything else: set it up.
    response = browser.get(reverse("accounts:user_list"))
    assert response["Location"] == f"{SETUP}?next=%2Fusers%2F"
    setup = browser.get(response["Location"])
    assert 'src="data:image/svg+xml' in setup.text  # the QR code, within the strict CSP
    key = secret_on(setup)
    shown = browser.post(SETUP, {"code": code(key), "next": "/users/"})
    assert shown.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown.text)
    assert len(codes) == 10
    assert browser.get(reverse("accounts:user_list")).status_code == 200
    assert AccountEvent.objects.filter(
        subject=carol, action=AccountEvent.Action.TWO_FACTOR_SET_UP
    ).exists()
    # The recovery codes are never shown again.
    overview = browser.get(reverse("accounts:two_factor")).text
    assert codes[0] not in overview
    assert "Recovery codes left: <strong>10</strong>" in overview

    # The next login asks for a code after the password (the app's next one: the code given
    # at set-up is spent).
    browser = password_login("carol")
    assert browser.get("/users/")["Location"] == f"{VERIFY}?next=%2Fusers%2F"
    passed = browser.post(VERIFY, {"code": code(key, at=time.time() + 30), "next": "/users/"})
    assert passed["Location"] == "/users/"
    assert browser.get("/users/").status_code == 200

    # Without the phone: a recovery code, once.
    browser = password_login("carol")
    used = browser.post(VERIFY, {"code": codes[3].upper(), "next": "/"}, follow=True)
    assert used.status_code == 200
    assert "9 left" in used.text
    assert AccountEvent.objects.filter(action=AccountEvent.Action.RECOVERY_CODE_USED).count() == 1
    browser = password_login("carol")
    again = browser.post(VERIFY, {"code": codes[3], "next": "/"})
    assert again.status_code == 200
    assert "not valid" in again.text
    assert browser.get("/users/")["Location"].startswith(VERIFY)


def test_until_the_code_is_given_no_page_is_served_or_logged(carol, alice):
    carol.groups.add(*alice.groups.all())  # also a clinician: may see patients
    authenticator(carol)
    patient = PatientFactory()
    browser = password_login("carol")
    for url in (
        reverse("home"),
        reverse("patients:detail", args=[patient.pk]),
        reverse("accounts:user_list"),
        reverse("admin:index"),
        reverse("tracker:access_log"),
        reverse("password_change"),
        reverse("accounts:two_factor"),
    ):
        response = browser.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(VERIFY), url
    assert browser.post(reverse("accounts:user_create"), {})["Location"] == VERIFY
    assert not AccessLog.objects.exists()
    # Logging out is always possible.
    assert browser.post(reverse("logout"))["Location"] == reverse("login")


def test_a_clinician_needs_no_second_factor_by_default(alice):
    assert password_login("alice").get(reverse("home")).status_code == 200


def test_the_clinic_setting_requires_it_of_everyone(settings, alice):
    settings.TWO_FACTOR_REQUIRED_FOR_ALL = True
    response = password_login("alice").get(reverse("home"))
    assert response["Location"].startswith(SETUP)


def test_anyone_who_set_it_up_is_asked_for_it(alice):
    authenticator(alice)
    assert password_login("alice").get(reverse("home"))["Location"].startswith(VERIFY)


@pytest.mark.parametrize(("debug", "asked"), [(True, False), (False, True)])
def test_the_demo_admin_needs_no_second_factor_in_development_only(settings, debug, asked):
    from tests import factories

    settings.DEBUG = debug
    settings.TWO_FACTOR_DEMO_EXEMPT = ("clinician", "staff", "admin")  # as DEBUG=1 sets it
    factories.clinic_admin(username="admin", password=PASSWORD)
    response = password_login("admin").get(reverse("home"))
    assert (response.status_code == 302) is asked


def test_new_recovery_codes_replace_the_old_ones(client, carol):
    client.force_login(carol)  # verified, with an authenticator
    first = client.post(reverse("accounts:recovery_codes")).text
    second = client.post(reverse("accounts:recovery_codes")).text
    old = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", first)
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", second)
    assert len(new) == 10
    assert not set(old) & set(new)
    browser = password_login("carol")
    assert "not valid" in browser.post(VERIFY, {"code": old[0]}).text


def test_a_clinic_admin_resets_a_lost_phone_and_the_user_sets_it_up_again(client, carol, alice):
    authenticator(alice)
    client.force_login(carol)
    client.post(reverse("accounts:user_reset_two_factor", args=[alice.pk]))
    assert password_login("alice").get(reverse("home")).status_code == 200


def test_the_set_up_page_refuses_a_wrong_code_next_to_the_field(alice):
    browser = password_login("alice")
    browser.get(SETUP)
    response = browser.post(SETUP, {"code": "000000"})
    assert response.status_code == 200
    assert "current code" in response.context["form"].errors["code"][0]
    assert not alice.totpdevice_set.exists()


def test_a_code_cannot_be_used_twice(alice):
    browser = password_login("alice")
    key = secret_on(browser.get(SETUP))
    given_at = time.time()
    browser.post(SETUP, {"code": code(key, at=given_at)})
    browser = password_login("alice")
    replayed = browser.post(VERIFY, {"code": code(key, at=given_at)})
    assert "not valid" in replayed.text
    assert browser.get(reverse("home"))["Location"].startswith(VERIFY)
