"""Generated input to every form: never a server error; a field error and nothing saved when
the input is wrong."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms as djforms
from django.apps import apps
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patients import services
from patients.forms import CourseForm, PatientForm, VisitForm
from patients.views import RECORD_KINDS

JUNK = st.one_of(
    st.just(""),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20),
    st.just("x" * 5000),
    st.just("<script>alert(1)</script>"),
    st.integers(min_value=-(10**15), max_value=10**15).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1e308", "-0", "NaN", "Infinity", "0x10", "1,5", " 12 ", "١٢"]),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(
        lambda d: d.isoformat()
    ),
    st.sampled_from(["2026-02-30", "31/12/2026", "9999-99-99", "0000-00-00", "today"]),
)


def field_values(field: djforms.Field) -> st.SearchStrategy:
    """Mostly junk, sometimes a valid choice, so both paths are exercised."""
    choices = [str(value) for value, _ in getattr(field, "choices", []) if value != ""]
    if isinstance(field, djforms.MultipleChoiceField):
        return st.lists(st.one_of(st.sampled_from(choices or ["x"]), JUNK), max_size=4)
    if choices:
        return st.one_of(st.sampled_from(choices), JUNK)
    if isinstance(field, djforms.BooleanField):
        return st.sampled_from(["on", "", "false", "yes"])
    return JUNK


def form_data(form_class: type[djforms.Form]) -> st.SearchStrategy:
    form = form_class()
    return st.fixed_dictionaries({name: field_values(field) for name, field in form.fields.items()})


def clinical_row_count() -> int:
    return sum(m.objects.count() for m in apps.get_app_config("patients").get_models())


@pytest.fixture
def world(alice):
    # Function-scoped: what a test's generated input saves is rolled back with the test.
    patient = services.patient_create(
        mrn="FUZZ1",
        given_name="Fuzz",
        family_name="Case",
        date_of_birth=dt.date(1995, 1, 1),
        profile="US",
        category="can_get_pregnant",
        by=alice,
    )
    course = services.course_create(
        patient=patient, start=dt.date(2026, 9, 1), weight_kg=60, by=alice
    )
    return alice, patient, course


FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def post_and_check(client: Client, url: str, data: dict) -> None:
    before = clinical_row_count()
    response = client.post(url, data)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        # Refused: the page says what is wrong, and nothing was written.
        body = response.content.decode()
        assert "invalid-feedback" in body or "alert-danger" in body or "errorlist" in body
        assert clinical_row_count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(RECORD_KINDS))
def test_record_forms_never_fail_on_generated_input(kind, world):
    clinician, patient, course = world
    client = Client()
    client.force_login(clinician)
    url = reverse("patients:record_add", args=[patient.pk, course.pk, kind])

    @FUZZ
    @given(data=form_data(RECORD_KINDS[kind].form))
    def check(data):
        post_and_check(client, url, data)

    check()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "form_class"),
    [("patient", PatientForm), ("course", CourseForm), ("visit", VisitForm)],
)
def test_patient_course_and_visit_forms_never_fail_on_generated_input(name, form_class, world):
    clinician, patient, course = world
    client = Client()
    client.force_login(clinician)
    url = {
        "patient": reverse("patients:create"),
        "course": reverse("patients:course_create", args=[patient.pk]),
        "visit": reverse("patients:visit_add", args=[patient.pk, course.pk]),
    }[name]

    @FUZZ
    @given(data=form_data(form_class))
    def check(data):
        post_and_check(client, url, data)

    check()


@pytest.mark.django_db
def test_a_unit_that_does_not_fit_the_analyte_is_refused(world):
    clinician, patient, course = world
    client = Client()
    client.force_login(clinician)
    before = clinical_row_count()
    response = client.post(
        reverse("patients:record_add", args=[patient.pk, course.pk, "lab-result"]),
        {"date": "2026-09-10", "analyte": "alt", "value": "30", "unit": "mmol/L"},
    )
    assert response.status_code == 200
    assert "reported in U/L" in response.content.decode()
    assert clinical_row_count() == before
