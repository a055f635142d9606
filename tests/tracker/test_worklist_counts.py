"""The counts at the top of the worklist, and the row count of a filtered view, follow every
change to the worklist's rows, whichever way the rows are changed (the services, a bulk update,
a delete), and the day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.tracker.test_worklist import critical_tg, make_course
from tracker.models import WorklistEntry
from tracker.monitoring.selectors import visible_entries, worklist_counts

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


@pytest.fixture
def clinic(alice):
    first = make_course(alice, mrn="C1")
    make_course(alice, mrn="C2", profile="UK", started_days_ago=40)
    return first


def counted(day) -> dict:
    """The visible entries by status, counted one by one."""
    visible = visible_entries(WorklistEntry.objects.all(), day)
    return {
        status: visible.filter(status=status).count() for status in ("overdue", "due_soon", "open")
    }


def shown(client) -> dict:
    """The counts the worklist page shows."""
    return client.get(reverse("home")).context["counts"]


def test_the_page_shows_new_counts_after_a_result_is_recorded(client, alice, clinic):
    client.force_login(alice)
    before = shown(client)
    assert before["status"]["open"] == 0
    critical_tg(clinic, alice)
    after = shown(client)
    assert after["status"]["open"] == 1
    assert after["status"] == counted(today())


@pytest.mark.parametrize(
    "change",
    [
        "bulk update",
        "delete",
        "bulk insert",
    ],
)
def test_every_kind_of_change_to_the_rows_shows_in_the_counts(clinic, change):
    before = worklist_counts(today())
    entries = WorklistEntry.objects.filter(course=clinic)
    if change == "bulk update":
        entries.filter(status="overdue").update(waived=True)
    elif change == "delete":
        entries.filter(status="overdue").delete()
    else:
        entry = entries.filter(status="overdue").first()
        entry.pk = None
        entry.key = "copy-of-" + entry.key
        WorklistEntry.objects.bulk_create([entry])
    after = worklist_counts(today())
    assert after != before
    assert after["status"] == counted(today())


def test_counts_follow_the_day(clinic):
    """A snooze ends with the day: its entry is counted again the next day."""
    entry = WorklistEntry.objects.filter(course=clinic, status="overdue").first()
    entry.snoozed_until = today()
    entry.save()
    tomorrow = today() + dt.timedelta(days=1)
    assert worklist_counts(today())["status"] == counted(today())
    assert worklist_counts(tomorrow)["status"] == counted(tomorrow)
    assert worklist_counts(tomorrow)["total"] == worklist_counts(today())["total"] + 1


# --- the row count of a filtered view -----------------------------------------------------------


def rows_counted(client, query: str) -> int:
    """The number of rows the worklist says a filtered view has (its pages are cut from it)."""
    return client.get(reverse("home") + query).context["page"].paginator.count


def visible(**filters) -> int:
    return visible_entries(WorklistEntry.objects.filter(**filters), today()).count()


def test_a_filtered_views_row_count_follows_a_change(client, alice, clinic):
    client.force_login(alice)
    assert rows_counted(client, "?status=open") == 0
    critical_tg(clinic, alice)
    assert rows_counted(client, "?status=open") == 1 == visible(status="open")
    WorklistEntry.objects.filter(status="overdue", profile="US").update(waived=True)
    assert rows_counted(client, "?status=overdue&profile=US") == 0


def test_each_filter_and_each_users_own_patients_are_counted_apart(client, alice, bob):
    other = factories.clinician(username="dora")
    make_course(alice, mrn="A1", clinician=alice)
    make_course(alice, mrn="A2", clinician=alice, profile="UK", started_days_ago=40)
    make_course(alice, mrn="D1", clinician=other)
    client.force_login(alice)
    for query, filters in [
        ("?status=overdue", {"status": "overdue"}),
        ("?status=due_soon", {"status": "due_soon"}),
        ("?profile=UK", {"profile": "UK"}),
        ("?mine=on", {"responsible_clinician": alice}),
    ]:
        assert rows_counted(client, query) == visible(**filters), query
    client.force_login(other)
    assert rows_counted(client, "?mine=on") == visible(responsible_clinician=other)
    assert visible(responsible_clinician=other) != visible(responsible_clinician=alice)
