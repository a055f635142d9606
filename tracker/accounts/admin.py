"""Users and groups in the Django admin: superusers only, every change in the account log.

Clinic admins manage accounts on the app's own pages (tracker/accounts/views.py), where they
cannot grant superuser or staff status or single permissions. Here a superuser can; each of
their changes to a user is also written to the account log. Accounts are deactivated, never
deleted (clinical records and logs name their authors).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from tracker.accounts import services


class SuperuserOnly:
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)


class AccountUserAdmin(SuperuserOnly, UserAdmin):
    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead

    def log_addition(self, request, obj, message):
        services.admin_change_record(by=request.user, user=obj, message="Added")
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        services.admin_change_record(
            by=request.user, user=obj, message=entry.get_change_message() or "No fields changed"
        )
        return entry


class RoleGroupAdmin(SuperuserOnly, GroupAdmin):
    pass


admin.site.unregister(User)
admin.site.unregister(Group)
admin.site.register(User, AccountUserAdmin)
admin.site.register(Group, RoleGroupAdmin)
