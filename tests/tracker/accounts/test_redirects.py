"""``next=`` sends the browser only to a path on this site: login, logout, review actions and
the two-factor step."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.tracker.test_worklist import make_course, overdue_key
from tracker.accounts.redirects import relative_path

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"

REFUSED = [
    "//evil.example",
    "//evil.example/patients/",
    "https://evil.example/",
    "http://testserver/patients/",  # this very host, but absolute
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "/\t/evil.example",
    "/\n/evil.example",
    "patients/",
    "",
    "data:text/html,<script>alert(1)</script>",
]
ACCEPTED = ["/patients/", "/patients/?q=Smith&page=2", "/", "/monitoring/schedules/#x"]


@pytest.mark.parametrize("url", REFUSED)
def test_anything_but_a_path_on_this_site_is_refused(url):
    assert relative_path(url) is None


@pytest.mark.parametrize("url", ACCEPTED)
def test_a_path_on_this_site_is_kept(url):
    assert relative_path(url) == url


def login(next_url: str):
    return Client().post(
        reverse("login"), {"username": "alice", "password": PASSWORD, "next": next_url}
    )


@pytest.mark.parametrize("url", REFUSED)
def test_login_ignores_a_next_that_leaves_the_site(alice, url):
    response = login(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_login_follows_a_next_on_this_site(alice):
    assert login("/patients/?q=Smith")["Location"] == "/patients/?q=Smith"


def test_the_login_page_does_not_carry_a_foreign_next_into_its_form():
    html = Client().get(reverse("login") + "?next=//evil.example").text
    assert "evil.example" not in html


def test_logout_ignores_a_next_that_leaves_the_site(client, alice):
    client.force_login(alice)
    response = client.post(reverse("logout"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("login")


def test_the_admin_login_sends_to_the_site_login_with_a_safe_next(client):
    response = client.get(reverse("admin:login") + "?next=//evil.example")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "evil.example" not in response["Location"]


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [("/patients/", "/patients/"), ("http://testserver/patients/", None), ("//evil.example", None)],
)
def test_a_review_action_follows_only_a_path_on_this_site(client, bob, alice, next_url, expected):
    course = make_course(alice, mrn="N1")
    key = overdue_key(course)
    client.force_login(bob)
    response = client.post(
        reverse("tracker:outreach", args=[course.pk, key]),
        {"method": "called", "note": "No answer", "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == (expected or reverse("tracker:review", args=[course.pk, key]))
