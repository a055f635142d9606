"""One owner for each label: the engine's vocabulary names every code, and pages show its labels
(never a bare code such as "alt"), with the rule set's current numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from patients import services
from patients.models import AlertReview, Confirmation, LabResult
from tracker.engine.analytes import ANALYTES
from tracker.engine.results import Flag, Status
from tracker.engine.rules import AlertSource, Level, Satisfier
from tracker.engine.scenario import EVENT_FIELDS
from tracker.engine.vocabulary import (
    EVENT_KINDS,
    LEVEL_LABELS,
    RULE_GROUP_LABELS,
    STATUS_LABELS,
    RuleGroup,
    flag_label,
)
from tracker.models import MonitoringRule, RuleSetSetting


def test_every_code_of_the_engine_has_a_label():
    assert {str(s) for s in Satisfier} <= set(EVENT_KINDS)
    assert {str(s) for s in AlertSource} <= set(EVENT_KINDS)
    assert set(EVENT_FIELDS) <= set(EVENT_KINDS)  # every event of a scenario file
    assert {str(s) for s in Status} == set(STATUS_LABELS)
    assert {str(level) for level in Level} == set(LEVEL_LABELS)
    assert set(RuleGroup) == set(RULE_GROUP_LABELS)
    numbers = RuleSetSetting(target_band_mg_per_kg=120, upper_limit_mg_per_kg=150)
    for flag in Flag:
        assert flag_label(str(flag), numbers) != str(flag).replace("_", " ")


def test_the_worklist_offers_every_kind_of_event_an_item_or_alert_can_have():
    from tracker.web.filters import KINDS

    assert sorted(KINDS) == sorted({str(s) for s in Satisfier} | {str(s) for s in AlertSource})


def test_models_take_their_choices_from_the_vocabulary():
    field = LabResult._meta.get_field("analyte")
    assert dict(field.choices) == {code: a.label for code, a in ANALYTES.items()}
    assert dict(AlertReview._meta.get_field("analyte").choices)["alt"] == "ALT"
    kinds = dict(Confirmation._meta.get_field("kind").choices)
    assert kinds["consent"] == EVENT_KINDS["consent"].label


def test_flag_labels_say_the_rule_sets_numbers():
    numbers = RuleSetSetting(
        target_band_mg_per_kg=110,
        upper_limit_mg_per_kg=140,
        dose_band_low_mg_per_kg_day=0.4,
        dose_band_high_mg_per_kg_day=1.2,
        retreatment_gap_days=60,
    )
    assert flag_label("target_band_reached", numbers).endswith("(≥ 110 mg/kg)")
    assert flag_label("above_150", numbers) == "Cumulative dose above 140 mg/kg"
    assert flag_label("dose_below_band", numbers).startswith("Daily dose below 0.4 mg/kg")
    assert flag_label("dose_above_band", numbers) == "Daily dose above 1.2 mg/kg"
    assert "60 days" in flag_label("retreatment_gap", numbers)


@pytest.fixture
def course(alice):
    today = timezone.localdate()
    patient = services.patient_create(
        mrn="VOC1",
        given_name="Vera",
        family_name="Cabulary",
        date_of_birth=dt.date(1996, 2, 2),
        profile="US",
        category="can_get_pregnant",
        responsible_clinician=alice,
        by=alice,
    )
    course = services.course_create(
        patient=patient, start=today - dt.timedelta(days=40), weight_kg=60, by=alice
    )
    services.lab_result_record(
        course=course, date=today, analyte="alt", value=300, unit="U/L", uln=40, by=alice
    )
    return course


@pytest.mark.django_db
def test_an_analyte_is_shown_by_its_label_never_its_code(client, alice, course):
    client.force_login(alice)
    worklist = client.get(reverse("home")).text
    assert "alert: ALT" in worklist
    assert "alert: alt" not in worklist
    page = client.get(reverse("patients:detail", args=[course.patient_id])).text
    assert "· ALT on" in page  # the open alert
    assert " alt " not in page
    alert = course.alerts.get()
    review = client.get(reverse("tracker:review", args=[course.pk, alert.key])).text
    assert "alert: ALT (lab result of" in review


@pytest.mark.django_db
def test_a_flag_says_the_limit_the_clinic_has_set(client, alice, course):
    services.dose_record(course=course, date=course.start, mg_per_day=10, by=alice)
    RuleSetSetting.objects.update(dose_band_low_mg_per_kg_day=0.3)
    client.force_login(alice)
    page = client.get(reverse("patients:detail", args=[course.patient_id])).text
    assert "Daily dose below 0.3 mg/kg" in page


@pytest.mark.django_db
def test_an_items_group_on_the_patient_page_is_its_rules_data(client, alice, course):
    client.force_login(alice)
    url = reverse("patients:detail", args=[course.patient_id])

    def group_of(code: str, page: str) -> str:
        before = page[: page.index(f'data-item="{code}"')]
        return max(RULE_GROUP_LABELS.values(), key=lambda label: before.rfind(f">{label}<"))

    assert group_of("US-B1", client.get(url).text) == "Before the first dispense"
    MonitoringRule.objects.filter(code="US-B1").update(display_group="after")
    assert group_of("US-B1", client.get(url).text) == "After the course"
