"""Who may do what, URL by URL: anonymous, clinic staff, clinician and clinic admin, and for the
Django admin a superuser too.

Every URL pattern of the site must have an entry: in MATRIX for the site's own pages, in
ADMIN_MATRIX for every page of the Django admin (each registered model's changelist, add,
change, delete and history pages, its other pages, and the admin's own). A new URL, or a new
model in the admin, without an entry fails ``test_every_url_has_an_entry`` or
``test_every_admin_url_has_an_entry``. Each entry states what a GET and a POST return for each
role:

- ``login``: redirected to the login page (the admin's login sends there too);
- ``403``: refused;
- ``404``: not found (an admin page that shows nothing to this user);
- ``405``: the method is not allowed;
- ``ok``: served (a GET answers 200; a POST is accepted: 200 with form errors for the
  deliberately empty submission, or a redirect after saving).

Logged-in users have given their second factor where they need one (tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.http import urlsafe_base64_encode

from patients import services
from patients.views import RECORD_KINDS
from tests import factories

ROLES = ("anonymous", "staff", "clinician", "admin")
ALL = {"staff": "ok", "clinician": "ok", "admin": "ok"}
# Patients, the worklist, reviews, summaries and exports: not clinic admins (least privilege).
PATIENT_DATA = {"staff": "ok", "clinician": "ok", "admin": "403"}
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
    # The worklist; a clinic admin gets links to their own work instead.
    "home": row(ALL, NOBODY),
    "about": row(ALL, ALL, anonymous_get="ok", anonymous_post="ok"),
    "login": row(ALL, ALL, anonymous_get="ok", anonymous_post="ok"),
    # Logging out (POST only) ends on the login page.
    "logout": row(NOBODY, LOGGED_OUT, anonymous_post="login"),
    "password_change": row(ALL, ALL),
    "password_change_done": row(ALL, NOBODY),
    "patients:list": row(PATIENT_DATA, NOBODY),
    "patients:create": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    "patients:detail": row(PATIENT_DATA, NOBODY),
    "patients:edit": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    "patients:category": row(CLINICIAN_ONLY, CLINICIAN_ONLY),
    "patients:history": row(PATIENT_DATA, NOBODY),
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
    "tracker:worklist_csv": row(PATIENT_DATA, NOBODY),
    "tracker:review": row(PATIENT_DATA, NOBODY),
    "tracker:acknowledge": row(NOBODY, CLINICIAN_ONLY),
    "tracker:snooze": row(NOBODY, CLINICIAN_ONLY),
    "tracker:waive": row(NOBODY, CLINICIAN_ONLY),
    "tracker:outreach": row(NOBODY, LAB_ENTRY),
    "tracker:course_summary": row(PATIENT_DATA, NOBODY),
    # Results received from labs: the inbox, and its actions (each a POST).
    "interop:queue": row(PATIENT_DATA, NOBODY),
    "interop:queue_item": row(PATIENT_DATA, NOBODY),
    "interop:match": row(NOBODY, LAB_ENTRY),
    "interop:map_code": row(NOBODY, LAB_ENTRY),
    "interop:reject": row(NOBODY, LAB_ENTRY),
    "interop:retry": row(NOBODY, LAB_ENTRY),
    # A patient's record as a FHIR R4 Bundle.
    "fhir:patient_everything": row(PATIENT_DATA, NOBODY),
    # Accounts: clinic admins only; each action is a POST.
    "accounts:user_list": row(ADMIN_ONLY, NOBODY),
    "accounts:user_create": row(ADMIN_ONLY, ADMIN_ONLY),
    "accounts:events": row(ADMIN_ONLY, NOBODY),
    "accounts:user_detail": row(ADMIN_ONLY, NOBODY),
    "accounts:user_role": row(NOBODY, ADMIN_ONLY),
    "accounts:user_deactivate": row(NOBODY, ADMIN_ONLY),
    "accounts:user_reactivate": row(NOBODY, ADMIN_ONLY),
    "accounts:user_password_link": row(NOBODY, ADMIN_ONLY),
    "accounts:user_unlock": row(NOBODY, ADMIN_ONLY),
    "accounts:user_reset_two_factor": row(NOBODY, ADMIN_ONLY),
    # Everyone's own two-factor sign-in.
    "accounts:two_factor": row(ALL, NOBODY),
    "accounts:two_factor_setup": row(ALL, ALL),
    "accounts:two_factor_verify": row(ALL, ALL),
    "accounts:recovery_codes": row(NOBODY, ALL),
    # The emailed link to set a password: no login needed (this one's token is not valid).
    "accounts:password_reset_confirm": row(ALL, ALL, anonymous_get="ok", anonymous_post="ok"),
    "accounts:password_reset_complete": row(ALL, NOBODY, anonymous_get="ok", anonymous_post="405"),
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
    dave = factories.staff(username="dave")
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
    received = _received_result_waiting()
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
        "interop:queue": reverse("interop:queue"),
        **{
            name: reverse(name, args=[received.pk])
            for name in ("interop:queue_item", "interop:match", "interop:map_code")
            + ("interop:reject", "interop:retry")
        },
        "fhir:patient_everything": reverse("fhir:patient_everything", args=[p]),
        "accounts:user_list": reverse("accounts:user_list"),
        "accounts:user_create": reverse("accounts:user_create"),
        "accounts:events": reverse("accounts:events"),
        **{
            name: reverse(name, args=[dave.pk])
            for name in MATRIX
            if name.startswith("accounts:user_")
            and name not in ("accounts:user_list", "accounts:user_create")
        },
        "accounts:two_factor": reverse("accounts:two_factor"),
        "accounts:two_factor_setup": reverse("accounts:two_factor_setup"),
        "accounts:two_factor_verify": reverse("accounts:two_factor_verify"),
        "accounts:recovery_codes": reverse("accounts:recovery_codes"),
        "accounts:password_reset_confirm": reverse(
            "accounts:password_reset_confirm", args=[urlsafe_base64_encode(b"1"), "bad-token"]
        ),
        "accounts:password_reset_complete": reverse("accounts:password_reset_complete"),
    }
    return {"urls": urls, "users": {"staff": bob, "clinician": alice, "admin": carol}}


def _received_result_waiting():
    """A result waiting in the lab inbox."""
    from tests.interop.conftest import waiting_result

    return waiting_result("MATRIX-1")


def outcome(response, login_url: str) -> str:
    redirect = response.status_code in (301, 302)
    if redirect and response["Location"].startswith((login_url, reverse("admin:login"))):
        return "login"
    if response.status_code in (403, 404, 405):
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


# The Django admin -------------------------------------------------------------------------------
#
# Open to superusers and to clinic admins, who edit the schedules there (view and change, never
# add or delete). Users and groups (where superuser status, the staff flag and permissions are
# granted), login attempts and two-factor devices are for superusers only. Clinic staff and
# clinicians get 403 on every admin page, staff flag or not; a logged-out visitor is sent to
# the login page.

ADMIN_ROLES = (*ROLES, "superuser")
NO_ADMIN = {"anonymous": "login", "staff": "403", "clinician": "403"}


def admin_row(get: dict, post: dict | None = None) -> dict:
    """``get``/``post``: the outcomes for ``admin`` and ``superuser`` (POST as GET if None)."""
    return {"get": {**NO_ADMIN, **get}, "post": {**NO_ADMIN, **(get if post is None else post)}}


OK = {"admin": "ok", "superuser": "ok"}
SUPERUSER = {"admin": "403", "superuser": "ok"}
NEITHER = {"admin": "403", "superuser": "403"}
NOT_FOUND = {"admin": "404", "superuser": "404"}
SUPERUSER_SEES = {"admin": "404", "superuser": "ok"}
METHOD = {"admin": "405", "superuser": "405"}

ADMIN_SITE: dict[str, dict] = {
    "admin:index": admin_row(OK),
    # No login form of its own: to the site's login page, or straight in when allowed.
    "admin:login": {
        "get": {**NO_ADMIN, **OK},
        "post": {**NO_ADMIN, **OK},
    },
    # Logging out (POST only) ends on the login page.
    "admin:logout": admin_row(METHOD, {"admin": "login", "superuser": "login"}),
    "admin:password_change": admin_row(OK),
    "admin:password_change_done": admin_row(OK, METHOD),
    # Refused without its query parameters, to everyone.
    "admin:autocomplete": admin_row(NEITHER, METHOD),
    "admin:jsi18n": admin_row(OK, METHOD),
    # A user has no page on the site to show.
    "admin:view_on_site": admin_row(NOT_FOUND),
    "admin:app_list[tracker]": admin_row(OK),
    "admin:app_list[auth]": admin_row(SUPERUSER_SEES),
    "admin:app_list[axes]": admin_row(SUPERUSER_SEES),
    "admin:app_list[otp_totp]": admin_row(SUPERUSER_SEES),
    "admin:app_list[otp_static]": admin_row(SUPERUSER_SEES),
    "admin:catch_all": admin_row(NOT_FOUND),
}

# The pages of each registered model, by kind: "redirect" is the old change address
# (<id>/), which only redirects to the change page.
MODEL_PAGES = ("changelist", "add", "change", "delete", "history", "redirect")


def model_rows(label: str, pages: dict[str, dict]) -> dict[str, dict]:
    app, model = label.split(".")
    return {f"admin:{app}_{model}_{page}": row for page, row in pages.items()}


# The schedules: clinic admins view and change them; nobody adds or deletes from here but a
# superuser.
RULES = {
    "changelist": admin_row(OK),
    "add": admin_row(SUPERUSER),
    "change": admin_row(OK),
    "delete": admin_row(SUPERUSER),
    "history": admin_row(OK),
    "redirect": admin_row(OK),
    "simple_history": admin_row(OK),  # one past version of a row (django-simple-history)
}
SUPERUSERS_ONLY = {
    "changelist": admin_row(SUPERUSER),
    "add": admin_row(SUPERUSER),
    "change": admin_row(SUPERUSER),
    "delete": admin_row(SUPERUSER),
    "history": admin_row(SUPERUSER),
    "redirect": admin_row(OK),  # then refused on the change page
}
# Login attempts are written by the login itself, never added here.
LOGIN_RECORDS = {**SUPERUSERS_ONLY, "add": admin_row(NEITHER)}

ADMIN_MODELS: dict[str, dict[str, dict]] = {
    **{
        f"tracker.{model}": RULES
        for model in (
            "monitoringrule",
            "dispensingcheck",
            "alertthreshold",
            "profilesetting",
            "rulesetsetting",
        )
    },
    # Accounts are deactivated, never deleted; setting a password here is for superusers.
    "auth.user": {
        **SUPERUSERS_ONLY,
        "delete": admin_row(NEITHER),
        "password_change": admin_row(SUPERUSER),
    },
    "auth.group": SUPERUSERS_ONLY,
    "axes.accessattempt": LOGIN_RECORDS,
    "axes.accesslog": LOGIN_RECORDS,
    "axes.accessfailurelog": LOGIN_RECORDS,
    # Authenticator secrets are never shown, not even to superusers.
    "otp_totp.totpdevice": {
        **SUPERUSERS_ONLY,
        "config": admin_row(NEITHER),
        "qrcode": admin_row(NEITHER),
    },
    "otp_static.staticdevice": SUPERUSERS_ONLY,
}

ADMIN_MATRIX: dict[str, dict] = {
    **ADMIN_SITE,
    **{
        name: entry
        for label, pages in ADMIN_MODELS.items()
        for name, entry in model_rows(label, pages).items()
    },
}


def admin_url_names() -> set[str]:
    """Every page of the Django admin, named as in ADMIN_MATRIX: a model's unnamed old change
    address is ``<app>_<model>_redirect``, the admin's last pattern ``catch_all``, and the
    application index is one entry per application."""
    from django.contrib import admin

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif pattern.name == "app_list":
                labels = re.search(r"\(\?P<app_label>([^)]*)\)", str(pattern.pattern))[1]
                yield from (f"app_list[{label}]" for label in labels.split("|"))
            elif pattern.name:
                yield pattern.name
            elif prefix:
                app, model = prefix.strip("/").split("/")
                yield f"{app}_{model}_redirect"
            else:
                yield "catch_all"

    return {f"admin:{name}" for name in walk(admin.site.get_urls())}


def test_every_admin_url_has_an_entry():
    names = admin_url_names()
    missing = names - set(ADMIN_MATRIX)
    assert not missing, f"Django admin URLs without a permission entry: {sorted(missing)}"
    assert not set(ADMIN_MATRIX) - names, "entries for admin URLs that no longer exist"
    assert "admin:auth_user_password_change" in names


@pytest.fixture(scope="module")
def admin_world(django_db_setup, django_db_blocker):
    """One object of every model in the admin, built once for the module in a transaction
    rolled back at the end (each test runs in its own savepoint inside it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _admin_world()
        transaction.set_rollback(True)


def _admin_world() -> dict:
    from axes.models import AccessAttempt, AccessFailureLog
    from axes.models import AccessLog as LoginRecord
    from django.contrib.auth.models import Group, User
    from django.contrib.contenttypes.models import ContentType

    from tests.two_factor import authenticator

    users = {
        "staff": factories.staff(username="matrix-staff"),
        "clinician": factories.clinician(username="matrix-clinician"),
        "admin": factories.clinic_admin(username="matrix-admin"),
        "superuser": User.objects.create_superuser("matrix-root", "root@clinic.example", "x" * 12),
    }
    target = factories.staff(username="matrix-target")
    device = authenticator(target)
    static = device.user.staticdevice_set.create(name="Recovery codes", confirmed=True)
    record = {"username": "matrix-target", "ip_address": "192.0.2.9", "user_agent": "test"}
    objects = {
        "auth.user": target,
        "auth.group": Group.objects.get(name="Clinic staff"),
        "axes.accessattempt": AccessAttempt.objects.create(
            **record, failures_since_start=1, get_data="", post_data=""
        ),
        "axes.accesslog": LoginRecord.objects.create(**record),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**record),
        "otp_totp.totpdevice": device,
        "otp_static.staticdevice": static,
    }
    for label in ADMIN_MODELS:
        if label.startswith("tracker."):
            rule = objects[label] = apps.get_model(label).objects.order_by("pk").first()
            rule.save()  # a past version to show (rows loaded by a migration have none)
    urls = {
        "admin:view_on_site": reverse(
            "admin:view_on_site", args=[ContentType.objects.get_for_model(User).pk, target.pk]
        ),
        "admin:catch_all": "/admin/no-such-page/",
        **{
            name: reverse("admin:app_list", args=[name.split("[")[1].rstrip("]")])
            for name in ADMIN_SITE
            if name.startswith("admin:app_list[")
        },
    }
    for name in ADMIN_SITE:
        if name not in urls:
            urls[name] = reverse(name)
    for label, pages in ADMIN_MODELS.items():
        app, model = label.split(".")
        obj = objects[label]
        for page in pages:
            name = f"admin:{app}_{model}_{page}"
            if page in ("changelist", "add"):
                urls[name] = reverse(name)
            elif page == "redirect":
                urls[name] = f"{reverse(f'admin:{app}_{model}_changelist')}{obj.pk}/"
            elif page == "simple_history":
                urls[name] = reverse(name, args=[obj.pk, obj.history.first().history_id])
            else:
                urls[name] = reverse(name, args=[obj.pk])
    return {"urls": urls, "users": users}


ADMIN_CASES = [
    (name, method, role)
    for name in ADMIN_MATRIX
    for method in ("get", "post")
    for role in ADMIN_ROLES
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "role"), ADMIN_CASES, ids=lambda v: str(v))
def test_admin_permission(admin_world, name, method, role):
    client = Client()
    if role != "anonymous":
        client.force_login(admin_world["users"][role])
    url = admin_world["urls"][name]
    response = client.get(url) if method == "get" else client.post(url, {})
    expected = ADMIN_MATRIX[name][method][role]
    assert outcome(response, reverse("login")) == expected, (
        f"{method.upper()} {url} as {role}: {response.status_code}"
    )
