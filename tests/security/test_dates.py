"""Every date a person enters has a plausible range: a date out of it gets a field error and
nothing is saved, and a course stored with absurd dates still shows its pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patients import services
from patients.models import Course
from patients.validation import PLANNED_START_MAX_DAYS_AHEAD
from patients.views import RECORD_KINDS
from tests.html_forms import find_form, form_data
from tracker.models import MonitoringItem

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
OUT_OF_RANGE = ["9999-12-31", "1800-01-01", "0001-01-01"]


@pytest.fixture
def world(alice):
    patient = services.patient_create(
        mrn="D1",
        given_name="Dora",
        family_name="Date",
        date_of_birth=dt.date(1996, 2, 29),
        profile="US",
        category="can_get_pregnant",
        by=alice,
    )
    course = services.course_create(
        patient=patient, start=TODAY - dt.timedelta(days=40), weight_kg=60, by=alice
    )
    without_course = services.patient_create(
        mrn="D2",
        given_name="Dev",
        family_name="Date",
        date_of_birth=dt.date(1990, 1, 1),
        profile="UK",
        by=alice,
    )
    return patient, course, without_course


def stored_rows() -> dict:
    """Every row a form could write: patients' and the review workflow's."""
    models = [
        *apps.get_app_config("patients").get_models(),
        apps.get_model("tracker", "reviewaction"),
    ]
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in models}


def date_pages(world) -> list[tuple[str, str | None]]:
    """(URL, a field the form must have) of every page with a date field, for a clinician."""
    patient, course, without_course = world
    key = MonitoringItem.objects.filter(course=course).order_by("code").first().code
    pages = [
        (reverse("patients:create"), None),
        (reverse("patients:edit", args=[patient.pk]), None),
        (reverse("patients:course_create", args=[without_course.pk]), None),
        (reverse("patients:course_edit", args=[patient.pk, course.pk]), None),
        (reverse("patients:course_complete", args=[patient.pk, course.pk]), None),
        (reverse("patients:course_stop", args=[patient.pk, course.pk]), None),
        (reverse("patients:visit_add", args=[patient.pk, course.pk]), None),
        (reverse("tracker:review", args=[course.pk, key]), "until"),
    ]
    pages += [
        (reverse("patients:record_add", args=[patient.pk, course.pk, kind]), None)
        for kind in RECORD_KINDS
    ]
    return pages


def bound_form(response, field: str):
    if "forms" in response.context:  # the review page: one form per action
        return next(f for f in response.context["forms"].values() if field in f.fields)
    return response.context["form"]


def test_every_date_field_of_every_form_refuses_an_implausible_date(client, alice, world):
    client.force_login(alice)
    checked = 0
    for url, containing in date_pages(world):
        page = client.get(url)
        form = find_form(page, containing=containing)
        dates = [name for name, kind in form["types"].items() if kind == "date"]
        assert dates, f"{url}: no date field found"
        for name in dates:
            for value in OUT_OF_RANGE:
                data = {**form_data(form["fields"]), name: value}
                before = stored_rows()
                target = form["action"] or url
                response = client.post(target, data)
                assert response.status_code == 200, (url, name, value, response.status_code)
                assert bound_form(response, name).errors.get(name), (url, name, value)
                assert stored_rows() == before, (url, name, value)
                checked += 1
    assert checked >= 3 * 20


def planned_course(client, patient, start: dt.date):
    url = reverse("patients:course_create", args=[patient.pk])
    form = find_form(client.get(url))
    data = {**form_data(form["fields"]), "start_is_planned": "on", "weight_kg": "60"}
    return client.post(url, {**data, "start": start.isoformat()})


def test_a_planned_start_in_year_9999_is_refused_and_the_pages_still_open(client, alice, world):
    _, _, patient = world
    client.force_login(alice)
    response = planned_course(client, patient, dt.date(9999, 12, 31))
    assert response.status_code == 200
    assert response.context["form"].errors["start"]
    assert not Course.objects.filter(patient=patient).exists()
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200


def test_a_planned_start_is_at_most_a_year_ahead(client, alice, world):
    _, _, patient = world
    client.force_login(alice)
    too_far = TODAY + dt.timedelta(days=PLANNED_START_MAX_DAYS_AHEAD + 1)
    refused = planned_course(client, patient, too_far)
    assert "too far ahead" in refused.context["form"].errors["start"][0]
    latest = TODAY + dt.timedelta(days=PLANNED_START_MAX_DAYS_AHEAD)
    assert planned_course(client, patient, latest).status_code == 302


@pytest.mark.parametrize("start", [dt.date(9999, 12, 31), dt.date(1, 1, 1)])
@pytest.mark.parametrize("planned", [True, False])
def test_pages_of_a_course_stored_with_dates_off_the_calendar_still_open(
    client, alice, world, start, planned
):
    # Rows written before dates were checked: the pages show them and say what is wrong.
    patient, course, _ = world
    Course.objects.filter(pk=course.pk).update(start=start, start_is_planned=planned)
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    detail = client.get(reverse("patients:detail", args=[patient.pk]))
    summary = client.get(reverse("tracker:course_summary", args=[course.pk]))
    assert (detail.status_code, summary.status_code) == (200, 200)
    assert "too far from today" in detail.content.decode()
