"""Nothing but the two-factor pages until a user who needs a second factor has given it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

from tracker.accounts import two_factor


class TwoFactorMiddleware:
    """After the password, before any page: a user who must give a second factor and has not
    is sent to set one up (no authenticator yet) or to give a code, then back where they were
    going. Pages that need no login (the login page, password-reset links) and pages marked
    ``two_factor_exempt`` (those two, logging out) are served.

    Placed before the access log, so a page it refuses is never logged as seen.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        state = two_factor.state(request)
        if not state.pending or self._exempt(request):
            return self.get_response(request)
        target = reverse(
            "accounts:two_factor_verify" if state.device else "accounts:two_factor_setup"
        )
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)

    @staticmethod
    def _exempt(request: HttpRequest) -> bool:
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return True  # a 404 shows nothing
        view = match.func
        return (
            getattr(view, "two_factor_exempt", False)
            or getattr(view, "login_required", True) is False
        )
