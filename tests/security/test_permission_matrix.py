"""Who may do what, URL by URL: anonymous, clinic staff, clinician and clinic admin.

Every URL pattern of the site (the Django admin aside, which has its own staff login) must
have an entry in MATRIX: a new URL without one fails ``test_every_url_has_an_entry``. Each
entry states what a GET and a POST return for each role:

- ``login``: redirected to the login page;
- ``403``: refused;
- ``405``: the method is not allowed;
- ``ok``: served (a GET answers 200; a POST is accepted: 200 with form errors for the
  deliberately empty submission, or a redirect after saving).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from patients import services
from patients.views import RECORD_KINDS

ROLES = ("anonymous", "staff", "clinician", "admin")
ALL = {"staff": "ok", "clinician": "ok", "admin": "ok"}
CLINICIAN_ONLY = {"staff": "403", "clinician": "ok", "admin": "403"}
LAB_ENTRY = {"staff": "ok", "clinician": "ok", "admin": "403"}
ADMIN_ONLY = {"staff": "403", "clinician": "403", "admin": "ok"}
NOBODY = {"staff": "405", "clinician": "405", "admin": "405"}
LOGGED_OUT = {"staff": "login", "clinician": "login", "admin": "login"}


def row(get: dict, post: dict, *, anonymous_get="login", anonymous_post="login") -> dict:
    return {
        "get": {"anonymous": anonymous_get, **get},
        "post": {"anonymous": anonymous_post, **post},
    }


RECORD_PERMISSION = {
    "patients.record_clinical": CLINICIAN_ONLY,
    "patients.enter_lab_results": LAB_ENTRY,
    "patients.review_monitoring": CLINICIAN_ONLY,
}

MATRIX: dict[str, dict] = {
    "home": row(ALL, NOBODY),
    "about": row(ALL, ALL, anonymous_get="ok", anonymous_post="ok"),
    "login": row(ALL, ALL, anonymous_get="ok", anonymous_post="ok"),
    # Logging out (POST only) ends on the login page.
    "logout": row(NOBODY, LOGGED_OUT, anonymous_post="login"),
    "password_change": row(ALL, ALL),
    "password_change_done": row(ALL, NOBODY),
    "patients:list": row(ALL, NOBODY),
    "patients:create": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    "patients:detail": row(ALL, NOBODY),
    "patients:edit": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    "patients:category": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    "patients:history": row(ALL, NOBODY),
    "patients:course_create": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    "patients:course_edit": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    "patients:course_complete": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    "patients:course_stop": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    "patients:course_cancel": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    "patients:visit_add": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    **{
        f"patients:record_add[{kind}]": row(
            RECORD_PERMISSION[spec.permission], RECORD_PERMISSION[spec.permission]
        )
        for kind, spec in RECORD_KINDS.items()
    },
    "patients:mark_error[pregnancytest]": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    "patients:mark_error[labresult]": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    "tracker:schedules": row(ALL, NOBODY),
    "tracker:access_log": row(ADMIN_ONLY, NOBODY),
    "tracker:worklist_csv": row(ALL, NOBODY),
    "tracker:review": row(ALL, NOBODY),
    "tracker:acknowledge": row(NOBODY, CLINICIAN_ONLY),
    "tracker:snooze": row(NOBODY, CLINICIAN_ONLY),
    "tracker:waive": row(NOBODY, CLINICIAN_ONLY),
    "tracker:outreach": row(NOBODY, LAB_ENTRY),
    "tracker:course_summary": row(ALL, NOBODY),
}

# URL parameters with several values that need their own entry.
EXPANDED = {"patients:record_add": "kind", "patients:mark_error": "kind"}


def url_names() -> set[str]:
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            else:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver().url_patterns))


def test_every_url_has_an_entry():
    covered = {name.split("[")[0] for name in MATRIX}
    missing = url_names() - covered
    assert not missing, f"URLs without a permission entry: {sorted(missing)}"
    kinds = {name for name in MATRIX if name.startswith("patients:record_add[")}
    assert kinds == {f"patients:record_add[{k}]" for k in RECORD_KINDS}


@pytest.fixture
def world(alice, bob, carol):
    today = timezone.localdate()
    patient = services.patient_create(
        mrn="M1",
        given_name="Mia",
        family_name="Stone",
        date_of_birth=dt.date(1997, 7, 7),
        profile="US",
        category="can_get_pregnant",
        by=alice,
    )
    course = services.course_create(
        patient=patient, start=today - dt.timedelta(days=40), weight_kg=60, by=alice
    )
    test = services.pregnancy_test_record(
        course=course, date=today, result="negative", setting="clinic", by=alice
    )
    lab = services.lab_result_record(
        course=course, date=today, analyte="alt", value=30, unit="U/L", by=alice
    )
    planned_patient = services.patient_create(
        mrn="M2",
        given_name="Ola",
        family_name="Berg",
        date_of_birth=dt.date(1997, 7, 7),
        profile="UK",
        category="cannot_get_pregnant",
        by=alice,
    )
    planned = services.course_create(
        patient=planned_patient,
        start=today + dt.timedelta(days=5),
        start_is_planned=True,
        weight_kg=70,
        by=alice,
    )
    key = course.worklist_entries.filter(kind="item").first().key
    p, c = patient.pk, course.pk
    review = {"course_id": c, "key": key}
    urls = {
        "home": reverse("home"),
        "about": reverse("about"),
        "login": reverse("login"),
        "logout": reverse("logout"),
        "password_change": reverse("password_change"),
        "password_change_done": reverse("password_change_done"),
        "patients:list": reverse("patients:list"),
        "patients:create": reverse("patients:create"),
        "patients:detail": reverse("patients:detail", args=[p]),
        "patients:edit": reverse("patients:edit", args=[p]),
        "patients:category": reverse("patients:category", args=[p]),
        "patients:history": reverse("patients:history", args=[p]),
        "patients:course_create": reverse("patients:course_create", args=[p]),
        "patients:course_edit": reverse("patients:course_edit", args=[p, c]),
        "patients:course_complete": reverse("patients:course_complete", args=[p, c]),
        "patients:course_stop": reverse("patients:course_stop", args=[p, c]),
        "patients:course_cancel": reverse(
            "patients:course_cancel", args=[planned_patient.pk, planned.pk]
        ),
        "patients:visit_add": reverse("patients:visit_add", args=[p, c]),
        **{
            f"patients:record_add[{kind}]": reverse("patients:record_add", args=[p, c, kind])
            for kind in RECORD_KINDS
        },
        "patients:mark_error[pregnancytest]": reverse(
            "patients:mark_error", args=[p, "pregnancytest", test.pk]
        ),
        "patients:mark_error[labresult]": reverse(
            "patients:mark_error", args=[p, "labresult", lab.pk]
        ),
        "tracker:schedules": reverse("tracker:schedules"),
        "tracker:access_log": reverse("tracker:access_log"),
        "tracker:worklist_csv": reverse("tracker:worklist_csv"),
        "tracker:review": reverse("tracker:review", kwargs=review),
        "tracker:acknowledge": reverse("tracker:acknowledge", kwargs=review),
        "tracker:snooze": reverse("tracker:snooze", kwargs=review),
        "tracker:waive": reverse("tracker:waive", kwargs=review),
        "tracker:outreach": reverse("tracker:outreach", kwargs=review),
        "tracker:course_summary": reverse("tracker:course_summary", args=[c]),
    }
    return {"urls": urls, "users": {"staff": bob, "clinician": alice, "admin": carol}}


def outcome(response, login_url: str) -> str:
    if response.status_code in (301, 302) and response["Location"].startswith(login_url):
        return "login"
    if response.status_code in (403, 405):
        return str(response.status_code)
    if response.status_code in (200, 302):
        return "ok"
    return f"unexpected {response.status_code}"


CASES = [(name, method, role) for name in MATRIX for method in ("get", "post") for role in ROLES]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "role"), CASES, ids=lambda v: str(v))
def test_permission(world, name, method, role):
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    url = world["urls"][name]
    response = client.get(url) if method == "get" else client.post(url, {})
    expected = MATRIX[name][method][role]
    assert outcome(response, reverse("login")) == expected, (
        f"{method.upper()} {url} as {role}: {response.status_code}"
    )
