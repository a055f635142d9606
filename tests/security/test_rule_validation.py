"""Impossible values in the rule set are refused with a field error, nothing is saved, and the
site keeps working. The checks live on the models, so every editor of the rules uses them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from patients import services
from tests.html_forms import page_form
from tracker.models import (
    AlertThreshold,
    DispensingCheck,
    MonitoringRule,
    ProfileSetting,
    RuleSetSetting,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_for_rules(carol, alice) -> Client:
    carol.is_staff = True  # the admin site needs staff status as well as the role
    carol.save()
    # A course to re-evaluate, as in a clinic: a saved rule change reaches it at once.
    patient = services.patient_create(
        mrn="RV1",
        given_name="Rhea",
        family_name="Vale",
        date_of_birth=dt.date(1995, 5, 5),
        profile="US",
        category="can_get_pregnant",
        by=alice,
    )
    services.course_create(patient=patient, start=dt.date.today(), weight_kg=60, by=alice)
    client = Client(raise_request_exception=False)
    client.force_login(carol)
    return client


def rule(code="US-R1", profile="US"):
    return MonitoringRule.objects.get(code=code, profile=profile)


# (row, field, posted value): each is impossible and must come back as an error.
IMPOSSIBLE = [
    (lambda: rule(), "due_offset", str(2**31)),
    (lambda: rule(), "due_offset", str(2**31 - 1)),
    (lambda: rule(), "window_from", "-100000"),
    (lambda: rule(), "lead", "40000"),
    (lambda: rule(), "grace", "-1"),
    (lambda: rule(), "interval", "0"),
    (lambda: rule(), "due_anchor", "next_full_moon"),
    (lambda: rule(), "satisfier", "telepathy"),
    (lambda: rule(), "phase", "whenever"),
    (lambda: rule(), "category", "everyone"),
    (lambda: rule(), "effective_from", "9999-12-31"),
    (lambda: rule(), "instruments", '["PHQ-99"]'),
    (lambda: rule(), "instruments", '["\\u0000"]'),
    (lambda: rule("US-L1"), "analytes", '{"alt": 1}'),
    (lambda: rule("US-L1"), "analytes", '["alt", "alt"]'),
    (lambda: rule("US-L1"), "analytes", "[alt"),
    (lambda: rule("US-L1"), "analytes", "[]"),
    (lambda: rule("US-B4"), "prerequisites", '[{"rule": "US-B3"}]'),
    (lambda: rule("US-B4"), "prerequisites", '[{"rule": "US-B3", "min_days": 1e9}]'),
    (lambda: rule("US-B4"), "prerequisites", '[{"rule": "NO-SUCH", "min_days": 19}]'),
    (lambda: rule("US-B4"), "prerequisites", '"US-B3"'),
    (lambda: rule(), "requires_satisfied", "NO-SUCH"),
    (lambda: DispensingCheck.objects.get(code="RX-SUPPLY"), "code", "RX-FREE"),
    (lambda: DispensingCheck.objects.get(code="RX-SUPPLY"), "profiles", '["US", "XX"]'),
    (lambda: DispensingCheck.objects.get(code="RX-SUPPLY"), "profiles", "[]"),
    (lambda: DispensingCheck.objects.get(code="RX-SUPPLY"), "max_supply_days", str(2**31 - 1)),
    (lambda: DispensingCheck.objects.get(code="US-RX-WINDOW"), "first_dispense_settings", '["x"]'),
    (lambda: AlertThreshold.objects.filter(source="lab").first(), "value", "1e308"),
    (lambda: AlertThreshold.objects.filter(source="lab").first(), "comparison", "about"),
    (lambda: AlertThreshold.objects.filter(source="lab").first(), "analyte", "unobtainium"),
    (lambda: AlertThreshold.objects.filter(source="lab").first(), "analyte", ""),
    (lambda: ProfileSetting.objects.get(profile="US"), "pre_start_test_rule", "NO-SUCH"),
    (lambda: ProfileSetting.objects.get(profile="US"), "ready_test_window_days", "30000"),
    (lambda: ProfileSetting.objects.get(profile="US"), "pre_start_test_settings", '["home2"]'),
    (lambda: ProfileSetting.objects.get(profile="US"), "first_dispense_deadline_basis", "x"),
    (lambda: RuleSetSetting.objects.get(), "default_uln", "0"),
    (lambda: RuleSetSetting.objects.get(), "dose_band_low_mg_per_kg_day", "2"),
    (lambda: RuleSetSetting.objects.get(), "retreatment_gap_days", "30000"),
    (lambda: RuleSetSetting.objects.get(), "single_method_contraception", '["prayer"]'),
]


def _id(case) -> str:
    return f"{case[1]}={case[2][:20]}"


@pytest.mark.parametrize("case", IMPOSSIBLE, ids=[_id(c) for c in IMPOSSIBLE])
def test_an_impossible_rule_value_is_refused_and_nothing_is_saved(admin_client_for_rules, case):
    row_of, field, value = case
    row = row_of()
    before = model_to_dict(row)
    url = reverse(f"admin:tracker_{row._meta.model_name}_change", args=[row.pk])
    data = page_form(admin_client_for_rules.get(url))
    data[field] = value

    response = admin_client_for_rules.post(url, data)

    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    assert form.errors, "no error shown"
    row.refresh_from_db()
    assert model_to_dict(row) == before
    assert admin_client_for_rules.get(reverse("home")).status_code == 200


def test_a_plausible_rule_change_is_still_saved(admin_client_for_rules):
    row = rule()
    url = reverse("admin:tracker_monitoringrule_change", args=[row.pk])
    data = page_form(admin_client_for_rules.get(url))
    data.update(lead="10", due_offset="-30")
    assert admin_client_for_rules.post(url, data).status_code == 302
    row.refresh_from_db()
    assert (row.lead, row.due_offset) == (10, -30)


def test_a_rule_whose_window_ends_before_it_starts_is_refused(admin_client_for_rules):
    row = rule()
    url = reverse("admin:tracker_monitoringrule_change", args=[row.pk])
    data = page_form(admin_client_for_rules.get(url))
    data.update(window_from="10", window_to="-10")
    response = admin_client_for_rules.post(url, data)
    assert response.context["adminform"].form.errors["window_to"]


def test_the_model_refuses_impossible_values_whatever_edits_it():
    row = rule()
    row.due_offset = 2**31 - 1
    row.due_anchor = "next_full_moon"
    row.analytes = {"alt": 1}
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert {"due_offset", "due_anchor", "analytes"} <= set(refused.value.message_dict)


def test_the_model_refuses_a_row_the_engine_cannot_load():
    row = rule("US-B4")
    row.prerequisites = [{"rule": "NO-SUCH", "min_days": 19}]
    with pytest.raises(ValidationError, match="would not load"):
        row.full_clean()


def test_a_new_rule_is_checked_against_the_rule_set_too():
    new = MonitoringRule(
        code="US-X1", profile="US", name="extra lab", satisfier="lab", analytes=[], interval=30
    )
    with pytest.raises(ValidationError, match="lists its analytes"):
        new.full_clean()
