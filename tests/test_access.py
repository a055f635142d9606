"""Access to every URL of the site, found by walking ``tracker.urls``.

(a) An anonymous visitor is sent to the login page from every page except the login page, the
    pages marked ``login_not_required`` and the Django admin (which sends to its own login).
(b) Clinic staff cannot write clinical data: a POST to any page but lab-result entry, outreach,
    logout and password change is refused (403, or a redirect to the login page) and leaves the
    database exactly as it was. A page that only reads refuses POST with 405.

New URLs are covered without touching this file. A URL whose parameters cannot be filled, or
whose answer fits none of the rules above, fails the test: nothing is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from patients import services
from patients.models import CLINICAL_RECORD_MODELS, Course, Patient, Visit
from tests import factories

# URL names (with namespace) that clinic staff may POST to, besides outreach: their own login,
# password and two-factor sign-in.
STAFF_MAY_POST = {
    "interop:match",
    "interop:map_code",
    "interop:reject",
    "interop:retry",
    "logout",
    "password_change",
    "accounts:two_factor_setup",
    "accounts:two_factor_verify",
    "accounts:recovery_codes",
}
# (URL name, parameter) -> which values of that parameter staff may POST to. Marking a record
# entered in error is a clinician's decision, lab results included.
STAFF_MAY_POST_KINDS = {
    ("patients:record_add", "kind"): {"lab-result"},
}

# Read-only pages that answer a POST as they answer a GET instead of refusing it with 405.
# Each is still checked to change nothing. A new read-only page should refuse POST instead
# (@require_safe), and then it needs no entry here.
READ_ONLY_ACCEPTING_POST: set[str] = set()

# Rows that change on every request (sessions, login throttling), not clinical data.
# The access log records who looked at what: reading a page adds to it by design.
VOLATILE_TABLES = {"sessions.session", "tracker.accesslog"}
VOLATILE_APPS = {"axes"}


def _record_models() -> list[type[models.Model]]:
    return [Visit, *CLINICAL_RECORD_MODELS]


def _record_add_kinds() -> list[str]:
    from patients import views

    return list(views.RECORD_KINDS)


# Values of text parameters: (URL name, parameter) -> function listing every value to test.
TEXT_PARAMETERS: dict[tuple[str, str], Callable[[], list[str]]] = {
    ("patients:record_add", "kind"): _record_add_kinds,
    ("patients:mark_error", "kind"): lambda: [m._meta.model_name for m in _record_models()],
}


def _monitoring_key(world: World) -> str:
    from tracker.models import MonitoringItem

    return MonitoringItem.objects.filter(course=world.course).order_by("code").first().code


def _reset_uid(world: World) -> str:
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(world.course.created_by_id))


# Text parameters for which one value, found in the world fixture, is enough. A password-reset
# link with a token that is not valid: the page says so.
WORLD_TEXT_PARAMETERS: dict[str, Callable[[World], str]] = {
    "key": _monitoring_key,
    "uidb64": _reset_uid,
    "token": lambda world: "no-such-token",
}

# The Django admin's own parameters: every admin page answers before it looks at them.
ADMIN_PARAMETERS = {
    "object_id": "1",
    "id": "1",
    "content_type_id": "1",
    "url": "no-such-page/",
    "app_label": None,  # the first application the admin lists (taken from its pattern)
}


# Walking the URL tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "patients:detail"; "<admin:unnamed 3>" for the admin's unnamed patterns
    route: str  # the full route, as ``resolve()`` reports it
    patterns: tuple  # the pattern objects from the root down to this URL
    callback: Callable
    namespace: str

    @property
    def parameters(self) -> list[str]:
        names: list[str] = []
        for pattern in self.patterns:
            if isinstance(pattern, RoutePattern):
                names += list(pattern.converters)
            else:
                names += list(pattern.regex.groupindex)
        return names

    @property
    def is_admin(self) -> bool:
        return self.namespace.split(":")[0] == "admin"

    @property
    def login_not_required(self) -> bool:
        # The same test as django.contrib.auth.middleware.LoginRequiredMiddleware.
        return getattr(self.callback, "login_required", True) is False


def walk(patterns, parents: tuple = (), namespace: str = "") -> list[Route]:
    routes: list[Route] = []
    for index, entry in enumerate(patterns):
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            routes += walk(entry.url_patterns, (*parents, entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            chain = (*parents, entry.pattern)
            name = f"{namespace}{entry.name}" if entry.name else f"<{namespace}unnamed {index}>"
            routes.append(
                Route(
                    name=name,
                    # As ResolverMatch.route joins them: a nested regex loses its "^".
                    route="".join(
                        str(p).removeprefix("^") if i else str(p) for i, p in enumerate(chain)
                    ),
                    patterns=chain,
                    callback=entry.callback,
                    namespace=namespace.rstrip(":"),
                )
            )
        else:  # pragma: no cover - Django has only the two kinds
            raise TypeError(f"Unknown URL entry {entry!r}")
    return routes


ROUTES = walk(get_resolver().url_patterns)


def _fill_regex(pattern: RegexPattern, values: dict) -> str:
    text = pattern._regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")

    def group(match: re.Match) -> str:
        value = values[match["name"]]
        if value is None:  # take the first alternative, e.g. (?P<app_label>auth|patients)
            value = match["body"].split("|")[0]
        return str(value)

    url = re.sub(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)", group, text)
    # Unnamed groups, e.g. django-simple-history's ^([^/]+)/history/([^/]+)/$: any object id.
    url = re.sub(r"\((?!\?)[^()]*\)", "1", url)
    if re.search(r"[\\()\[\]^$*+?{}|]", url):
        raise AssertionError(f"Cannot build a URL from the pattern {pattern._regex!r}")
    return url


def build_url(route: Route, values: dict) -> str:
    parts = []
    for pattern in route.patterns:
        if isinstance(pattern, RoutePattern):
            parts.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m[1]]), str(pattern)))
        else:
            parts.append(_fill_regex(pattern, values))
    url = "/" + "".join(parts)
    # The URL really reaches this pattern, and not an earlier one.
    assert resolve(url).route == route.route, f"{url} does not resolve to {route.route}"
    return url


# The objects the URLs point at --------------------------------------------------------------------


@dataclass
class World:
    patient: Patient
    course: Course
    records: dict[str, models.Model] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Built once for the module, in a transaction rolled back at the end; each test runs in
    its own savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world(factories.clinician(username="access-clinician"))
        transaction.set_rollback(True)


def _build_world(alice, *, mrn="ACCESS-1", given_name="Ada", family_name="Access") -> World:
    """A patient with an active course and one record of every kind, through the services."""
    today = timezone.localdate()
    start = today - timedelta(days=40)
    patient = services.patient_create(
        mrn=mrn,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=today.replace(year=today.year - 25),
        profile="US",
        category="can_get_pregnant",
        by=alice,
    )
    course = services.course_create(patient=patient, start=start, weight_kg=60, by=alice)
    common = {"course": course, "by": alice}
    day = start + timedelta(days=1)
    services.visit_record(**common, date=day, clinician=alice, iga=2)
    services.confirmation_record(**common, date=start, kind="consent")
    services.contraception_record(
        **common, date=start, kind="attestation", methods=["implant", "male_condom"]
    )
    services.lab_result_record(**common, date=day, analyte="alt", value=200, unit="U/L", uln=40)
    services.mood_screen_record(**common, date=day, instrument="PHQ-9", total=3, item9=0)
    services.sexual_function_record(**common, date=day, concern=False)
    services.dose_record(**common, date=start, mg_per_day=40)
    services.weight_record(**common, date=day, kg=61)
    services.prescription_record(**common, date=start, supply_days=30)
    services.dispense_record(**common, date=start, supply_days=30)
    services.pregnancy_test_record(**common, date=day, result="positive", setting="clinic")
    services.hold_resolve(**common, date=day, reason="Repeat serum test negative.")
    services.alert_review_record(
        **common, date=day, source="lab", analyte="alt", note="Repeat in two weeks."
    )
    _received_result_waiting()
    course.refresh_from_db()
    records = {}
    for model in _record_models():
        record = model.objects.filter(course=course).first()
        assert record is not None, f"no {model.__name__} was created for the access tests"
        records[model._meta.model_name] = record
    return World(patient=patient, course=course, records=records)


def _received_result_waiting():
    """A result waiting in the lab inbox."""
    from tests.interop.conftest import waiting_result

    return waiting_result("ACCESS-1")


def _int_parameter(name: str, world: World) -> int:
    """Fill ``pk``, ``course_pk``, ``record_pk`` and ``<model>_pk`` / ``<model>_id``."""
    if name == "pk":
        return world.patient.pk
    if name in {"course_pk", "course_id"}:
        return world.course.pk
    if name in {"patient_pk", "patient_id"}:
        return world.patient.pk
    stem = re.sub(r"_(pk|id)$", "", name)
    candidates = [
        m
        for m in apps.get_models()
        if stem != name and (m._meta.model_name == stem or m._meta.model_name.endswith(stem))
    ]
    if len(candidates) == 1:
        obj = candidates[0]._default_manager.order_by("pk").first()
        if obj is not None:
            return obj.pk
    raise AssertionError(
        f"Cannot fill the URL parameter {name!r}: teach tests/test_access.py which object it is."
    )


@dataclass(frozen=True)
class Case:
    route: Route
    choices: tuple[tuple[str, str], ...] = ()  # text parameters, e.g. (("kind", "dose"),)

    @property
    def id(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.choices)
        return f"{self.route.name}[{extra}]" if extra else self.route.name

    def url(self, world: World) -> str:
        values: dict = dict(self.choices)
        for name in self.route.parameters:
            if name in values:
                continue
            if self.route.is_admin and name in ADMIN_PARAMETERS:
                values[name] = ADMIN_PARAMETERS[name]
            elif name == "record_pk":
                values[name] = world.records[values["kind"]].pk
            elif name in WORLD_TEXT_PARAMETERS:
                values[name] = WORLD_TEXT_PARAMETERS[name](world)
            else:
                values[name] = _int_parameter(name, world)
        return build_url(self.route, values)


def cases() -> list[Case]:
    result = []
    for route in ROUTES:
        text = [
            name
            for name in route.parameters
            if not route.is_admin and (route.name, name) in TEXT_PARAMETERS
        ]
        if not text:
            result.append(Case(route))
            continue
        (name,) = text  # one text parameter per URL so far
        for value in TEXT_PARAMETERS[(route.name, name)]():
            result.append(Case(route, ((name, value),)))
    return result


CASES = cases()


def _ids(case: Case) -> str:
    return case.id


def test_the_walker_finds_the_pages_of_every_area():
    names = {route.name for route in ROUTES}
    assert {"login", "logout", "patients:list", "patients:detail", "admin:index"} <= names
    assert any(case.id == "patients:record_add[kind=lab-result]" for case in CASES)


def test_every_url_parameter_has_a_known_kind():
    # Text parameters need a list of values; numeric ones are objects the world fixture holds.
    for route in ROUTES:
        for name in route.parameters:
            converter = next(
                (
                    p.converters[name]
                    for p in route.patterns
                    if isinstance(p, RoutePattern) and name in p.converters
                ),
                None,
            )
            numeric = converter is not None and converter.regex == "[0-9]+"
            known = (
                numeric
                or route.is_admin
                or (route.name, name) in TEXT_PARAMETERS
                or name in WORLD_TEXT_PARAMETERS
                or name.endswith(("pk", "_id"))
            )
            assert known, f"{route.name}: add the values of {name!r} to TEXT_PARAMETERS"


# (a) Anonymous visitors -----------------------------------------------------------------------


def _login_redirect(response, login_url: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(login_url)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_an_anonymous_visitor_is_sent_to_the_login_page(case: Case, client, world):
    url = case.url(world)
    route = case.route
    login_url = resolve_url(settings.LOGIN_URL)
    admin_login = reverse("admin:login")
    get = client.get(url)
    if route.name == "login":
        assert get.status_code == 200, url
    elif route.name == "admin:login":
        # No second login form: the admin sends to the site's login page.
        assert _login_redirect(get, login_url), f"{url}: {get.status_code}"
    elif route.name == "admin:logout":
        # Not logged in: the admin sends the visitor to its index, which asks for a login.
        assert get.status_code in {302, 405}, url
    elif route.is_admin:
        # The admin's own pages send to its login; its model pages to the site's login.
        to_login = _login_redirect(get, admin_login) or _login_redirect(get, login_url)
        assert to_login, f"{url}: {get.status_code}"
    elif route.login_not_required:
        assert not _login_redirect(get, login_url), url
        assert get.status_code < 400, f"{url}: {get.status_code}"
    else:
        assert _login_redirect(get, login_url), f"GET {url}: {get.status_code}"
        post = client.post(url, {})
        assert _login_redirect(post, login_url), f"POST {url}: {post.status_code}"


# (b) Clinic staff cannot write clinical data ------------------------------------------------------


def database_snapshot() -> dict[str, list[tuple]]:
    snapshot = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in VOLATILE_TABLES or model._meta.app_label in VOLATILE_APPS:
            continue
        snapshot[label] = list(model._default_manager.order_by("pk").values_list())
    return snapshot


def _staff_may_post(case: Case) -> bool:
    name = case.route.name
    if name in STAFF_MAY_POST or "outreach" in name:
        return True
    return any(
        value in STAFF_MAY_POST_KINDS.get((name, key), set()) or "outreach" in value
        for key, value in case.choices
    )


def _not_a_clinical_page(case: Case) -> bool:
    return case.route.name == "login" or case.route.login_not_required


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_clinic_staff_cannot_post_clinical_data(case: Case, client, world, bob):
    if _not_a_clinical_page(case):
        # The login page and the public pages hold no clinical data.
        return
    url = case.url(world)
    client.force_login(bob)
    if _staff_may_post(case):
        # The control: the same request is not refused, so the refusals below mean something.
        response = client.post(url, {})
        assert response.status_code != 403, f"POST {url}: staff may use this page"
        return
    before = database_snapshot()
    response = client.post(url, {})
    after = database_snapshot()
    changed = [label for label in before if before[label] != after[label]]
    assert not changed, f"POST {url} by clinic staff changed {changed}"
    login_urls = [resolve_url(settings.LOGIN_URL)]
    if case.route.is_admin:
        login_urls.append(reverse("admin:login"))
    refused = response.status_code == 403 or any(
        _login_redirect(response, login_url) for login_url in login_urls
    )
    read_only = response.status_code == 405 or case.route.name in READ_ONLY_ACCEPTING_POST
    assert refused or read_only, (
        f"POST {url} by clinic staff answered {response.status_code}: a page that writes must "
        "refuse staff (403), a page that only reads must refuse POST (405, @require_safe)"
    )
