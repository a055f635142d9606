"""Two-factor sign-in pages: the overview, setting up an authenticator app, giving a code after
the password, and new recovery codes. Recovery codes are shown once, on the page that makes
them, and never again."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from patients.forms import add_service_errors
from tracker.accounts import services, two_factor
from tracker.accounts.client_ip import client_ip
from tracker.accounts.redirects import relative_path
from tracker.accounts.two_factor import two_factor_exempt


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


def _next(request: HttpRequest) -> str:
    return relative_path(request.POST.get("next", request.GET.get("next"))) or ""


def _recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    state = two_factor.state(request, fresh=True)
    context = {
        "state": state,
        "codes_left": _recovery_codes_left(request.user) if state.device else None,
    }
    return render(request, "accounts/two_factor.html", context)


@never_cache
@two_factor_exempt
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Scan the QR code (or type the secret), then give the app's current code to prove it."""
    if two_factor.state(request, fresh=True).device:
        messages.info(request, "Two-factor sign-in is already set up.")
        return redirect(_next(request) or "accounts:two_factor")
    key = two_factor.pending_key(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = two_factor.code_step(key, form.cleaned_data["code"])
        if step is None:
            form.add_error(
                "code", "That is not the app's current code. Check the time on the phone."
            )
        else:
            try:
                device, codes = services.two_factor_enable(
                    user=request.user, key=key, token_step=step, address=client_ip(request)
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                request.session.pop(two_factor.SESSION_PENDING_KEY, None)
                two_factor.mark_verified(request, device)
                return _show_codes(request, codes, first=True)
    uri = two_factor.authenticator_uri(request.user, key)
    context = {
        "form": form,
        "qr_code": two_factor.qr_code_data_uri(uri),
        "secret": two_factor.secret_in_groups(key),
        "next": _next(request),
        "required": two_factor.state(request).required,
    }
    return render(request, "accounts/two_factor_setup.html", context)


@never_cache
@two_factor_exempt
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the app, or one of the recovery codes (each works once)."""
    state = two_factor.state(request)
    if state.verified or not state.device:
        return redirect(_next(request) or "home")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _matching_device(request.user, form.cleaned_data["code"])
        if device is None:
            form.add_error("code", _refusal(request.user))
        else:
            two_factor.mark_verified(request, device)
            if isinstance(device, StaticDevice):
                left = _recovery_codes_left(request.user)
                services.recovery_code_used(
                    user=request.user, remaining=left, address=client_ip(request)
                )
                messages.warning(
                    request,
                    f"You used a recovery code; {left} left. Make new ones on the "
                    "two-factor page if you are running out.",
                )
            return redirect(_next(request) or "home")
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": _next(request)}
    )


def _matching_device(user, code: str):
    """The device that accepts ``code`` (a 6-digit app code or a recovery code), if any. Each
    device counts its failures and makes the user wait longer after each (django-otp)."""
    code = "".join(code.split()).lower()
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            is_app_code = code.isdigit() and len(code) == 6
            if isinstance(device, StaticDevice) == is_app_code:
                continue  # app codes to the app, recovery codes to the recovery device
            if device.verify_token(code):
                return device
    return None


def _refusal(user) -> str:
    """Why a code was refused: wrong, or too many wrong codes in a row (django-otp makes the
    user wait 1, 2, 4, 8... seconds after each failure; said once the wait is noticeable)."""
    waits = [
        reason["locked_until"]
        for device in devices_for_user(user, confirmed=True)
        for allowed, reason in [device.verify_is_allowed()]
        if not allowed and reason and reason.get("failure_count", 0) >= 3
    ]
    if waits:
        until = timezone.localtime(max(waits))
        return f"Too many wrong codes. Wait until {until:%H:%M:%S}, then try again."
    return "That code is not valid, or was used already."


@never_cache
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once; the old ones stop working."""
    try:
        codes = services.recovery_codes_renew(user=request.user, address=client_ip(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("accounts:two_factor")
    return _show_codes(request, codes, first=False)


def _show_codes(request: HttpRequest, codes: list[str], *, first: bool) -> HttpResponse:
    context = {"codes": codes, "first": first, "next": _next(request) or ""}
    return render(request, "accounts/recovery_codes.html", context)
