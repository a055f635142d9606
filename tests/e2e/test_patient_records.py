"""A clinician records a new patient's course, a pregnancy test and a lab result in the
browser, and sees both on the patient page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def test_clinician_records_a_pregnancy_test_and_a_lab_result(live_server, page: Page):
    factories.clinician(username="dr.jones", first_name="Rhian", last_name="Jones")
    today = timezone.localdate()
    log_in(page, live_server.url, "dr.jones", PASSWORD)

    page.goto(f"{live_server.url}/patients/")
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("MRN").fill("E2E-0001")
    page.get_by_label("Given name").fill("Maya")
    page.get_by_label("Family name").fill("Okafor")
    page.get_by_label("Date of birth").fill("1999-04-12")
    page.get_by_label("Monitoring profile").select_option("US")
    page.get_by_label("Can get pregnant (CGP)").check()
    page.get_by_role("button", name="Save patient").click()
    expect(page.get_by_role("heading", name="OKAFOR, Maya")).to_be_visible()
    patient_url = page.url

    page.get_by_role("link", name="New course").click()
    page.get_by_label("Start (first dispense").fill((today - timedelta(days=10)).isoformat())
    page.get_by_label("Weight at start (kg)").fill("64")
    page.get_by_role("button", name="Save course").click()
    expect(page.get_by_role("heading", name="Current course")).to_be_visible()

    page.get_by_role("button", name="Add record").click()
    page.get_by_role("link", name="Pregnancy test").click()
    page.get_by_label("Specimen date").fill(today.isoformat())
    page.get_by_label("Negative").check()
    page.get_by_label("Clinic").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(re.escape(patient_url)))

    page.get_by_role("button", name="Add record").click()
    page.get_by_role("link", name="Lab result").click()
    page.get_by_label("Collection date").fill(today.isoformat())
    page.get_by_label("Analyte").select_option("alt")
    page.get_by_label("Value").fill("35")
    page.get_by_label("Unit").select_option("U/L")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(re.escape(patient_url)))

    timeline = page.get_by_role("table").filter(has_text="Recorded by")
    expect(timeline).to_contain_text("Pregnancy test negative (Clinic)")
    expect(timeline).to_contain_text("ALT 35 U/L")
