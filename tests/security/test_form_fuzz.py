"""Generated input to every form: never a server error; a field error and nothing saved when
the input is wrong. After every accepted post, every page that shows the record is opened
again (the patient's page, history, course summaries, the patient list, the worklist and its
export): what a form accepts, every page can show.

Half of the examples are junk in every field; the other half start from a valid post (what
the page renders, filled in as a user would) and change one or two fields, so that odd but
acceptable values (text in any script, numbers and dates at their limits) are saved and then
shown.
"""

from __future__ import annotations

import datetime as dt
import itertools
from urllib.parse import urlencode

import pytest
from django import forms as djforms
from django.apps import apps
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from patients import services
from patients.forms import (
    CategoryForm,
    CourseCompleteForm,
    CourseEditForm,
    CourseForm,
    CourseStopForm,
    PatientForm,
    VisitForm,
)
from patients.models import Patient
from patients.views import RECORD_KINDS
from tests.html_forms import page_form

JUNK = st.one_of(
    st.just(""),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20),
    st.just("x" * 5000),
    st.just("<script>alert(1)</script>"),
    st.sampled_from(["\u202eevil", "a\u200bb", "\u2066x\u2069", "\ufeff"]),
    st.integers(min_value=-(10**15), max_value=10**15).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1e308", "-0", "NaN", "Infinity", "0x10", "1,5", " 12 ", "١٢"]),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(
        lambda d: d.isoformat()
    ),
    st.sampled_from(["2026-02-30", "31/12/2026", "9999-99-99", "0000-00-00", "today"]),
)

TODAY = timezone.localdate()
START = TODAY - dt.timedelta(days=40)
DAY = (START + dt.timedelta(days=2)).isoformat()

# A valid post of each record form (besides its date and notes).
VALID_RECORDS = {
    "confirmation": {"kind": "consent"},
    "contraception": {"kind": "start", "methods": ["iud_copper", "male_condom"]},
    "pregnancy-test": {"result": "negative", "setting": "lab", "specimen": "serum"},
    "lab-result": {"analyte": "triglycerides", "value": "2.1", "unit": "mmol/L"},
    "mood-screen": {"instrument": "PHQ-9", "total": "6", "item9": "0"},
    "sexual-function": {"concern": "on"},
    "dose": {"mg_per_day": "40"},
    "weight": {"kg": "63.2"},
    "prescription": {"supply_days": "30", "mg_per_day": "40"},
    "dispense": {"supply_days": "30"},
    "hold-resolution": {"reason": "Repeat serum test negative."},
    "alert-review": {"source": "lab", "analyte": "alt", "notes": "Repeat in two weeks."},
}


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


def form_data(form_class: type[djforms.Form], **kwargs) -> st.SearchStrategy:
    form = form_class(**kwargs)
    return st.fixed_dictionaries({name: field_values(field) for name, field in form.fields.items()})


def near(valid: dict, form_class: type[djforms.Form], **kwargs) -> st.SearchStrategy:
    """A valid post with one or two fields changed to generated values."""
    fields = form_class(**kwargs).fields
    names = sorted(name for name in fields if name != "version")

    @st.composite
    def changed(draw):
        data = dict(valid)
        for name in draw(st.sets(st.sampled_from(names), min_size=1, max_size=2)):
            data[name] = draw(field_values(fields[name]))
        return data

    return st.one_of(form_data(form_class, **kwargs), changed())


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
    course = services.course_create(patient=patient, start=START, weight_kg=60, by=alice)
    return alice, patient, course


FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def pages_showing(patient: Patient) -> list[str]:
    """Every page that shows the patient's record, or rows from it."""
    urls = [
        reverse("patients:detail", args=[patient.pk]),
        reverse("patients:history", args=[patient.pk]),
        reverse("patients:list") + "?" + urlencode({"q": patient.mrn}),
        reverse("home"),
        reverse("tracker:worklist_csv"),
    ]
    for course in patient.courses.all():
        urls.append(reverse("tracker:course_summary", args=[course.pk]))
        urls.append(reverse("patients:detail", args=[patient.pk]) + f"?course={course.pk}")
    return urls


ACCEPTED: list[str] = []  # URLs of accepted posts, to check the reloading was exercised


def post_and_check(client: Client, url: str, data: dict, patient: Patient | None = None) -> None:
    before = clinical_row_count()
    response = client.post(url, data)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        # Refused: the page says what is wrong, and nothing was written.
        body = response.content.decode()
        assert "invalid-feedback" in body or "alert-danger" in body or "errorlist" in body
        assert clinical_row_count() == before
        return
    ACCEPTED.append(url)
    if patient is None:  # a new patient: the redirect names them
        patient = Patient.objects.get(pk=resolve(response["Location"]).kwargs["pk"])
    for page in pages_showing(patient):
        shown = client.get(page)
        assert shown.status_code == 200, f"{page} after an accepted post: {shown.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(RECORD_KINDS))
def test_record_forms_never_fail_on_generated_input(kind, world):
    clinician, patient, course = world
    client = Client()
    client.force_login(clinician)
    url = reverse("patients:record_add", args=[patient.pk, course.pk, kind])
    valid = {**page_form(client.get(url)), "date": DAY, **VALID_RECORDS[kind]}
    ACCEPTED.clear()

    @FUZZ
    @given(data=near(valid, RECORD_KINDS[kind].form))
    @example(data=valid)
    def check(data):
        post_and_check(client, url, data, patient)

    check()
    assert url in ACCEPTED  # at least the valid post: the pages were opened again


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "form_class"),
    [("patient", PatientForm), ("course", CourseForm), ("visit", VisitForm)],
)
def test_patient_course_and_visit_forms_never_fail_on_generated_input(name, form_class, world):
    clinician, patient, course = world
    if name == "course":  # a patient without an open course, so a new one can be accepted
        patient = services.patient_create(
            mrn="FUZZ2",
            given_name="Nova",
            family_name="Case",
            date_of_birth=dt.date(1990, 1, 1),
            profile="UK",
            by=clinician,
        )
    client = Client()
    client.force_login(clinician)
    url = {
        "patient": reverse("patients:create"),
        "course": reverse("patients:course_create", args=[patient.pk]),
        "visit": reverse("patients:visit_add", args=[patient.pk, course.pk]),
    }[name]
    valid = page_form(client.get(url))
    valid.update(
        {
            "patient": {
                "mrn": "NEW",
                "given_name": "Ana",
                "family_name": "Új",
                "date_of_birth": "2001-02-03",
            },
            "course": {"start": START.isoformat(), "weight_kg": "61.5"},
            "visit": {"date": DAY, "iga": "2", "weight_kg": "60"},
        }[name]
    )
    mrns = (f"NEW-{n}" for n in itertools.count())
    ACCEPTED.clear()

    @FUZZ
    @given(data=near(valid, form_class))
    @example(data=valid)
    def check(data):
        if data.get("mrn") == "NEW":
            data = {**data, "mrn": next(mrns)}  # MRNs are unique: each valid one is new
        post_and_check(client, url, data, None if name == "patient" else patient)

    check()
    assert url in ACCEPTED


EDIT_PAGES = {
    "patients:edit": (PatientForm, "patient"),
    "patients:category": (CategoryForm, "patient"),
    "patients:course_edit": (CourseEditForm, "course"),
    "patients:course_complete": (CourseCompleteForm, "course"),
    "patients:course_stop": (CourseStopForm, "course"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(EDIT_PAGES))
def test_edit_forms_never_fail_on_generated_input(url_name, world):
    clinician, patient, course = world
    form_class, what = EDIT_PAGES[url_name]
    target = patient if what == "patient" else course
    args = [patient.pk] if target is patient else [patient.pk, course.pk]
    url = reverse(url_name, args=args)
    client = Client()
    client.force_login(clinician)
    valid = page_form(client.get(url))
    if "end" in valid:
        valid.update(end=TODAY.isoformat(), stopped_reason="Myalgia")
    ACCEPTED.clear()

    @FUZZ
    @given(data=near(valid, form_class, instance=target))
    @example(data=valid)
    def check(data):
        # The version the page holds now, so that generated values reach the service.
        target.refresh_from_db()
        post_and_check(client, url, {**data, "version": str(target.version)}, patient)

    check()
    assert url in ACCEPTED


@pytest.mark.django_db
def test_a_unit_that_does_not_fit_the_analyte_is_refused(world):
    clinician, patient, course = world
    client = Client()
    client.force_login(clinician)
    before = clinical_row_count()
    response = client.post(
        reverse("patients:record_add", args=[patient.pk, course.pk, "lab-result"]),
        {"date": DAY, "analyte": "alt", "value": "30", "unit": "mmol/L"},
    )
    assert response.status_code == 200
    assert "reported in U/L" in response.content.decode()
    assert clinical_row_count() == before
