from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "tracker.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from tracker.accounts.two_factor import forget_verification_at_login

        user_logged_in.connect(
            forget_verification_at_login, dispatch_uid="isotrack-two-factor-at-login"
        )


class IsotrackAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with isotrack's own site: open to superusers and to those who may
    edit the schedules, never on the staff flag alone (tracker/accounts/admin_site.py)."""

    default = False  # named in INSTALLED_APPS; AccountsConfig is this module's default
    default_site = "tracker.accounts.admin_site.IsotrackAdminSite"
