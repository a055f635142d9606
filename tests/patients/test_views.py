"""Clinical record pages: what each role can do, what a valid form saves and shows, and how an
invalid one comes back (status 200, the error next to its field, nothing saved)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from patients import services
from patients.models import (
    AlertReview,
    Confirmation,
    ContraceptionRecord,
    Course,
    CourseStatus,
    Dispense,
    DoseChange,
    HoldResolution,
    LabResult,
    MoodScreen,
    Patient,
    PregnancyTest,
    Prescription,
    SexualFunctionReview,
    Visit,
    WeightMeasurement,
)
from tests import factories
from tests.html_forms import submit

TODAY = timezone.localdate()
YESTERDAY = TODAY - dt.timedelta(days=1)
TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture
def patient(db):
    return factories.PatientFactory(
        mrn="MRN-42", given_name="Jane", family_name="Doe", profile="US"
    )


@pytest.fixture
def course(patient):
    return factories.CourseFactory(patient=patient, start=TODAY - dt.timedelta(days=60))


def login(client, user):
    client.force_login(user)
    return client


def detail_url(patient) -> str:
    return reverse("patients:detail", args=[patient.pk])


def add_url(course, kind: str) -> str:
    return reverse("patients:record_add", args=[course.patient_id, course.pk, kind])


# Access ---------------------------------------------------------------------------------------


def test_anonymous_user_is_sent_to_login(client, patient):
    response = client.get(detail_url(patient))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_user_without_a_role_cannot_open_the_new_patient_form(client, mallory):
    response = login(client, mallory).get(reverse("patients:create"))
    assert response.status_code == 403


def test_staff_get_403_on_clinical_forms(client, bob, course):
    response = login(client, bob).get(add_url(course, "pregnancy-test"))
    assert response.status_code == 403


def test_staff_get_403_on_the_visit_page(client, bob, course):
    url = reverse("patients:visit_add", args=[course.patient_id, course.pk])
    assert login(client, bob).get(url).status_code == 403


def test_staff_can_enter_a_lab_result(client, bob, course):
    response = login(client, bob).post(
        add_url(course, "lab-result"),
        {"date": YESTERDAY, "analyte": "alt", "value": "31", "unit": "U/L"},
    )
    assert response.status_code == 302
    assert LabResult.objects.get().created_by == bob


def test_staff_cannot_assign_the_category(client, bob, patient):
    url = reverse("patients:category", args=[patient.pk])
    assert login(client, bob).get(url).status_code == 403


def test_clinic_admin_cannot_assign_the_category(client, carol, patient):
    url = reverse("patients:category", args=[patient.pk])
    response = login(client, carol).post(url, {"category": "cannot_get_pregnant"})
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.category == "can_get_pregnant"


def test_staff_cannot_resolve_a_hold(client, bob, course):
    assert login(client, bob).get(add_url(course, "hold-resolution")).status_code == 403


def test_forbidden_page_uses_the_house_style(client, bob, course):
    response = login(client, bob).get(add_url(course, "dose"))
    assert b"You do not have permission to do this" in response.content


def test_unknown_patient_gives_404(client, alice):
    response = login(client, alice).get(reverse("patients:detail", args=[999999]))
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_unknown_record_type_gives_404(client, alice, course):
    assert login(client, alice).get(add_url(course, "horoscope")).status_code == 404


def test_course_of_another_patient_gives_404(client, alice, course):
    other = factories.PatientFactory()
    url = reverse("patients:record_add", args=[other.pk, course.pk, "weight"])
    assert login(client, alice).get(url).status_code == 404


# Patient list ---------------------------------------------------------------------------------


def test_list_shows_the_patient_and_links_to_the_page(client, bob, patient):
    response = login(client, bob).get(reverse("patients:list"))
    assert b"MRN-42" in response.content
    assert detail_url(patient).encode() in response.content


def test_list_shows_the_current_course_status(client, bob, course):
    response = login(client, bob).get(reverse("patients:list"))
    assert b"course-status-active" in response.content


def test_search_by_mrn_is_case_insensitive(client, bob, patient):
    factories.PatientFactory(mrn="OTHER-1", family_name="Smith")
    response = login(client, bob).get(reverse("patients:list"), {"q": "mrn-42"})
    assert [p.mrn for p in response.context["page_obj"]] == ["MRN-42"]


def test_search_by_name_matches_given_and_family(client, bob, patient):
    factories.PatientFactory(given_name="John", family_name="Smith")
    response = login(client, bob).get(reverse("patients:list"), {"q": "jane doe"})
    assert [p.pk for p in response.context["page_obj"]] == [patient.pk]


def test_search_family_comma_given(client, bob, patient):
    factories.PatientFactory(given_name="Doe", family_name="Jane")
    response = login(client, bob).get(reverse("patients:list"), {"q": "Doe, Ja"})
    assert [p.pk for p in response.context["page_obj"]] == [patient.pk]


def test_search_without_match_shows_the_empty_state(client, bob, patient):
    response = login(client, bob).get(reverse("patients:list"), {"q": "nobody"})
    assert "No patient matches “nobody”".encode() in response.content


def test_list_is_paginated_by_25(client, bob):
    factories.PatientFactory.create_batch(30)
    response = login(client, bob).get(reverse("patients:list"))
    assert len(response.context["page_obj"]) == 25


def test_page_links_keep_the_search(client, bob):
    factories.PatientFactory.create_batch(30, family_name="Jones")
    response = login(client, bob).get(reverse("patients:list"), {"q": "jones"})
    assert b'href="?q=jones&amp;page=2"' in response.content


def test_second_page_shows_the_rest(client, bob):
    factories.PatientFactory.create_batch(30)
    response = login(client, bob).get(reverse("patients:list"), {"page": 2})
    assert len(response.context["page_obj"]) == 5


def test_new_patient_button_only_for_clinical_users(client, bob):
    response = login(client, bob).get(reverse("patients:list"))
    assert reverse("patients:create").encode() not in response.content


# Patients -------------------------------------------------------------------------------------

PATIENT_DATA = {
    "mrn": "N-001",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "date_of_birth": "2001-05-06",
    "profile": "UK",
}


def test_new_patient_form_defaults_to_the_clinic_profile(client, alice, settings):
    settings.CLINIC_DEFAULT_PROFILE = "EU"
    response = login(client, alice).get(reverse("patients:create"))
    assert response.context["form"]["profile"].value() == "EU"


def test_new_patient_is_saved_and_shown(client, alice):
    response = login(client, alice).post(
        reverse("patients:create"), {**PATIENT_DATA, "responsible_clinician": alice.pk}
    )
    patient = Patient.objects.get(mrn="N-001")
    assert response.url == detail_url(patient)
    assert patient.responsible_clinician == alice
    assert b"LOVELACE" in client.get(response.url).content


def test_new_patient_category_is_assigned_by_a_clinician(client, alice):
    login(client, alice).post(
        reverse("patients:create"), {**PATIENT_DATA, "category": "cannot_get_pregnant"}
    )
    patient = Patient.objects.get(mrn="N-001")
    assert (patient.category, patient.category_assigned_by) == ("cannot_get_pregnant", alice)


def test_new_patient_form_offers_category_only_with_permission(client, alice, db):
    # A user who may record clinical data but not assign the category.
    user = factories.staff(username="nurse")
    user.user_permissions.add(Permission.objects.get(codename="record_clinical"))
    response = login(client, user).get(reverse("patients:create"))
    assert "category" not in response.context["form"].fields


def test_new_patient_with_future_birth_date_shows_the_error(client, alice):
    response = login(client, alice).post(
        reverse("patients:create"), {**PATIENT_DATA, "date_of_birth": TOMORROW}
    )
    assert response.status_code == 200
    assert b"The date of birth cannot be in the future." in response.content
    assert not Patient.objects.exists()


def test_new_patient_with_duplicate_mrn_shows_the_error(client, alice, patient):
    response = login(client, alice).post(
        reverse("patients:create"), {**PATIENT_DATA, "mrn": "MRN-42"}
    )
    assert response.status_code == 200
    assert "mrn" in response.context["form"].errors
    assert Patient.objects.count() == 1


def test_exemption_without_reason_shows_the_error(client, alice):
    response = login(client, alice).post(
        reverse("patients:create"), {**PATIENT_DATA, "contraception_exempt": "on"}
    )
    assert response.status_code == 200
    assert "contraception_exempt_reason" in response.context["form"].errors


def test_patient_edit_saves_the_change(client, alice, patient):
    url = reverse("patients:edit", args=[patient.pk])
    response = submit(login(client, alice), url, given_name="Janet")
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.given_name == "Janet"


def test_patient_edit_with_invalid_date_saves_nothing(client, alice, patient):
    url = reverse("patients:edit", args=[patient.pk])
    response = submit(login(client, alice), url, mrn="MRN-43", date_of_birth=TOMORROW)
    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.mrn == "MRN-42"


def test_assign_category_shows_who_and_when(client, alice, patient):
    url = reverse("patients:category", args=[patient.pk])
    response = submit(
        login(client, alice), url, category="cannot_get_pregnant", reason="UK tubal ligation"
    )
    page = client.get(response.url).content.decode()
    assert "Cannot get pregnant (CNGP)" in page
    assert f"assigned by {alice.get_full_name()} on" in page


def test_assign_category_requires_a_choice(client, alice, patient):
    url = reverse("patients:category", args=[patient.pk])
    response = login(client, alice).post(url, {"reason": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["category"]


def test_unassigned_category_shows_a_warning(client, bob, db):
    patient = factories.PatientFactory(category="", category_assigned_on=None)
    response = login(client, bob).get(detail_url(patient))
    assert (
        b"Pregnancy-potential category not assigned: monitoring cannot confirm safety"
        in response.content
    )


# Patient page ---------------------------------------------------------------------------------


def test_patient_page_without_course_says_so(client, bob, patient):
    response = login(client, bob).get(detail_url(patient))
    assert b"No course recorded for this patient." in response.content


def test_patient_page_shows_the_monitoring_panel(client, bob, course):
    response = login(client, bob).get(detail_url(course.patient))
    assert b'id="monitoring-heading"' in response.content


def test_patient_page_selects_an_earlier_course(client, alice, course):
    earlier = factories.CourseFactory(
        patient=course.patient,
        start=TODAY - dt.timedelta(days=600),
        end=TODAY - dt.timedelta(days=450),
        status=CourseStatus.COMPLETED,
    )
    response = login(client, alice).get(detail_url(course.patient), {"course": earlier.pk})
    assert response.context["course"] == earlier


def test_patient_page_shows_the_open_course_by_default(client, alice, course):
    factories.CourseFactory(
        patient=course.patient,
        start=TODAY - dt.timedelta(days=600),
        end=TODAY - dt.timedelta(days=450),
        status=CourseStatus.COMPLETED,
    )
    response = login(client, alice).get(detail_url(course.patient))
    assert response.context["course"] == course


def test_timeline_lists_records_newest_first(client, alice, course):
    services.weight_record(
        course=course, date=YESTERDAY - dt.timedelta(days=3), kg="60.5", by=alice
    )
    services.weight_record(course=course, date=YESTERDAY, kg="61.5", by=alice)
    response = login(client, alice).get(detail_url(course.patient))
    page = response.content.decode()
    assert page.index("Weight 61.5 kg") < page.index("Weight 60.5 kg")


def test_timeline_strikes_through_an_entered_in_error_record(client, alice, course):
    record = services.weight_record(course=course, date=YESTERDAY, kg="60.5", by=alice)
    services.record_mark_entered_in_error(record=record, reason="wrong scale", by=alice)
    page = login(client, alice).get(detail_url(course.patient)).content.decode()
    assert '<span class="struck">Weight 60.5 kg</span>' in page
    assert "Entered in error: wrong scale" in page


def test_timeline_shows_what_was_typed_as_text_with_its_line_breaks(client, alice, course):
    notes = '<script>alert("x")</script>\nsecond line & more'
    record = services.weight_record(course=course, date=YESTERDAY, kg="60.5", by=alice, notes=notes)
    services.record_mark_entered_in_error(record=record, reason="<b>wrong</b> scale", by=alice)
    page = login(client, alice).get(detail_url(course.patient)).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>second line &amp; more" in page
    assert "Entered in error: &lt;b&gt;wrong&lt;/b&gt; scale (" in page
    start = page.rindex("<tr", 0, page.index(f'id="weightmeasurement-{record.pk}"'))
    row = page[start : page.index("</tr>", start)]
    assert row.startswith('<tr class="timeline-weightmeasurement entered-in-error"')
    assert "Mark entered in error" not in row  # already marked: nothing more to do


def test_staff_see_no_error_action_and_clinicians_do(client, alice, bob, course):
    lab = services.lab_result_record(
        course=course, date=YESTERDAY, analyte="alt", value=20, unit="U/L", by=bob
    )
    url = reverse("patients:mark_error", args=[course.patient_id, "labresult", lab.pk])
    assert url not in login(client, bob).get(detail_url(course.patient)).content.decode()
    assert url in login(client, alice).get(detail_url(course.patient)).content.decode()


def test_patient_page_links_to_the_change_history(client, bob, patient):
    response = login(client, bob).get(detail_url(patient))
    assert reverse("patients:history", args=[patient.pk]).encode() in response.content


# Courses --------------------------------------------------------------------------------------


def test_new_course_is_saved_and_shown(client, alice, patient):
    url = reverse("patients:course_create", args=[patient.pk])
    response = login(client, alice).post(
        url,
        {
            "start": YESTERDAY,
            "weight_kg": "64.5",
            "target_mg_per_kg": "150",
            "cumulative_method": "daily_weight",
        },
    )
    course = Course.objects.get()
    assert response.url == detail_url(patient)
    assert course.status == CourseStatus.ACTIVE
    assert b"64.5 kg" in client.get(response.url).content


def test_new_course_defaults_to_a_target_of_150(client, alice, patient):
    response = login(client, alice).get(reverse("patients:course_create", args=[patient.pk]))
    assert response.context["form"]["target_mg_per_kg"].value() == 150


def test_second_open_course_shows_a_field_error(client, alice, course):
    url = reverse("patients:course_create", args=[course.patient_id])
    response = login(client, alice).post(
        url,
        {"start": YESTERDAY, "weight_kg": "60", "target_mg_per_kg": "150",
         "cumulative_method": "daily_weight"},
    )  # fmt: skip
    assert response.status_code == 200
    assert (
        "already has a planned, active or on-hold course"
        in response.context["form"].errors["start"][0]
    )
    assert Course.objects.count() == 1


def test_course_edit_saves_the_weight(client, alice, course):
    url = reverse("patients:course_edit", args=[course.patient_id, course.pk])
    response = submit(
        login(client, alice),
        url,
        weight_kg="70",
        target_mg_per_kg="120",
        cumulative_method="start_weight",
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.weight_kg, course.target_mg_per_kg) == (70, 120)


def test_course_edit_with_implausible_weight_saves_nothing(client, alice, course):
    url = reverse("patients:course_edit", args=[course.patient_id, course.pk])
    response = submit(login(client, alice), url, weight_kg="900")
    assert response.status_code == 200
    assert "weight_kg" in response.context["form"].errors
    course.refresh_from_db()
    assert course.weight_kg == 60


def test_course_complete_records_the_last_dose(client, alice, course):
    url = reverse("patients:course_complete", args=[course.patient_id, course.pk])
    submit(login(client, alice), url, end=YESTERDAY)
    course.refresh_from_db()
    assert (course.status, course.end) == (CourseStatus.COMPLETED, YESTERDAY)


def test_course_complete_with_end_before_start_shows_the_error(client, alice, course):
    url = reverse("patients:course_complete", args=[course.patient_id, course.pk])
    response = submit(login(client, alice), url, end=course.start - dt.timedelta(days=1))
    assert response.status_code == 200
    assert b"The last dose cannot be before the start." in response.content
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_course_stop_early_records_the_reason(client, alice, course):
    url = reverse("patients:course_stop", args=[course.patient_id, course.pk])
    submit(login(client, alice), url, end=YESTERDAY, stopped_reason="severe myalgia")
    course.refresh_from_db()
    assert (course.status, course.stopped_reason) == (CourseStatus.STOPPED, "severe myalgia")


def test_course_stop_early_without_reason_shows_the_error(client, alice, course):
    url = reverse("patients:course_stop", args=[course.patient_id, course.pk])
    response = submit(login(client, alice), url, end=YESTERDAY)
    assert response.status_code == 200
    assert b"Give the reason the course was stopped early." in response.content
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


# One form per record type ---------------------------------------------------------------------

VALID_RECORDS = {
    "confirmation": ({"kind": "consent"}, Confirmation),
    "contraception": (
        {"kind": "start", "methods": ["iud_copper", "male_condom"]},
        ContraceptionRecord,
    ),
    "pregnancy-test": (
        {"result": "negative", "setting": "lab", "specimen": "serum"},
        PregnancyTest,
    ),
    "lab-result": (
        {"analyte": "triglycerides", "value": "2.1", "unit": "mmol/L"},
        LabResult,
    ),
    "mood-screen": ({"instrument": "PHQ-9", "total": "6", "item9": "0"}, MoodScreen),
    "sexual-function": ({"concern": "on"}, SexualFunctionReview),
    "dose": ({"mg_per_day": "40"}, DoseChange),
    "weight": ({"kg": "63.2"}, WeightMeasurement),
    "prescription": ({"supply_days": "30", "mg_per_day": "40"}, Prescription),
    "dispense": ({"supply_days": "30"}, Dispense),
    "alert-review": (
        {"source": "lab", "analyte": "alt", "notes": "Repeat in two weeks."},
        AlertReview,
    ),
}

INVALID_RECORDS = {
    "confirmation": ({"kind": "consent", "date": TOMORROW}, "This date is in the future"),
    "contraception": ({"kind": "start", "methods": []}, "Choose at least one method"),
    "pregnancy-test": (
        {"result": "negative", "setting": "lab", "specimen": "urine", "date": "1990-01-01"},
        "before the patient&#x27;s date of birth",
    ),
    "lab-result": (
        {"analyte": "alt", "value": "30", "unit": "mmol/L"},
        "ALT is reported in U/L, not mmol/L.",
    ),
    "mood-screen": (
        {"instrument": "PHQ-9", "total": "28", "item9": "0"},
        "The PHQ-9 total is a whole number from 0 to 27.",
    ),
    "sexual-function": ({"date": TOMORROW}, "This date is in the future"),
    "dose": ({"mg_per_day": "400"}, "Enter a plausible daily dose between 0 and 200 mg/day."),
    "weight": ({"kg": "5"}, "Enter a plausible weight between 20 and 300 kg."),
    "prescription": ({"supply_days": "0"}, "Enter a plausible supply between 1 and 90 days."),
    "dispense": ({"supply_days": "120"}, "Enter a plausible supply between 1 and 90 days."),
    "hold-resolution": ({"reason": ""}, "Give the clinical reason for lifting the hold."),
    "alert-review": ({"source": "lab", "notes": ""}, "Write a short review note"),
}

RECORD_MODEL = {kind: model for kind, (_, model) in VALID_RECORDS.items()}
RECORD_MODEL["hold-resolution"] = HoldResolution


@pytest.mark.parametrize("kind", VALID_RECORDS)
def test_valid_record_form_saves_and_shows_on_the_patient_page(client, alice, course, kind):
    data, model = VALID_RECORDS[kind]
    response = login(client, alice).post(add_url(course, kind), {"date": YESTERDAY, **data})
    assert response.status_code == 302
    record = model.objects.get()
    assert record.created_by == alice
    assert escape(record.summary()) in client.get(response.url).content.decode()


@pytest.mark.parametrize("kind", INVALID_RECORDS)
def test_invalid_record_form_shows_the_error_and_saves_nothing(client, alice, course, kind):
    data, message = INVALID_RECORDS[kind]
    response = login(client, alice).post(add_url(course, kind), {"date": YESTERDAY, **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RECORD_MODEL[kind].objects.exists()


@pytest.mark.parametrize("kind", [*VALID_RECORDS, "hold-resolution"])
def test_record_form_shows_the_patient_header_and_cancel_link(client, alice, course, kind):
    page = login(client, alice).get(add_url(course, kind)).content.decode()
    assert "MRN-42" in page
    assert f'href="{detail_url(course.patient)}">Cancel</a>' in page


def test_record_form_dates_use_a_date_input(client, alice, course):
    response = login(client, alice).get(add_url(course, "weight"))
    assert b'type="date" name="date"' in response.content


def test_lab_form_shows_the_loinc_codes(client, bob, course):
    response = login(client, bob).get(add_url(course, "lab-result"))
    assert b"Triglycerides (LOINC 2571-8 / 14927-8)" in response.content


def test_lab_unit_error_is_shown_next_to_the_unit(client, bob, course):
    response = login(client, bob).post(
        add_url(course, "lab-result"),
        {"date": YESTERDAY, "analyte": "ck", "value": "100", "unit": "mg/dL"},
    )
    assert response.context["form"].errors["unit"] == ["CK is reported in U/L, not mg/dL."]


def test_mood_item9_of_4_shows_the_error(client, alice, course):
    response = login(client, alice).post(
        add_url(course, "mood-screen"),
        {"date": YESTERDAY, "instrument": "PHQ-9", "total": "10", "item9": "4"},
    )
    assert response.context["form"].errors["item9"] == ["Item 9 is scored 0 to 3."]


def test_dispense_form_says_at_most_30_days(client, alice, course):
    response = login(client, alice).get(add_url(course, "dispense"))
    assert b"at most 30 days" in response.content


def test_contraception_form_explains_how_many_methods(client, alice, course):
    response = login(client, alice).get(add_url(course, "contraception"))
    assert b"US patients who can get pregnant need at least two methods" in response.content


def test_hold_resolution_lifts_the_hold(client, alice, course):
    services.pregnancy_test_record(
        course=course, date=YESTERDAY, result="positive", setting="clinic", by=alice
    )
    response = login(client, alice).post(
        add_url(course, "hold-resolution"),
        {"date": TODAY, "reason": "False positive: serum hCG negative."},
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE
    assert "Hold resolved: False positive" in client.get(response.url).content.decode()


# Visits ---------------------------------------------------------------------------------------


def visit_url(course) -> str:
    return reverse("patients:visit_add", args=[course.patient_id, course.pk])


def test_visit_saves_the_visit_and_its_parts(client, alice, course):
    response = login(client, alice).post(
        visit_url(course),
        {
            "date": TODAY,
            "clinician": alice.pk,
            "iga": "2",
            "side_effects": ["se_dry_lips", "se_nosebleeds"],
            "counselling": ["co_no_alcohol"],
            "weight_kg": "62",
            "dose_mg_per_day": "40",
            "pregnancy_test_result": "negative",
            "pregnancy_test_setting": "clinic",
            "contraception_methods": ["implant", "male_condom"],
            "mood_instrument": "PHQ-9",
            "mood_total": "3",
            "mood_item9": "0",
            "rems_confirmation": "on",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.iga, visit.se_dry_lips, visit.se_nosebleeds, visit.co_no_alcohol) == (
        2,
        True,
        True,
        True,
    )
    assert visit.pregnancytests.count() == 1
    assert visit.moodscreens.get().total == 3
    assert visit.confirmations.get().kind == "rems_confirmation"
    assert visit.contraceptionrecords.get().methods == ["implant", "male_condom"]


def test_visit_is_shown_on_the_timeline(client, alice, course):
    login(client, alice).post(visit_url(course), {"date": TODAY, "clinician": alice.pk, "iga": "3"})
    page = client.get(detail_url(course.patient)).content.decode()
    assert "Visit — IGA 3" in page


def test_visit_with_invalid_mood_total_saves_nothing(client, alice, course):
    response = login(client, alice).post(
        visit_url(course),
        {
            "date": TODAY,
            "clinician": alice.pk,
            "weight_kg": "62",
            "mood_instrument": "PHQ-9",
            "mood_total": "28",
            "mood_item9": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["mood_total"] == [
        "The PHQ-9 total is a whole number from 0 to 27."
    ]
    assert not Visit.objects.exists()
    assert not WeightMeasurement.objects.exists()


def test_visit_pregnancy_test_without_setting_shows_the_error_by_the_setting(client, alice, course):
    response = login(client, alice).post(
        visit_url(course),
        {"date": TODAY, "clinician": alice.pk, "pregnancy_test_result": "negative"},
    )
    assert "pregnancy_test_setting" in response.context["form"].errors
    assert not PregnancyTest.objects.exists()


def test_visit_implausible_weight_shows_the_error_by_the_weight(client, alice, course):
    response = login(client, alice).post(
        visit_url(course), {"date": TODAY, "clinician": alice.pk, "weight_kg": "2"}
    )
    assert "weight_kg" in response.context["form"].errors


def test_visit_implausible_dose_shows_the_error_by_the_dose(client, alice, course):
    response = login(client, alice).post(
        visit_url(course), {"date": TODAY, "clinician": alice.pk, "dose_mg_per_day": "500"}
    )
    assert "dose_mg_per_day" in response.context["form"].errors


def test_visit_unknown_contraception_method_is_refused(client, alice, course):
    response = login(client, alice).post(
        visit_url(course),
        {"date": TODAY, "clinician": alice.pk, "contraception_methods": ["prayer"]},
    )
    assert "contraception_methods" in response.context["form"].errors


def test_visit_in_the_future_is_refused(client, alice, course):
    response = login(client, alice).post(
        visit_url(course), {"date": TOMORROW, "clinician": alice.pk}
    )
    assert response.status_code == 200
    assert "This date is in the future" in response.context["form"].errors["date"][0]


def test_visit_iga_above_4_is_refused(client, alice, course):
    response = login(client, alice).post(
        visit_url(course), {"date": TODAY, "clinician": alice.pk, "iga": "5"}
    )
    assert "iga" in response.context["form"].errors
    assert not Visit.objects.exists()


def test_visit_form_defaults_the_clinician_to_the_user(client, alice, course):
    response = login(client, alice).get(visit_url(course))
    assert response.context["form"]["clinician"].value() == alice.pk


# Entered in error -----------------------------------------------------------------------------


def error_url(record) -> str:
    return reverse(
        "patients:mark_error",
        args=[record.course.patient_id, record._meta.model_name, record.pk],
    )


def test_mark_entered_in_error_keeps_the_record(client, alice, course):
    record = services.dose_record(course=course, date=YESTERDAY, mg_per_day=40, by=alice)
    response = login(client, alice).post(error_url(record), {"reason": "wrong dose"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.entered_in_error, record.error_reason) == (True, "wrong dose")


def test_mark_entered_in_error_requires_a_reason(client, alice, course):
    record = services.dose_record(course=course, date=YESTERDAY, mg_per_day=40, by=alice)
    response = login(client, alice).post(error_url(record), {"reason": ""})
    assert response.status_code == 200
    assert b"Give the reason this record was entered in error." in response.content
    record.refresh_from_db()
    assert not record.entered_in_error


def test_mark_entered_in_error_works_for_a_visit(client, alice, course):
    visit = services.visit_record(course=course, date=YESTERDAY, clinician=alice, by=alice)
    login(client, alice).post(error_url(visit), {"reason": "duplicate"})
    visit.refresh_from_db()
    assert visit.entered_in_error


def test_staff_cannot_take_a_lab_result_out_of_the_calculations(client, bob, course):
    # Staff enter results from outside labs; correcting one is a clinician's decision, since
    # it removes the result (and any alert it raised) from every calculation.
    lab = services.lab_result_record(
        course=course, date=YESTERDAY, analyte="alt", value=20, unit="U/L", by=bob
    )
    response = login(client, bob).post(error_url(lab), {"reason": "other patient's sample"})
    assert response.status_code == 403
    lab.refresh_from_db()
    assert not lab.entered_in_error


def test_staff_cannot_mark_a_weight_entered_in_error(client, alice, bob, course):
    weight = services.weight_record(course=course, date=YESTERDAY, kg="60.5", by=alice)
    response = login(client, bob).post(error_url(weight), {"reason": "x"})
    assert response.status_code == 403


# Change history -------------------------------------------------------------------------------


def test_history_shows_a_changed_field_old_and_new(client, alice, patient):
    services.patient_update(patient=patient, by=alice, given_name="Janet")
    page = login(client, alice).get(reverse("patients:history", args=[patient.pk])).content
    assert "<del>Jane</del> → <ins>Janet</ins>".encode() in page


def test_history_includes_clinical_records_of_the_courses(client, alice, course):
    services.weight_record(course=course, date=YESTERDAY, kg="60.5", by=alice)
    response = login(client, alice).get(reverse("patients:history", args=[course.patient_id]))
    assert b"Weight 60.5 kg" in response.content


def test_history_shows_who_made_the_change(client, alice, patient):
    services.patient_update(patient=patient, by=alice, given_name="Janet")
    # The request middleware records the user for web requests; services called directly
    # record none, so this goes through the edit page.
    submit(login(client, alice), reverse("patients:edit", args=[patient.pk]), given_name="Jo")
    entries = client.get(reverse("patients:history", args=[patient.pk])).context["entries"]
    assert entries[0]["who"] == alice


def test_history_is_newest_first(client, alice, patient):
    services.patient_update(patient=patient, by=alice, given_name="Janet")
    response = login(client, alice).get(reverse("patients:history", args=[patient.pk]))
    actions = [e["action"] for e in response.context["entries"]]
    assert actions == ["Changed", "Created"]


def test_visit_mood_score_without_instrument_asks_for_the_instrument(client, alice, course):
    response = login(client, alice).post(
        visit_url(course), {"date": TODAY, "clinician": alice.pk, "mood_total": "5"}
    )
    assert response.context["form"].errors["mood_instrument"] == [
        "Choose the instrument of the mood screen."
    ]
    assert not Visit.objects.exists()


def test_history_names_the_recorded_creator_of_a_record_made_outside_a_request(
    client, alice, course
):
    services.weight_record(course=course, date=YESTERDAY, kg="60.5", by=alice)
    response = login(client, alice).get(reverse("patients:history", args=[course.patient_id]))
    assert response.context["entries"][0]["who"] == alice


def test_staff_get_a_direct_lab_result_button(client, bob, course):
    response = login(client, bob).get(detail_url(course.patient))
    assert b"Enter lab result" in response.content
    assert add_url(course, "lab-result").encode() in response.content


@pytest.mark.parametrize(
    "name", ["patients:detail", "patients:visit_add", "patients:history", "patients:edit"]
)
def test_pages_have_no_inline_style_or_script(client, alice, course, name):
    # The Content Security Policy refuses inline styles and scripts.
    args = [course.patient_id, course.pk] if name == "patients:visit_add" else [course.patient_id]
    html = login(client, alice).get(reverse(name, args=args)).content.decode()
    assert " style=" not in html
    assert "<style" not in html
    assert "<script>" not in html


@pytest.mark.parametrize("name", ["patients:detail", "patients:history"])
def test_read_only_pages_refuse_post(client, alice, patient, name):
    response = login(client, alice).post(reverse(name, args=[patient.pk]))
    assert response.status_code == 405


def test_clinic_admin_sees_the_access_log_in_the_navigation(client, carol):
    response = login(client, carol).get(reverse("patients:list"))
    assert reverse("tracker:access_log").encode() in response.content


def test_navigation_shows_the_role_beside_the_user(client, bob):
    response = login(client, bob).get(reverse("patients:list"))
    assert b"Clinic staff" in response.content


def test_navigation_marks_the_patients_link_active(client, bob):
    response = login(client, bob).get(reverse("patients:list"))
    assert b'class="nav-link active" aria-current="page" href="/patients/"' in response.content


def test_history_names_the_user_a_change_points_at(client, alice, course):
    record = services.weight_record(course=course, date=YESTERDAY, kg="60.5", by=alice)
    services.record_mark_entered_in_error(record=record, reason="duplicate", by=alice)
    response = login(client, alice).get(reverse("patients:history", args=[course.patient_id]))
    changes = response.context["entries"][0]["changes"]
    assert {"field": "error marked by", "old": "—", "new": alice.get_full_name()} in changes


def test_history_is_paginated(client, alice, patient):
    for n in range(55):
        services.patient_update(patient=patient, by=alice, given_name=f"Jane{n}")
    response = login(client, alice).get(reverse("patients:history", args=[patient.pk]))
    assert len(response.context["entries"]) == 50
    assert b'href="?page=2"' in response.content


def test_marking_a_visit_lists_the_records_made_at_it(client, alice, course):
    visit = services.visit_record(
        course=course, date=YESTERDAY, clinician=alice, by=alice, weight_kg="60.5"
    )
    response = login(client, alice).get(error_url(visit))
    assert b"Weight: Weight 60.5 kg" in response.content


def test_positive_pregnancy_test_warns_that_the_course_is_on_hold(client, alice, course):
    response = login(client, alice).post(
        add_url(course, "pregnancy-test"),
        {"date": YESTERDAY, "result": "positive", "setting": "clinic", "specimen": "urine"},
        follow=True,
    )
    assert b"Course status is now On hold." in response.content


def test_alert_review_form_is_prefilled_from_the_link(client, alice, course):
    response = login(client, alice).get(
        add_url(course, "alert-review"), {"source": "lab", "analyte": "alt"}
    )
    form = response.context["form"]
    assert (form["source"].value(), form["analyte"].value()) == ("lab", "alt")


def test_visit_shows_every_part_error_at_once(client, alice, course):
    response = login(client, alice).post(
        visit_url(course),
        {
            "date": TODAY,
            "clinician": alice.pk,
            "pregnancy_test_result": "negative",
            "mood_instrument": "PHQ-9",
            "mood_total": "28",
            "mood_item9": "0",
        },
    )
    errors = response.context["form"].errors
    assert errors["pregnancy_test_setting"] == ["Choose where the test was done."]
    assert errors["mood_total"] == ["The PHQ-9 total is a whole number from 0 to 27."]


def test_planned_course_may_start_in_the_future(client, alice, patient):
    url = reverse("patients:course_create", args=[patient.pk])
    login(client, alice).post(
        url,
        {"start_is_planned": "on", "start": TODAY + dt.timedelta(days=30), "weight_kg": "60",
         "target_mg_per_kg": "150", "cumulative_method": "daily_weight"},
    )  # fmt: skip
    assert Course.objects.get().status == CourseStatus.PLANNED


def test_server_error_page_needs_no_context(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
