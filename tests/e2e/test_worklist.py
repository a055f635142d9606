"""The worklist in the browser: filter it, snooze an item, review an alert, export CSV."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from patients import services
from tests import factories
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


@pytest.fixture
def clinic():
    """Two patients: one with a critical triglyceride result, one only overdue."""
    clinician = factories.clinician(username="dr.khan", first_name="Sara", last_name="Khan")
    factories.staff(username="desk")
    today = timezone.localdate()
    courses = {}
    for mrn, family in (("E2E-A", "Abara"), ("E2E-B", "Brandt")):
        patient = services.patient_create(
            mrn=mrn,
            given_name="Test",
            family_name=family,
            date_of_birth=dt.date(1996, 3, 3),
            profile="US",
            category="can_get_pregnant",
            responsible_clinician=clinician,
            by=clinician,
        )
        courses[mrn] = services.course_create(
            patient=patient, start=today - dt.timedelta(days=45), weight_kg=62, by=clinician
        )
    services.lab_result_record(
        course=courses["E2E-A"],
        date=today - dt.timedelta(days=1),
        analyte="triglycerides",
        value=950,
        unit="mg/dL",
        by=clinician,
    )
    return courses


def rows(page: Page):
    return page.locator("table.worklist tbody tr.worklist-row")


def test_staff_filter_the_worklist_to_critical_alerts(live_server, page: Page, clinic):
    log_in(page, live_server.url, "desk", PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("Worklist"))).to_be_visible()
    assert rows(page).count() > 1
    page.get_by_label("Alert level").select_option("critical")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Abara")
    expect(rows(page).first).to_contain_text("Critical alert")
    assert "level=critical" in page.url  # the view can be bookmarked


def test_clinician_snoozes_an_item_and_it_leaves_the_list(live_server, page: Page, clinic):
    log_in(page, live_server.url, "dr.khan", PASSWORD)
    page.goto(f"{live_server.url}/?status=overdue&sort=patient")
    first = rows(page).first
    key = first.get_attribute("data-key")
    patient = first.locator("td").first.inner_text().split("\n")[0]
    before = page.locator(f'tr.worklist-row[data-key="{key}"]', has_text=patient).count()
    first.get_by_role("link", name="Review").click()
    until = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    page.get_by_label("Snooze until").fill(until)
    page.get_by_label("Reason").first.fill("Patient travelling; test booked")
    page.get_by_role("button", name="Snooze").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Snoozed"))).to_be_visible()
    page.goto(f"{live_server.url}/?status=overdue&sort=patient")
    after = page.locator(f'tr.worklist-row[data-key="{key}"]', has_text=patient).count()
    assert (before, after) == (1, 0)


def test_clinician_reviews_a_critical_alert(live_server, page: Page, clinic):
    log_in(page, live_server.url, "dr.khan", PASSWORD)
    page.goto(f"{live_server.url}/?level=critical")
    expect(rows(page)).to_have_count(1)
    rows(page).first.get_by_role("link", name="Review").click()
    page.get_by_label("Note").fill("Fasting lipids repeated; dose reduced")
    page.get_by_role("button", name="Review alert").click()
    expect(page.get_by_text("Reviewed on")).to_be_visible()
    page.goto(f"{live_server.url}/?level=critical")
    expect(rows(page)).to_have_count(0)
    expect(page.get_by_text("Nothing overdue, due soon or abnormal")).to_be_visible()


def test_export_csv_of_the_filtered_view(live_server, page: Page, clinic):
    log_in(page, live_server.url, "desk", PASSWORD)
    page.goto(f"{live_server.url}/?level=critical")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    lines = text.strip().splitlines()
    assert lines[0].startswith("MRN,Patient,Item")
    assert len(lines) == 2
    assert "E2E-A" in lines[1]
