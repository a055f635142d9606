"""Request-wide duties: the idle timeout of sessions, and the access log of patient records."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from tracker.models import AccessLog

# URL names whose pages show one patient's record, and the URL argument that names it.
PATIENT_PAGES = {"patients": "pk"}
COURSE_PAGES = {"tracker:review", "tracker:course_summary"}


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 and request.user.is_authenticated:
            patient_id = self._patient_id(request)
            if patient_id is not None:
                AccessLog.objects.create(
                    user=request.user,
                    patient_id=patient_id,
                    path=request.get_full_path()[:300],
                    method=request.method,
                )
        return response

    @staticmethod
    def _patient_id(request: HttpRequest) -> int | None:
        match = request.resolver_match
        if match is None:
            return None
        if match.namespace in PATIENT_PAGES and PATIENT_PAGES[match.namespace] in match.kwargs:
            return int(match.kwargs[PATIENT_PAGES[match.namespace]])
        if match.view_name in COURSE_PAGES and "course_id" in match.kwargs:
            from patients.models import Course

            return (
                Course.objects.filter(pk=match.kwargs["course_id"])
                .values_list("patient_id", flat=True)
                .first()
            )
        return None


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
