"""A worklist page is kept whole for its session and served again while nothing it shows has
changed, and never once anything has.

What it shows comes from the worklist's rows, the patients' names and MRNs, the clinicians'
names and who is a clinician. Database triggers give the worklist's revision a new token with any
change to those, in the transaction of the change, and the kept page is keyed by that revision.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection, transaction
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patients.models import Patient
from patients.roles import CLINICIAN, STAFF
from tests import factories
from tests.tracker.test_worklist import critical_tg, make_course
from tracker.models import WorklistEntry
from tracker.web.selectors import worklist_revision

pytestmark = pytest.mark.django_db

HOME = "/"


@pytest.fixture
def clinic(alice):
    first = make_course(alice, mrn="K1", clinician=alice)
    make_course(alice, mrn="K2", profile="UK", started_days_ago=40)
    return first


def kept_client(user) -> Client:
    """A logged-in client that has drawn the worklist once, so it has its CSRF cookie."""
    client = Client()
    client.force_login(user)
    assert client.get(HOME).status_code == 200
    return client


def get(client, url=HOME, **headers):
    """The page, and the SQL it ran."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response, [query["sql"] for query in captured]


def drawn(queries) -> bool:
    """Whether the page was drawn afresh: its rows and counts were read."""
    return any("tracker_worklistentry" in sql for sql in queries)


def test_a_repeated_page_is_served_kept_with_the_same_content(bob, clinic):
    client = kept_client(bob)
    first, queries = get(client)
    assert drawn(queries)
    again, queries = get(client)
    assert not drawn(queries)
    assert len(queries) == 3  # the session, the user and the revision
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert "Worklist" in again.text
    assert "FamilyK1" in again.text


def open_alerts(page) -> int:
    return int(re.search(r"(\d+)</div>open alerts", page.text).group(1))


def test_a_recorded_result_shows_at_once(bob, alice, clinic):
    client = kept_client(bob)
    get(client)
    assert open_alerts(get(client)[0]) == 0
    critical_tg(clinic, alice)
    page, queries = get(client)
    assert drawn(queries)
    assert open_alerts(page) == 1
    assert "level-critical" in page.text


def test_each_page_of_a_view_and_each_view_is_kept_apart(bob, clinic):
    client = kept_client(bob)
    for url in (HOME, HOME + "?status=overdue", HOME + "?profile=UK", HOME + "?page=2"):
        get(client, url)
    assert "FamilyK2" not in get(client, HOME + "?profile=US")[0].text
    assert "FamilyK1" not in get(client, HOME + "?profile=UK")[0].text
    assert "FamilyK2" in get(client, HOME + "?profile=UK")[0].text


def test_the_results_alone_and_the_whole_page_are_kept_apart(bob, clinic):
    client = kept_client(bob)
    whole = get(client)[0]
    partial = get(client, HX_Request="true")[0]
    assert "<html" in whole.text
    assert "<html" not in partial.text
    assert "<html" not in get(client, HX_Request="true")[0].text
    assert "<html" in get(client)[0].text


def test_a_page_is_never_served_to_another_session_or_user(bob, clinic):
    ben = factories.staff(username="ben", first_name="Ben", last_name="Okafor")
    for_bob = kept_client(bob)
    get(for_bob)
    get(for_bob)
    for_ben = kept_client(ben)
    page, queries = get(for_ben)
    assert drawn(queries)
    assert "Ben Okafor" in page.text
    # Bob again, in a new session: drawn for that session.
    again = kept_client(bob)
    page, queries = get(again)
    assert drawn(queries)
    assert "Ben Okafor" not in page.text


@pytest.mark.parametrize("cookie", [None, "not-a-csrf-secret"])
def test_a_page_drawn_with_a_new_csrf_secret_is_not_kept(bob, clinic, cookie):
    """Its forms carry a token for the new secret, which the browser has yet to store."""
    client = Client()
    client.force_login(bob)
    for _ in range(2):
        if cookie is None:
            client.cookies.pop(settings.CSRF_COOKIE_NAME, None)
        else:
            client.cookies[settings.CSRF_COOKIE_NAME] = cookie
        _, queries = get(client)
        assert drawn(queries)


def test_my_patients_are_each_users_own(alice, bob, clinic):
    dana = factories.clinician(username="dana")
    make_course(alice, mrn="K9", clinician=dana)
    for_alice, for_dana = kept_client(alice), kept_client(dana)
    for _ in range(2):
        assert "FamilyK9" not in get(for_alice, HOME + "?mine=on")[0].text
        assert "FamilyK9" in get(for_dana, HOME + "?mine=on")[0].text
        assert "FamilyK1" not in get(for_dana, HOME + "?mine=on")[0].text


def waiting_message(client, text: str) -> None:
    """Leave a message for the next page, as a redirect after a saved form does."""
    encoded = CookieStorage(HttpRequest())._encode([Message(constants.SUCCESS, text)])
    client.cookies[CookieStorage.cookie_name] = encoded


def test_a_waiting_message_is_shown_once_and_never_kept(bob, clinic):
    client = kept_client(bob)
    get(client)
    get(client)  # kept now
    waiting_message(client, "Outreach letter queued.")
    page, queries = get(client)
    assert "Outreach letter queued." in page.text
    assert drawn(queries)
    page, _ = get(client)
    assert "Outreach letter queued." not in page.text
    page, _ = get(client)
    assert "Outreach letter queued." not in page.text


def test_a_new_day_draws_a_new_page(bob, clinic, monkeypatch):
    client = kept_client(bob)
    get(client)
    today = timezone.localdate()
    assert today.strftime("%A") in get(client)[0].text
    tomorrow = today + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    page, queries = get(client)
    assert drawn(queries)
    assert tomorrow.strftime("%A") in page.text


def rename_patient(clinic, alice):
    from patients import services

    patient = clinic.patient
    services.patient_update(patient=patient, by=alice, family_name="Renamed")
    return "Renamed"


def rename_clinician(clinic, alice):
    alice.last_name = "Adeyemi-Renamed"
    alice.save(update_fields=["last_name"])
    return "Adeyemi-Renamed"


def clinician_joins(clinic, alice):
    newcomer = factories.UserFactory(username="newcomer")
    newcomer.groups.add(Group.objects.get(name=CLINICIAN))
    return "newcomer"


def rename_mrn_in_bulk(clinic, alice):
    Patient.objects.filter(pk=clinic.patient_id).update(mrn="K1-NEW")
    return "K1-NEW"


@pytest.mark.parametrize(
    "change", [rename_patient, rename_clinician, clinician_joins, rename_mrn_in_bulk]
)
def test_a_change_to_a_name_shown_draws_the_page_again(bob, alice, clinic, change):
    client = kept_client(bob)
    get(client)
    get(client)
    shown = change(clinic, alice)
    page, _ = get(client)
    assert shown in page.text


def test_a_clinician_who_leaves_is_no_longer_offered(bob, alice, clinic):
    client = kept_client(bob)
    get(client)
    assert re.search(rf'<option value="{alice.pk}"', get(client)[0].text)
    alice.groups.remove(Group.objects.get(name=CLINICIAN))
    assert not re.search(rf'<option value="{alice.pk}"', get(client)[0].text)


def take_the_permission_from_the_role(bob):
    Group.objects.get(name=STAFF).permissions.remove(
        Permission.objects.get(codename="view_patient_data")
    )


def take_the_role(bob):
    bob.groups.clear()


def grant_then_take_superuser(bob):
    bob.groups.clear()
    User.objects.filter(pk=bob.pk).update(is_superuser=True)
    return "superuser"


@pytest.mark.parametrize(
    "change", [take_the_permission_from_the_role, take_the_role, grant_then_take_superuser]
)
def test_a_kept_page_is_never_served_once_the_user_may_not_see_it(bob, clinic, change):
    client = kept_client(bob)
    get(client)
    change(bob)
    if change is grant_then_take_superuser:
        get(client)  # a superuser sees every page: drawn and kept again
        User.objects.filter(pk=bob.pk).update(is_superuser=False)
    page, queries = get(client)
    assert not drawn(queries)
    assert "FamilyK1" not in page.text
    assert "has no role yet" in page.text


def test_a_login_does_not_change_the_revision(alice, clinic):
    before = worklist_revision()
    Client().force_login(alice)  # writes last_login
    assert worklist_revision() == before


def test_a_rolled_back_change_keeps_the_revision(alice, clinic):
    before = worklist_revision()
    with transaction.atomic():
        Patient.objects.filter(pk=clinic.patient_id).update(family_name="Never")
        transaction.set_rollback(True)
    assert worklist_revision() == before


def tracked_tables() -> set[str]:
    """The tables whose changes give the worklist's revision a new token, as the database's
    own triggers say."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT event_object_table FROM information_schema.triggers "
                "WHERE action_statement LIKE %s",
                ["%tracker_worklist_revise%"],
            )
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE %s",
                ["%tracker_worklistrevision%"],
            )
        return {row[0] for row in cursor.fetchall()}


# Read by every page but part of the key rather than of what the page shows: the session (its
# key, navigation facts and CSRF cookie) and the revision itself.
KEYED_TABLES = {"django_session", "tracker_worklistrevision"}


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        (HOME, {}),
        (HOME + "?status=overdue&profile=US&sort=patient", {}),
        (HOME + "?mine=on&hidden=on&page=2", {}),
        (HOME + "?clinician=1&level=critical", {}),
        (HOME + "?status=nonsense", {}),
        (HOME + "?item_kind=lab", {"HX_Request": "true"}),
    ],
)
def test_every_table_a_page_reads_is_tracked_by_the_revision(bob, alice, clinic, url, headers):
    """A page that read a table the revision does not follow could be served stale."""
    critical_tg(clinic, alice)
    client = kept_client(bob)
    WorklistEntry.objects.filter(course=clinic).update(last_outreach="")  # drawn afresh
    _, queries = get(client, url, **headers)
    assert drawn(queries)
    read = set()
    for sql in queries:
        read |= set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', sql))
    assert read - KEYED_TABLES <= tracked_tables()
    assert {"tracker_worklistentry", "patients_patient", "auth_user"} <= tracked_tables()
