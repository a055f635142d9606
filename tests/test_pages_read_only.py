"""Pages read; they never write monitoring state. A GET of every URL of the site (found by the
walker of ``tests/test_access.py``), by a clinician and by clinic staff, leaves the monitoring
tables exactly as they were, even when the stored state is a day old and wrong; the patient
page then shows today's state, evaluated in memory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.test_access import CASES, Case, World, _build_world, _ids
from tracker.models import (
    CourseMonitoring,
    MonitoringAlert,
    MonitoringItem,
    ReviewAction,
    StatusChange,
    WorklistEntry,
)

MONITORING_TABLES = (
    CourseMonitoring,
    MonitoringItem,
    MonitoringAlert,
    WorklistEntry,
    StatusChange,
    ReviewAction,
)
STALE = "Stored yesterday, and wrong since"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        world = _build_world(factories.clinician(username="read-only-clinician"))
        yesterday = timezone.localdate() - timedelta(days=1)
        CourseMonitoring.objects.update(evaluated_on=yesterday)
        MonitoringItem.objects.filter(course=world.course).update(
            evaluated_on=yesterday, explanation=STALE
        )
        yield world
        transaction.set_rollback(True)


def snapshot() -> dict[str, list[tuple]]:
    return {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for model in MONITORING_TABLES
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["clinician", "staff"])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_a_page_writes_no_monitoring_state(case: Case, role, client, world):
    url = case.url(world)
    user = factories.clinician(username="reader") if role == "clinician" else None
    client.force_login(user or factories.staff(username="reader"))
    before = snapshot()
    client.get(url)
    assert snapshot() == before, f"GET {url} as {role} wrote monitoring state"


@pytest.mark.django_db
def test_a_course_stored_yesterday_is_shown_as_of_today(client, world, bob):
    client.force_login(bob)
    page = client.get(reverse("patients:detail", args=[world.patient.pk])).text
    today = timezone.localdate()
    assert f"Evaluated for this page on {today:%-d %b %Y}" in page
    assert STALE not in page  # today's explanations, not the stored ones
    item = MonitoringItem.objects.filter(course=world.course).order_by("code").first()
    assert f'data-item="{item.code}"' in page
    summary = client.get(reverse("tracker:course_summary", args=[world.course.pk])).text
    assert STALE not in summary
