"""A clinic admin sets up two-factor sign-in in the browser (the QR code drawn under the strict
Content Security Policy), logs in again with a code, and opens the account pages."""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.conftest import log_in
from tests.two_factor import code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def test_a_clinic_admin_sets_up_two_factor_and_logs_in_with_a_code(live_server, page: Page):
    factories.clinic_admin(username="ada", first_name="Ada", last_name="Admin")
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)

    log_in(page, live_server.url, "ada", PASSWORD)
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    key = b32decode(page.locator("[data-secret]").inner_text().replace(" ", "")).hex()
    page.get_by_label("Code").fill(code(key))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    expect(page.locator(".recovery-codes code")).to_have_count(10)
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Welcome, Ada Admin")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server.url, "ada", PASSWORD)
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    page.get_by_label("Code").fill(code(key, at=time.time() + 30))  # the next code
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    expect(page.get_by_role("link", name="ada")).to_be_visible()
    assert not violations
