"""What the worklist page draws: the row count and pages, the filter form, the row links."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.tracker.test_worklist import critical_tg, make_course
from tracker.models import WorklistEntry
from tracker.monitoring import review as monitoring
from tracker.web import views

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(alice):
    """Three courses with overdue and due-soon items and one critical alert."""
    first = make_course(alice, mrn="P1", clinician=alice)
    make_course(alice, mrn="P2", profile="UK", started_days_ago=40)
    make_course(alice, mrn="P3", profile="EU", category="cannot_get_pregnant")
    critical_tg(first, alice)
    return first


def filter_form(html: str) -> str:
    start = html.index('id="worklist-filters"')
    return html[start : html.index("</form>", start)]


def every_row(client, query: str) -> tuple[int, list[int]]:
    """The row count the page states, and the rows of every page of the view."""
    url = reverse("home") + "?" + query
    first = client.get(url)
    stated = first.context["page"].paginator.count
    rows = []
    for number in range(1, first.context["page"].paginator.num_pages + 1):
        page = client.get(url + f"&page={number}").context["page"]
        rows.extend(entry.pk for entry in page)
    return stated, rows


@pytest.mark.parametrize(
    "query",
    ["", "sort=patient", "status=overdue", "profile=UK", "mine=on", "clinician=abc", "hidden=on"],
)
def test_the_stated_row_count_is_the_number_of_rows_on_all_pages(
    client, alice, clinic, monkeypatch, query
):
    monkeypatch.setattr(views, "WORKLIST_PAGE_SIZE", 3)
    client.force_login(alice)
    stated, rows = every_row(client, query)
    assert rows  # every view of this clinic has something to show
    assert stated == len(rows) == len(set(rows))


def test_a_snoozed_item_leaves_the_count_and_hidden_filter_brings_it_back(client, alice, clinic):
    client.force_login(alice)
    before, _ = every_row(client, "")
    entry = WorklistEntry.objects.filter(kind="item", course=clinic).first()
    monitoring.review_snooze(
        course=clinic,
        key=entry.key,
        until=timezone.localdate() + dt.timedelta(days=5),
        reason="Patient away",
        by=alice,
    )
    after, rows = every_row(client, "")
    assert after == before - 1
    assert entry.pk not in rows
    with_hidden, rows = every_row(client, "hidden=on")
    assert with_hidden == before
    assert entry.pk in rows


def test_counts_at_the_top_add_up_to_the_rows(client, bob, clinic):
    client.force_login(bob)
    response = client.get(reverse("home"))
    counts = response.context["counts"]
    assert sum(counts["status"].values()) == response.context["page"].paginator.count
    assert counts["status"]["open"] == 1  # the critical triglycerides


def test_the_filter_form_shows_the_filters_of_the_view(client, bob, alice, clinic):
    client.force_login(bob)
    query = f"status=overdue&status=open&item_kind=lab&clinician={alice.pk}&mine=on&sort=due"
    html = client.get(reverse("home") + "?" + query).text
    form = filter_form(html)
    checked = set(re.findall(r'name="status" value="(\w+)"[^>]*checked', form))
    assert checked == {"overdue", "open"}
    assert re.search(r'<option value="lab" selected>', form)
    assert re.search(rf'<option value="{alice.pk}" selected>', form)
    assert re.search(r'<option value="due" selected>', form)
    assert re.search(r'name="mine" id="id_mine" checked', form)
    assert 'name="hidden" id="id_hidden">' in form  # not chosen, not checked
    # Each label belongs to its control.
    for control_id in re.findall(r'<input[^>]* id="(id_status_\d)"', form):
        assert f'for="{control_id}"' in form


def test_a_clinician_who_joins_is_offered_by_the_filter_at_once(client, bob, alice, clinic):
    client.force_login(bob)
    assert "dana" not in filter_form(client.get(reverse("home")).text)
    dana = factories.clinician(username="dana")
    make_course(alice, mrn="P9", clinician=dana)
    response = client.get(reverse("home") + f"?clinician={dana.pk}")
    assert re.search(
        rf'<option value="{dana.pk}" selected>dana</option>', filter_form(response.text)
    )
    assert {entry.patient.mrn for entry in response.context["page"]} == {"P9"}


def test_an_unchosen_filter_form_selects_any(client, bob, clinic):
    client.force_login(bob)
    html = client.get(reverse("home")).text
    form = filter_form(html)
    assert "checked" not in form
    assert form.count('<option value="" selected>Any</option>') == 5
    assert '<option value="urgency" selected>' in form


def test_row_links_lead_to_the_patient_and_the_review_page(client, bob, clinic):
    client.force_login(bob)
    response = client.get(reverse("home"))
    for entry in response.context["page"]:
        patient = reverse("patients:detail", args=[entry.patient_id])
        review = reverse("tracker:review", args=[entry.course_id, entry.key])
        assert f'href="{patient}"' in response.text
        assert f'href="{review}"' in response.text
        assert client.get(review).status_code == 200


def test_long_details_are_shortened_with_an_ellipsis(client, bob, clinic):
    entry = WorklistEntry.objects.filter(course=clinic, kind="item").first()
    WorklistEntry.objects.filter(pk=entry.pk).update(detail="word " * 60)
    client.force_login(bob)
    row = client.get(reverse("home")).text.split(f'data-key="{entry.key}"')[1].split("</tr>")[0]
    detail = row.split('<span class="small text-muted">')[2].split("</span>")[0]
    assert len(detail) <= 140
    assert detail.endswith("…")


@pytest.mark.parametrize("query", ["", "status=overdue", "profile=UK&sort=patient"])
def test_the_htmx_results_state_the_same_row_count_as_the_page(client, bob, clinic, query):
    client.force_login(bob)
    url = reverse("home") + "?" + query
    full = client.get(url).context["page"].paginator.count
    partial = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in partial.text
    assert partial.context["page"].paginator.count == full
    assert f"{full} row" in partial.text


# What the page shows is always current ---------------------------------------------------------


def open_alerts(page) -> int:
    return int(re.search(r"(\d+)</div>open alerts", page.text).group(1))


def test_a_recorded_result_shows_at_once(client, bob, alice):
    course = make_course(alice, mrn="K1", clinician=alice)
    client.force_login(bob)
    assert open_alerts(client.get(reverse("home"))) == 0
    critical_tg(course, alice)
    page = client.get(reverse("home"))
    assert open_alerts(page) == 1
    assert "level-critical" in page.text


def test_each_view_shows_its_own_rows(client, bob, alice):
    make_course(alice, mrn="K1", clinician=alice)
    make_course(alice, mrn="K2", profile="UK", started_days_ago=40)
    client.force_login(bob)
    assert "FamilyK2" not in client.get(reverse("home") + "?profile=US").text
    assert "FamilyK1" not in client.get(reverse("home") + "?profile=UK").text
    assert "FamilyK2" in client.get(reverse("home") + "?profile=UK").text


def test_my_patients_are_each_users_own(client, alice):
    dana = factories.clinician(username="dana")
    make_course(alice, mrn="K1", clinician=alice)
    make_course(alice, mrn="K9", clinician=dana)
    client.force_login(alice)
    assert "FamilyK9" not in client.get(reverse("home") + "?mine=on").text
    client.force_login(dana)
    mine = client.get(reverse("home") + "?mine=on").text
    assert "FamilyK9" in mine
    assert "FamilyK1" not in mine


def test_a_waiting_message_is_shown_once(client, bob, alice):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest

    make_course(alice, mrn="K1")
    client.force_login(bob)
    encoded = CookieStorage(HttpRequest())._encode([Message(constants.SUCCESS, "Letter queued.")])
    client.cookies[CookieStorage.cookie_name] = encoded
    assert "Letter queued." in client.get(reverse("home")).text
    assert "Letter queued." not in client.get(reverse("home")).text


def test_a_new_day_shows_the_new_date(client, bob, alice, monkeypatch):
    make_course(alice, mrn="K1")
    client.force_login(bob)
    today = timezone.localdate()
    assert today.strftime("%A") in client.get(reverse("home")).text
    tomorrow = today + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert tomorrow.strftime("%A") in client.get(reverse("home")).text


def rename_patient(course, alice):
    from patients import services

    services.patient_update(patient=course.patient, by=alice, family_name="Renamed")
    return "Renamed"


def rename_clinician(course, alice):
    alice.last_name = "Adeyemi-Renamed"
    alice.save(update_fields=["last_name"])
    return "Adeyemi-Renamed"


def clinician_joins(course, alice):
    from django.contrib.auth.models import Group

    from patients.roles import CLINICIAN

    factories.UserFactory(username="newcomer").groups.add(Group.objects.get(name=CLINICIAN))
    return "newcomer"


def rename_mrn_in_bulk(course, alice):
    from patients.models import Patient

    Patient.objects.filter(pk=course.patient_id).update(mrn="K1-NEW")
    return "K1-NEW"


@pytest.mark.parametrize(
    "change", [rename_patient, rename_clinician, clinician_joins, rename_mrn_in_bulk]
)
def test_a_change_to_a_name_shown_shows_at_once(client, bob, alice, change):
    course = make_course(alice, mrn="K1", clinician=alice)
    client.force_login(bob)
    client.get(reverse("home"))
    shown = change(course, alice)
    assert shown in client.get(reverse("home")).text


def test_a_clinician_who_leaves_is_no_longer_offered(client, bob, alice):
    from django.contrib.auth.models import Group

    from patients.roles import CLINICIAN

    make_course(alice, mrn="K1", clinician=alice)
    client.force_login(bob)
    assert re.search(rf'<option value="{alice.pk}"', client.get(reverse("home")).text)
    alice.groups.remove(Group.objects.get(name=CLINICIAN))
    assert not re.search(rf'<option value="{alice.pk}"', client.get(reverse("home")).text)


def test_someone_who_may_no_longer_see_patients_gets_the_start_page(client, bob, alice):
    make_course(alice, mrn="K1")
    client.force_login(bob)
    assert "FamilyK1" in client.get(reverse("home")).text
    bob.groups.clear()
    page = client.get(reverse("home")).text
    assert "FamilyK1" not in page
    assert "has no role yet" in page
