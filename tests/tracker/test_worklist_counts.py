"""The counts at the top of the worklist, and the row count of a filtered view, are kept
between requests, and are never stale.

They are kept under the worklist's revision, which database triggers change with every change to
the worklist's rows, whichever way the rows are changed (the services, a bulk update, a delete),
and which a rolled-back change leaves as it was.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.tracker.test_worklist import critical_tg, make_course
from tracker.models import WorklistEntry
from tracker.web.filters import visible_entries
from tracker.web.selectors import _count_worklist, worklist_counts, worklist_revision

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


@pytest.fixture
def clinic(alice):
    first = make_course(alice, mrn="C1")
    make_course(alice, mrn="C2", profile="UK", started_days_ago=40)
    return first


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
    assert after == _count_worklist(today())


def test_counts_are_kept_until_the_worklist_changes(clinic):
    first = worklist_counts(today())
    with CaptureQueriesContext(connection) as captured:
        again = worklist_counts(today())
    assert again == first
    assert len(captured) == 1  # the revision alone; nothing counted again


@pytest.mark.parametrize(
    "change",
    [
        "bulk update",
        "delete",
        "bulk insert",
    ],
)
def test_every_kind_of_change_to_the_rows_gives_new_counts(clinic, change):
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
    assert after == _count_worklist(today())


def test_a_rolled_back_change_leaves_no_counts_behind(clinic):
    before = worklist_counts(today())
    revision = worklist_revision()
    with transaction.atomic():
        WorklistEntry.objects.filter(course=clinic, status="overdue").update(waived=True)
        inside = worklist_counts(today())  # counted, and kept, inside the transaction
        assert inside["status"]["overdue"] < before["status"]["overdue"]
        transaction.set_rollback(True)
    assert worklist_revision() == revision
    assert worklist_counts(today()) == before
    # The next change gets a revision of its own, not the rolled-back one's kept counts.
    WorklistEntry.objects.filter(course=clinic, status="due_soon").update(waived=True)
    assert worklist_counts(today()) == _count_worklist(today())
    assert worklist_counts(today()) != inside


def test_counts_are_kept_per_day(clinic):
    """A snooze ends with the day: the same revision is counted again the next day."""
    entry = WorklistEntry.objects.filter(course=clinic, status="overdue").first()
    entry.snoozed_until = today()
    entry.save()
    tomorrow = today() + dt.timedelta(days=1)
    assert worklist_counts(today()) == _count_worklist(today())
    assert worklist_counts(tomorrow) == _count_worklist(tomorrow)
    assert worklist_counts(tomorrow)["total"] == worklist_counts(today())["total"] + 1


# --- the row count of a filtered view -----------------------------------------------------------


def rows_counted(client, query: str) -> int:
    """The number of rows the worklist says a filtered view has (its pages are cut from it)."""
    return client.get(reverse("home") + query).context["page"].paginator.count


def visible(**filters) -> int:
    return visible_entries(WorklistEntry.objects.filter(**filters), today()).count()


def test_a_filtered_views_row_count_is_kept_until_the_worklist_changes(client, alice, clinic):
    client.force_login(alice)
    url = reverse("home") + "?status=overdue&profile=US"
    with CaptureQueriesContext(connection) as first:
        counted = client.get(url).context["page"].paginator.count
    with CaptureQueriesContext(connection) as again:
        assert client.get(url).context["page"].paginator.count == counted
    assert counted == visible(status="overdue", profile="US") > 0
    counting = [q["sql"] for q in first if q["sql"].startswith("SELECT COUNT(*)")]
    assert counting  # the first request counted the view's rows ...
    assert not [q for q in again if q["sql"] in counting]  # ... the second did not
    assert len(again) < len(first)


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
