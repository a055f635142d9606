"""The clinic admins' account pages: list, create, and one page per account with its actions.

Each action is a POST of its own that calls one service. A refused action shows the account
page again with the reason next to that action (status 200) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from patients.forms import add_service_errors
from tracker.accounts import forms, selectors, services
from tracker.accounts.client_ip import client_ip
from tracker.accounts.two_factor import has_device

MANAGE_USERS = "accounts.manage_users"
USERS_PER_PAGE = 25
EVENTS_PER_PAGE = 50
EVENTS_ON_USER_PAGE = 20


def _page_range(page):
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


@require_safe
@permission_required(MANAGE_USERS, raise_exception=True)
def user_list(request: HttpRequest) -> HttpResponse:
    search = forms.UserSearchForm(request.GET)
    q = search.cleaned_data["q"].strip() if search.is_valid() else ""
    page = Paginator(selectors.users(q), USERS_PER_PAGE).get_page(request.GET.get("page"))
    locked = selectors.locked_out([user.username for user in page.object_list])
    context = {"page_obj": page, "page_range": _page_range(page), "q": q, "locked": locked}
    return render(request, "accounts/user_list.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE_USERS, raise_exception=True)
def user_create(request: HttpRequest) -> HttpResponse:
    form = forms.UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(
                by=request.user, address=client_ip(request), **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Account {user.username} created; a link to set a password was sent to "
                f"{user.email}.",
            )
            return redirect("accounts:user_detail", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


def _user_page(request: HttpRequest, user: User, **bound) -> HttpResponse:
    context = {
        "account": user,
        "role": services.user_role(user),
        "two_factor": has_device(user),
        "locked": bool(selectors.locked_out([user.username])),
        "failed_logins": selectors.failed_logins(user),
        "events": selectors.account_events().filter(subject=user)[:EVENTS_ON_USER_PAGE],
        "is_self": user.pk == request.user.pk,
        "role_form": bound.pop("role_form", None) or forms.RoleForm(),
        "errors": bound.pop("errors", {}),
    }
    return render(request, "accounts/user_detail.html", context)


@require_safe
@permission_required(MANAGE_USERS, raise_exception=True)
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    return _user_page(request, get_object_or_404(User, pk=user_id))


@require_POST
@permission_required(MANAGE_USERS, raise_exception=True)
def user_role(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    form = forms.RoleForm(request.POST)
    if form.is_valid():
        try:
            services.user_change_role(
                by=request.user,
                user=user,
                role=form.cleaned_data["role"],
                address=client_ip(request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{user.username} is now {form.cleaned_data['role']}.")
            return redirect("accounts:user_detail", user_id=user.pk)
    return _user_page(request, user, role_form=form)


def _user_action(name: str, service: Callable, done: str):
    """A POST-only view calling ``service(by=, user=, address=)`` for the account in the URL."""

    @require_POST
    @permission_required(MANAGE_USERS, raise_exception=True)
    def view(request: HttpRequest, user_id: int) -> HttpResponse:
        user = get_object_or_404(User, pk=user_id)
        try:
            service(by=request.user, user=user, address=client_ip(request))
        except ValidationError as error:
            return _user_page(request, user, errors={name: error.messages})
        messages.success(request, done.format(username=user.username, email=user.email))
        return redirect("accounts:user_detail", user_id=user.pk)

    view.__name__ = view.__qualname__ = name
    return view


user_deactivate = _user_action(
    "deactivate", services.user_deactivate, "{username} is deactivated and can no longer log in."
)
user_reactivate = _user_action(
    "reactivate", services.user_reactivate, "{username} can log in again."
)
user_password_link = _user_action(
    "password_link",
    services.password_reset_send,
    "A link to set a new password was sent to {email}.",
)
user_unlock = _user_action(
    "unlock", services.lockout_lift, "{username} can try to log in again from every address."
)
user_reset_two_factor = _user_action(
    "reset_two_factor",
    services.two_factor_reset,
    "{username}'s two-factor sign-in was removed; they set it up again at their next login "
    "if it is required of them.",
)


@require_safe
@permission_required("accounts.view_accountevent", raise_exception=True)
def account_events(request: HttpRequest) -> HttpResponse:
    """The account log: every account change, who made it and when."""
    username = request.GET.get("user", "").strip()[:150]
    events = selectors.account_events(username=username)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page_obj": page, "page_range": _page_range(page), "username": username}
    return render(request, "accounts/account_events.html", context)
