"""The demo clinic of ``make run``: loaded twice without duplicates, and usable in the browser."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from playwright.sync_api import Page, expect

from patients.models import CLINICAL_RECORD_MODELS, Course, Patient, Visit
from tests.e2e.conftest import log_in
from tracker.monitoring.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _counts() -> dict[str, int]:
    models = [User, Patient, Course, Visit, *CLINICAL_RECORD_MODELS]
    return {m.__name__: m.objects.count() for m in models}


def test_seed_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("seed_demo")
    assert not Patient.objects.exists()


def test_the_demo_clinic_loads_once_and_a_clinician_finds_the_held_course(live_server, page: Page):
    call_command("seed_demo", force=True, verbosity=0)
    first = _counts()
    call_command("seed_demo", force=True, verbosity=0)

    assert _counts() == first
    assert 40 <= first["Patient"] <= 60
    assert set(Patient.objects.values_list("profile", flat=True)) == {"US", "UK", "EU"}
    held = Course.objects.get(status="on_hold")
    assert Course.objects.filter(status="planned").exists()
    assert Course.objects.filter(status="completed").exists()

    log_in(page, live_server.url, "clinician", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/patients/?q={held.patient.mrn}")
    page.get_by_role("link", name=f"{held.patient.family_name}, {held.patient.given_name}").click()
    expect(page.get_by_role("heading", name="Current course")).to_be_visible()
    expect(page.locator(".course-summary")).to_contain_text("On hold")
    expect(page.get_by_role("table").filter(has_text="Recorded by")).to_contain_text(
        "Pregnancy test positive"
    )
