"""Request-wide duties: refusing query strings no page can use, the idle timeout of sessions,
and the access log of patient records."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from tracker.models import AccessKind, AccessLog

# The longest value of one query parameter: no search or filter needs more.
MAX_QUERY_VALUE_LENGTH = 1000
# The Django admin's date drill-down (``<field>__year=2026``) turns these into a date without
# checking their size first.
DATE_PART_SUFFIXES = ("__year", "__month", "__day")


class QueryGuardMiddleware:
    """Answer 400 to a request whose path or query parameters no page can use: a NUL
    character (PostgreSQL refuses it in any string, so it would end as a server error), a
    value longer than any search or filter, or a date part of the admin's drill-down that is
    not a small number. Every other value is for the page's own form to judge (a filter it
    does not understand is ignored, and said so)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            raise BadRequest("NUL character in the path")
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadRequest("NUL character in a query parameter")
            if any(len(value) > MAX_QUERY_VALUE_LENGTH for value in values):
                raise BadRequest("Query parameter too long")
            if key.endswith(DATE_PART_SUFFIXES) and not all(_date_part(v) for v in values):
                raise BadRequest("Date part out of range")
        return self.get_response(request)


def _date_part(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 4


# Pages with patient data, by URL name. One patient's record: the URL names the patient, or a
# course of theirs. Many patients': lists, and the worklist export (a file).
PATIENT_PAGES = {"patients": "pk", "fhir": "pk"}
COURSE_PAGES = {
    "tracker:review",
    "tracker:acknowledge",
    "tracker:snooze",
    "tracker:waive",
    "tracker:outreach",
    "tracker:course_summary",
}
LIST_PAGES = {
    "home",
    "patients:list",
    "tracker:access_log",
    "interop:queue",
    "interop:queue_item",
}
EXPORT_PAGES = {"tracker:worklist_csv"}


class AccessLogMiddleware:
    """Writes the access log: every view of a patient's record, every export of the worklist
    (with its filters and the number of rows), and every refused (403) attempt to open any
    page with patient data. Lists are not logged when served: they are the way in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.resolver_match is None:
            return response
        kind = self._kind(request.resolver_match)
        refused = response.status_code == 403
        served = response.status_code < 400 and kind != AccessKind.LIST
        if kind is None or not (refused or served):
            return response
        patient_id = (
            self._patient_id(request.resolver_match, served=not refused)
            if kind == AccessKind.RECORD
            else None
        )
        AccessLog.objects.create(
            user=user,
            patient_id=patient_id,
            kind=kind,
            refused=refused,
            rows=getattr(response, "exported_rows", None) if not refused else None,
            path=request.get_full_path()[:300],
            method=request.method[:8],
        )
        return response

    @staticmethod
    def _kind(match) -> str | None:
        if match.namespace in PATIENT_PAGES and PATIENT_PAGES[match.namespace] in match.kwargs:
            return AccessKind.RECORD
        if match.view_name in COURSE_PAGES:
            return AccessKind.RECORD
        if match.view_name in EXPORT_PAGES:
            return AccessKind.EXPORT
        if match.view_name in LIST_PAGES:
            return AccessKind.LIST
        return None

    @staticmethod
    def _patient_id(match, *, served: bool) -> int | None:
        """The patient the URL names (a served page's patient exists; a refused attempt may
        name one that does not)."""
        from patients.models import Course, Patient

        if match.namespace in PATIENT_PAGES:
            pk = int(match.kwargs[PATIENT_PAGES[match.namespace]])
            if served:
                return pk
            return Patient.objects.filter(pk=pk).values_list("pk", flat=True).first()
        return (
            Course.objects.filter(pk=match.kwargs.get("course_id"))
            .values_list("patient_id", flat=True)
            .first()
        )


class NoStoreMiddleware:
    """Nothing isotrack draws is kept by a browser or a proxy: every page and file it answers
    with (patient records, worklists and their exports, error pages alike) is sent with
    ``Cache-Control: no-store``. Static files are served before this, by WhiteNoise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


# Where the session keeps the time it was last saved (seconds since the epoch).
SESSION_TOUCHED = "_isotrack_touched"
# Where it keeps what the navigation bar shows of the user (roles, the access-log link),
# refreshed with every save. Display only: every view checks permissions itself.
SESSION_NAV = "_isotrack_nav"


def nav_facts(user) -> dict:
    """What the navigation bar shows of a user: role names and the links to the pages their
    role may use (patients and worklist, users, access log)."""
    from patients.roles import VIEW_PATIENT_DATA, role_names

    return {
        "roles": role_names(user),
        "patients": user.has_perm(VIEW_PATIENT_DATA),
        "users": user.has_perm("accounts.manage_users"),
        "access_log": user.has_perm("tracker.view_accesslog"),
    }


class SessionIdleMiddleware:
    """Push the session's expiry on with use: the idle timeout counts from the last request.

    Saving the session on every request (``SESSION_SAVE_EVERY_REQUEST``) costs a database write
    and a commit per page. Here it is saved again only when its last save is at least
    ``SESSION_TOUCH_SECONDS`` old, so a session ends between ``SESSION_COOKIE_AGE`` minus that
    interval and ``SESSION_COOKIE_AGE`` after the last request: never later than configured.

    Each save also refreshes the navigation bar's facts about the user (``SESSION_NAV``), so
    pages do not query roles and permissions for it on every request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.session_key is None or session.is_empty():
            return response  # no session to keep alive (anonymous, or just logged out)
        now = int(time.time())
        touched = session.get(SESSION_TOUCHED)
        stale = (
            not isinstance(touched, int) or not 0 <= now - touched < settings.SESSION_TOUCH_SECONDS
        )
        if stale or session.modified:
            _touch(session, getattr(request, "user", None), now)
        return response


def _touch(session, user, now: int) -> None:
    """Mark the session saved now (so it is saved, its expiry renewed), with the user's
    navigation facts."""
    session[SESSION_TOUCHED] = now
    if user is not None and user.is_authenticated:
        session[SESSION_NAV] = nav_facts(user)


def session_touched_at_login(sender, request, user, **kwargs) -> None:
    """A new session is saved at login: it starts its idle time then."""
    session = getattr(request, "session", None)
    if session is not None:
        _touch(session, user, int(time.time()))


def session_nav_facts(request, user) -> dict:
    """The navigation facts the session keeps (at most a minute old), else read now; empty
    for no user."""
    session = getattr(request, "session", None)
    facts = session.get(SESSION_NAV) if session is not None else None
    if isinstance(facts, dict):
        return facts
    return nav_facts(user) if user is not None and user.is_authenticated else {}
