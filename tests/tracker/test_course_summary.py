"""The printable course summary page."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse

from patients import services
from tests.tracker.test_grid import TODAY, build_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(alice):
    return build_history(alice, clinician=alice)


@pytest.fixture
def url(course):
    return reverse("tracker:course_summary", args=[course.pk])


@pytest.fixture(autouse=True)
def on_today():
    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        yield


def test_url_is_under_monitoring(url, course):
    assert url == f"/monitoring/courses/{course.pk}/summary/"


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_clinician_and_staff_can_open_the_summary(client, request, url, user):
    client.force_login(request.getfixturevalue(user))
    response = client.get(url)
    assert response.status_code == 200


def test_anonymous_visitor_is_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_unknown_course_is_404(client, alice):
    client.force_login(alice)
    assert client.get(reverse("tracker:course_summary", args=[999999])).status_code == 404


def test_summary_refuses_post(client, alice, url):
    client.force_login(alice)
    assert client.post(url).status_code == 405


def test_summary_lists_every_item_with_status_due_and_explanation(client, alice, url, course):
    client.force_login(alice)
    text = client.get(url).text
    for code in course.items.values_list("code", flat=True):
        assert f'data-item="{code}"' in text
    assert "Monthly programme confirmation (counselling)" in text
    assert "Overdue: monthly programme confirmation" in text  # the explanation
    assert "29 Apr 2026" in text  # its due date
    assert "Lab result, 5 May 2026" in text  # a satisfying event


def test_summary_shows_patient_course_readiness_alerts_dose_and_latest_results(client, alice, url):
    client.force_login(alice)
    text = client.get(url).text
    assert "SILVA, Ana" in text
    assert "G1" in text  # MRN
    assert "2 Mar 2026" in text  # start
    assert "150 mg/kg" in text  # target
    assert "No: these conditions are not met" in text
    assert "US-R2: Overdue" in text  # an unmet condition
    assert "Open alerts" in text
    assert "triglycerides ≥ 500 mg/dL" in text  # the high triglyceride alert
    assert "67.3 mg/kg" in text  # cumulative dose on 10 June
    assert "Latest results" in text
    assert "Triglycerides 600 mg/dL" in text


def test_summary_includes_the_grid_and_the_charts(client, alice, url):
    client.force_login(alice)
    text = client.get(url).text
    assert "Monitoring month by month" in text
    assert 'aria-current="date"' in text
    assert text.count('role="img"') == 3


def test_printed_on_footer_names_the_user(client, alice, url):
    alice.first_name, alice.last_name = "Alice", "Moreau"
    alice.save()
    client.force_login(alice)
    text = client.get(url).text
    assert "Printed on" in text
    assert "by Alice Moreau" in text


def test_print_button_is_wired_by_a_static_script_without_inline_code(client, alice, url):
    client.force_login(alice)
    text = client.get(url).text
    assert "data-print" in text
    assert "js/print.js" in text
    assert "onclick" not in text
    assert "style=" not in text
    assert "<style" not in text


def test_entered_in_error_result_is_not_the_latest(client, alice, url, course):
    wrong = course.labresults.get(analyte="triglycerides", date=dt.date(2026, 5, 5))
    services.record_mark_entered_in_error(
        record=wrong, reason="other patient", by=alice, today=TODAY
    )
    client.force_login(alice)
    text = client.get(url).text
    assert "Triglycerides 600 mg/dL" not in text
    assert "Triglycerides 98 mg/dL" in text
