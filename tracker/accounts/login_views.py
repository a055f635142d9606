"""Logging in and out, and setting a password from an emailed link: Django's views, with
``next`` limited to paths on this site and the new password written through the services."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator

from tracker.accounts import services
from tracker.accounts.client_ip import client_ip
from tracker.accounts.redirects import RelativeRedirectMixin
from tracker.accounts.two_factor import two_factor_exempt


class LoginView(RelativeRedirectMixin, auth_views.LoginView):
    redirect_authenticated_user = True


@method_decorator(two_factor_exempt, name="dispatch")
class LogoutView(RelativeRedirectMixin, auth_views.LogoutView):
    pass


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The emailed link (tracker.accounts.services.password_reset_url). The user then logs in
    with the new password, and gives their second factor if they have one."""

    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        services.password_set_from_link(
            user=self.user,
            password=form.cleaned_data["new_password1"],
            address=client_ip(self.request),
        )
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    pass
