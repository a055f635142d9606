"""The Django admin site of isotrack.

Open to superusers, and to those who may edit the monitoring schedules (clinic admins, whose
rule pages are in tracker/admin.py). The staff flag alone opens nothing: a role decides.
Someone logged in without that right gets 403 on every admin page; someone logged out is sent
to the site's own login page (with its lockout and two-factor step), not to a second login form.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from tracker.accounts.redirects import relative_path

ADMIN_PERMISSION = "tracker.change_monitoringrule"


class IsotrackAdminSite(admin.AdminSite):
    site_header = "isotrack administration"
    site_title = "isotrack administration"
    index_title = "Schedules and settings"

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and (user.is_superuser or user.has_perm(ADMIN_PERMISSION))

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def refuse_or_serve(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return refuse_or_serve

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request, extra_context=None):
        """No admin login form: the site's login page, then back here."""
        target = relative_path(request.GET.get("next")) or reverse(
            "admin:index", current_app=self.name
        )
        if self.has_permission(request):
            return HttpResponseRedirect(target)
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(target)
