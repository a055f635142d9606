"""The rule set's revision: raised by every save and delete of a rule-set row, bulk ones too, so
every process sees a change at once; each course's stored summary says which revision it was
evaluated with, and the patient page shows it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from patients import services
from tests.html_forms import page_form
from tracker.models import (
    AlertThreshold,
    CourseMonitoring,
    DispensingCheck,
    MonitoringItem,
    MonitoringRule,
    ProfileSetting,
    RuleSetRevision,
    RuleSetSetting,
)
from tracker.monitoring import rulesets
from tracker.monitoring.rulesets import current_rules, current_ruleset

pytestmark = pytest.mark.django_db


def revision() -> int:
    return RuleSetRevision.objects.get().number


def copy_of(row):
    row.pk = None
    row.code = "US-X9" if isinstance(row, MonitoringRule) else getattr(row, "code", "")
    return row


WRITES = {
    "save": lambda: MonitoringRule.objects.first().save(),
    "delete": lambda: AlertThreshold.objects.first().delete(),
    "update": lambda: MonitoringRule.objects.filter(code="US-R1").update(lead=3),
    "queryset delete": lambda: DispensingCheck.objects.filter(code="RX-SUPPLY").delete(),
    "bulk create": lambda: MonitoringRule.objects.bulk_create(
        [copy_of(MonitoringRule.objects.get(code="US-B1"))]
    ),
    "bulk update": lambda: ProfileSetting.objects.bulk_update(
        list(ProfileSetting.objects.all()), ["ready_test_window_days"]
    ),
    "settings": lambda: RuleSetSetting.objects.update(default_uln=45),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_write_of_a_rule_set_row_raises_the_revision(write):
    before = revision()
    WRITES[write]()
    assert revision() == before + 1


def test_a_rolled_back_write_leaves_the_revision_as_it_was():
    before = revision()
    with transaction.atomic():
        MonitoringRule.objects.filter(code="US-R1").update(lead=3)
        transaction.set_rollback(True)
    assert revision() == before


def test_deleting_an_older_row_elsewhere_is_seen_without_clearing_anything():
    """Another process deletes the oldest rule row (a bulk delete, as the admin's "delete
    selected" does): this process, its rule set kept, sees the change on its next read."""
    oldest = MonitoringRule.objects.order_by("pk").first()
    assert any(r.code == oldest.code for r in current_ruleset().rules)
    kept = current_ruleset()
    MonitoringRule.objects.filter(pk=oldest.pk).delete()  # updated_at and MAX(id) unchanged
    assert current_ruleset() is not kept
    rows = {(r.code, r.profile) for r in current_ruleset().rules}
    assert (oldest.code, oldest.profile) not in rows


def test_an_unchanged_rule_set_is_kept_in_the_process(django_assert_num_queries):
    current_ruleset()
    with django_assert_num_queries(1):  # the revision alone
        current_ruleset()


def test_a_rule_set_read_inside_a_rolled_back_change_is_not_kept():
    with transaction.atomic():
        MonitoringRule.objects.filter(code="US-R1").update(lead=3)
        inside = current_ruleset()
        transaction.set_rollback(True)
    # Another change takes the same number, with other rows.
    MonitoringRule.objects.filter(code="US-R1").update(lead=5)
    assert current_ruleset() is not inside
    assert {r.lead for r in current_ruleset().rules if r.code == "US-R1"} == {5}


# The stored summary and the pages --------------------------------------------------------------


@pytest.fixture
def course(alice):
    patient = services.patient_create(
        mrn="REV1",
        given_name="Rita",
        family_name="Vision",
        date_of_birth=dt.date(1995, 5, 5),
        profile="US",
        category="can_get_pregnant",
        by=alice,
    )
    return services.course_create(
        patient=patient,
        start=timezone.localdate() - dt.timedelta(days=40),
        weight_kg=60,
        by=alice,
    )


def test_a_stored_summary_says_the_revision_it_was_evaluated_with(course):
    assert CourseMonitoring.objects.get(course=course).ruleset_revision == revision()


def test_the_patient_page_says_when_and_with_which_revision(client, alice, course):
    client.force_login(alice)
    page = client.get(reverse("patients:detail", args=[course.patient_id])).text
    today = timezone.localdate()
    assert f"Evaluated on {today:%-d %b %Y} with schedule revision {revision()}." in page


def test_a_summary_of_an_older_revision_is_evaluated_again_for_the_page(client, alice, course):
    stored = revision()
    MonitoringRule.objects.filter(code="US-B1").update(active=False)  # switched off, in bulk
    client.force_login(alice)
    page = client.get(reverse("patients:detail", args=[course.patient_id])).text
    assert f"with schedule revision {stored + 1};" in page
    assert f"with revision {stored}, is brought up to date" in page
    # The page shows what the changed rules say (no US-B1), and wrote nothing.
    assert 'data-item="US-B2"' in page
    assert 'data-item="US-B1"' not in page
    assert MonitoringItem.objects.filter(course=course, code="US-B1").exists()
    assert CourseMonitoring.objects.get(course=course).ruleset_revision == stored


@pytest.fixture
def clinic_admin(carol):
    carol.is_staff = True
    carol.save()
    return carol


@pytest.fixture
def superuser(db):
    from tests import factories

    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)


def test_the_admins_bulk_delete_re_evaluates_like_a_single_delete(client, superuser, course):
    """Deleting is for superusers (clinic admins switch rules off)."""
    rule = MonitoringRule.objects.get(code="US-B7", profile="US")
    assert MonitoringItem.objects.filter(course=course, code="US-B7").exists()
    client.force_login(superuser)
    url = reverse("admin:tracker_monitoringrule_changelist")
    response = client.post(
        url, {"action": "delete_selected", "_selected_action": [rule.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not MonitoringRule.objects.filter(pk=rule.pk).exists()
    assert not MonitoringItem.objects.filter(course=course, code="US-B7").exists()
    summary = CourseMonitoring.objects.get(course=course)
    assert summary.ruleset_revision == revision() == current_rules().revision


def test_the_admins_single_save_raises_the_revision_and_re_evaluates(client, clinic_admin, course):
    before = revision()
    rule = MonitoringRule.objects.get(code="US-R1", profile="US")
    client.force_login(clinic_admin)
    url = reverse("admin:tracker_monitoringrule_change", args=[rule.pk])
    data = page_form(client.get(url))
    data["lead"] = "2"
    assert client.post(url, data).status_code == 302
    assert revision() == before + 1
    assert CourseMonitoring.objects.get(course=course).ruleset_revision == before + 1


def test_the_cache_is_per_process_state_only():
    rulesets.clear_cache()
    assert current_rules().revision == revision()
