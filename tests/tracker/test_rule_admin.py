"""Clinic admins edit the schedules and thresholds in the admin; others cannot."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.html_forms import page_form
from tracker.models import AlertThreshold, MonitoringRule

pytestmark = pytest.mark.django_db

EDITABLE = [
    "monitoringrule",
    "dispensingcheck",
    "alertthreshold",
    "profilesetting",
    "rulesetsetting",
]


@pytest.fixture
def clinic_admin(carol):
    carol.is_staff = True  # the admin site needs staff status as well as the role
    carol.save()
    return carol


@pytest.mark.parametrize("model", EDITABLE)
def test_clinic_admin_can_open_every_part_of_the_rule_set(client, clinic_admin, model):
    client.force_login(clinic_admin)
    response = client.get(reverse(f"admin:tracker_{model}_changelist"))
    assert response.status_code == 200


def test_clinic_admin_changes_a_threshold_and_it_is_kept_in_the_history(client, clinic_admin):
    threshold = AlertThreshold.objects.filter(analyte="triglycerides", level="high").get()
    client.force_login(clinic_admin)
    url = reverse("admin:tracker_alertthreshold_change", args=[threshold.pk])
    data = page_form(client.get(url))
    data["value"] = "450"
    assert client.post(url, data).status_code == 302
    threshold.refresh_from_db()
    assert threshold.value == 450
    latest = threshold.history.first()
    assert (latest.value, latest.history_user) == (450, clinic_admin)


def test_a_clinician_cannot_edit_the_rules(client, alice):
    alice.is_staff = True
    alice.save()
    client.force_login(alice)
    rule = MonitoringRule.objects.first()
    response = client.get(reverse("admin:tracker_monitoringrule_change", args=[rule.pk]))
    assert response.status_code in (302, 403)
