from django.conf import settings
from django.db import models
from django.utils import timezone


class AccountEvent(models.Model):
    """One change to a user account: who made it, to whom, what and when.

    Written by ``tracker.accounts.services`` in the transaction of the change itself, and by
    the Django admin's user pages (superusers only). Never edited or deleted; users are
    deactivated, never deleted, so both people stay named.
    """

    class Action(models.TextChoices):
        CREATED = "created", "Account created"
        ROLE_CHANGED = "role_changed", "Role changed"
        DEACTIVATED = "deactivated", "Deactivated"
        REACTIVATED = "reactivated", "Reactivated"
        RESET_SENT = "reset_sent", "Password-reset link sent"
        PASSWORD_SET = "password_set", "Password set from a reset link"
        LOCKOUT_LIFTED = "lockout_lifted", "Login lockout lifted"
        TWO_FACTOR_SET_UP = "two_factor_set_up", "Two-factor sign-in set up"
        TWO_FACTOR_RESET = "two_factor_reset", "Two-factor sign-in reset"
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", "New recovery codes"
        RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used to sign in"
        CHANGED_IN_ADMIN = "changed_in_admin", "Changed in the Django admin"

    at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="account_events",
        editable=False,
    )
    action = models.CharField(max_length=32, choices=Action.choices, editable=False)
    detail = models.CharField(max_length=300, blank=True, editable=False)
    address = models.GenericIPAddressField(
        null=True, blank=True, editable=False, help_text="The address the change came from."
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["subject", "-at"], name="account_event_subject_idx"),
            models.Index(fields=["actor", "-at"], name="account_event_actor_idx"),
            models.Index(fields=["-at"], name="account_event_at_idx"),
        ]
        # Read in the app only: there is nothing to add, change or delete.
        default_permissions = ("view",)
        permissions = [
            (
                "manage_users",
                "Can manage user accounts: create, give a role, deactivate, send "
                "password-reset links, lift lockouts, reset two-factor sign-in",
            )
        ]

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M}"
        return f"{self.get_action_display()}: {self.subject_id} by {self.actor_id} at {when}"
