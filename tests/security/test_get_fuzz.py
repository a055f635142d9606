"""Bad GET parameters on every list, filter and export page: a 400, or the value is ignored,
never a server error.

The parameter names are read from each page as it is rendered (its GET forms and the links
that point back at it, such as the admin's filters), so a filter added later is fuzzed too.
Each is sent a NUL character, 100,000 characters, right-to-left overrides and zero-width
characters, among others, alone and all at once. CI runs this on PostgreSQL too, which
refuses NUL in any string.
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patients import services
from tests import factories
from tests.html_forms import forms_in

pytestmark = pytest.mark.django_db

BAD_VALUES = [
    "\x00",
    "a\x00b",
    "x" * 100_000,
    "\u202eexe.fdp",  # right-to-left override
    "\u200b",  # zero-width space
    "\u2066\u200d\ufeff\u2069",  # isolates, joiner, byte-order mark
    "",
    "-1",
    "99999999999999999999",
    "1e309",
    "' OR '1'='1",
    "%_\\",
    "١٢",  # Arabic-Indic digits
    "2026-02-30",
]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def parameter_names(response) -> set[str]:
    """The GET parameters the page itself offers: its GET forms' fields and the query keys
    of links back to the same page."""
    html = response.content.decode()
    path = response.wsgi_request.path
    names = set()
    for form in forms_in(html):
        if form["method"] == "get" and form["action"] in ("", path):
            names |= {name for name, _ in form["fields"]} | set(form["types"])
    links = _Links()
    links.feed(html)
    for href in links.hrefs:
        parts = urlsplit(href)
        if parts.path in ("", path) and parts.query:
            names |= {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    return names


@pytest.fixture
def world(alice):
    today = timezone.localdate()
    patient = services.patient_create(
        mrn="G1",
        given_name="Gia",
        family_name="Fuzz",
        date_of_birth=dt.date(1994, 4, 4),
        profile="US",
        category="can_get_pregnant",
        responsible_clinician=alice,
        by=alice,
    )
    course = services.course_create(
        patient=patient, start=today - dt.timedelta(days=60), weight_kg=60, by=alice
    )
    services.lab_result_record(
        course=course, date=today, analyte="triglycerides", value=900, unit="mg/dL", by=alice
    )
    return patient, course


def clinical_pages(world) -> list[str]:
    patient, course = world
    return [
        reverse("home"),
        reverse("tracker:worklist_csv"),
        reverse("patients:list"),
        reverse("patients:detail", args=[patient.pk]),
        reverse("patients:history", args=[patient.pk]),
        reverse("tracker:schedules"),
        reverse("tracker:course_summary", args=[course.pk]),
    ]


def admin_pages() -> list[str]:
    return [reverse("tracker:access_log")] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]


# Pages whose parameters cannot be read from the page itself: the worklist export takes the
# worklist's filters, and every paged list takes "page".
EXTRA_PARAMETERS = {
    reverse("tracker:worklist_csv"): lambda client: parameter_names(client.get(reverse("home"))),
}
ALWAYS = {"page", "q", "o", "p"}


def fuzz(client: Client, url: str) -> int:
    page = client.get(url)
    assert page.status_code == 200, f"{url}: {page.status_code}"
    names = parameter_names(page) | ALWAYS
    if url in EXTRA_PARAMETERS:
        names |= EXTRA_PARAMETERS[url](client)
    sent = 0
    for value in BAD_VALUES:
        for name in sorted(names):
            response = client.get(url, {name: value})
            assert response.status_code < 500, f"{url}?{name}={value[:20]!r}: server error"
            sent += 1
        # All at once, and as a name too.
        every = client.get(f"{url}?{urlencode(dict.fromkeys(names, value))}")
        assert every.status_code < 500, f"{url} with every parameter {value[:20]!r}"
        odd_name = client.get(f"{url}?{urlencode({value: '1'})}")
        assert odd_name.status_code < 500, f"{url} with a parameter named {value[:20]!r}"
    return sent


@pytest.mark.parametrize("index", range(7))
def test_clinical_lists_and_exports_never_fail_on_bad_parameters(alice, world, index):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    url = clinical_pages(world)[index]
    assert fuzz(client, url) >= len(BAD_VALUES) * len(ALWAYS)


def test_the_admin_and_the_access_log_never_fail_on_bad_parameters(world):
    superuser = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    for url in admin_pages():
        fuzz(client, url)


def test_the_fuzzer_reads_the_filters_from_the_pages(alice, world):
    client = Client()
    client.force_login(alice)
    worklist = parameter_names(client.get(reverse("home")))
    assert {"status", "item_kind", "level", "clinician", "profile", "sort", "mine"} <= worklist
    assert "q" in parameter_names(client.get(reverse("patients:list")))
    superuser = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    rules = parameter_names(client.get(reverse("admin:tracker_monitoringrule_changelist")))
    assert {"profile__exact", "active__exact", "q"} <= rules


@pytest.mark.parametrize(
    "query",
    ["q=%00", "q=a%00b", "%00=1", "status=overdue&level=%00"],
)
def test_a_nul_character_in_the_query_is_a_bad_request(alice, client, query):
    client.force_login(alice)
    assert client.get(f"{reverse('patients:list')}?{query}").status_code == 400


def test_a_nul_character_in_the_path_is_a_bad_request(alice, client, world):
    _, course = world
    client.force_login(alice)
    url = reverse("tracker:review", args=[course.pk, "US-R1"]).replace("US-R1", "%00")
    assert client.get(url).status_code == 400


def test_a_search_too_long_to_run_says_so(alice, client, world):
    client.force_login(alice)
    response = client.get(reverse("patients:list"), {"q": "a " * 60})
    assert response.status_code == 200
    assert "Search for at most 100 characters." in response.content.decode()


@pytest.mark.parametrize("url_name", ["home", "tracker:worklist_csv"])
def test_a_worklist_filter_value_that_is_not_understood_is_ignored(alice, client, world, url_name):
    client.force_login(alice)
    plain = client.get(reverse(url_name))
    odd = client.get(reverse(url_name), {"level": "\u202ecritical", "clinician": "1e309"})
    assert odd.status_code == 200
    if url_name == "home":
        # The page says which filter it ignored, and shows every row.
        text = odd.content.decode()
        assert "Select a valid choice" in text
        assert odd.context["page"].paginator.count == plain.context["page"].paginator.count
    else:
        assert odd.content == plain.content
