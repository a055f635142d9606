"""Clinic admins edit the rule set here. Every change re-evaluates the courses it affects."""

from django import forms
from django.contrib import admin, messages
from django.forms.models import model_to_dict
from simple_history.admin import SimpleHistoryAdmin

from patients.concurrency import ConcurrentEditError, bump, check_version, version_as_of
from patients.forms import show_stored_values
from tracker.models import (
    AlertThreshold,
    DispensingCheck,
    MonitoringRule,
    ProfileSetting,
    RuleSetSetting,
)
from tracker.monitoring.rule_changes import rules_changed


class VersionedRuleForm(forms.ModelForm):
    """Refuses a save made from an older version of the row: two admins editing the same
    rule never overwrite each other silently. The refused form shows the row as now stored,
    with what this admin entered beside each field they changed."""

    version_seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stale = False
        if self.instance.pk:
            self.initial.setdefault("version_seen", self.instance.version)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            if cleaned.get("version_seen") is None:
                self.errors.pop("version_seen", None)
                raise forms.ValidationError(
                    "This form was sent without the version of the row it was opened on. "
                    "Reload the page and enter your changes again."
                )
            try:
                check_version(self.instance, cleaned["version_seen"], "rule")
            except ConcurrentEditError as error:
                self._show_stored(error.seen_version)
                raise forms.ValidationError(error.messages) from None
        return cleaned

    def _show_stored(self, seen_version: int) -> None:
        self.stale = True
        stored = type(self.instance).objects.get(pk=self.instance.pk)
        past = version_as_of(stored, seen_version)
        show_stored_values(
            self,
            {**model_to_dict(stored), "version_seen": stored.version},
            model_to_dict(past) if past is not None else None,
            version_field="version_seen",
        )

    def _post_clean(self):
        if not self.stale:  # a refused stale form is not checked against the model again
            super()._post_clean()


class RuleSetAdmin(SimpleHistoryAdmin):
    """Saving or deleting rows, one or many at once, re-evaluates the open courses of the
    profiles they touch (the rule set's revision is raised by the rows themselves)."""

    form = VersionedRuleForm

    def _profiles(self, rows) -> list[str] | None:
        profiles: set[str] = set()
        for obj in rows:
            if isinstance(obj, MonitoringRule | ProfileSetting):
                profiles.add(obj.profile)
            elif isinstance(obj, DispensingCheck):
                profiles.update(obj.profiles)
            else:
                return None  # thresholds and settings: every profile
        return sorted(profiles)

    def _refresh(self, request, profiles: list[str] | None) -> None:
        count = rules_changed(profiles=profiles)
        messages.info(request, f"Re-evaluated {count} open course(s) against the changed rules.")

    def save_model(self, request, obj, form, change):
        if change:
            bump(obj)
        super().save_model(request, obj, form, change)
        self._refresh(request, self._profiles([obj]))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._refresh(request, self._profiles([obj]))

    def delete_queryset(self, request, queryset):
        """The admin's "delete selected": re-evaluated like a single delete."""
        profiles = self._profiles(list(queryset))
        super().delete_queryset(request, queryset)
        self._refresh(request, profiles)


@admin.register(MonitoringRule)
class MonitoringRuleAdmin(RuleSetAdmin):
    list_display = (
        "code",
        "profile",
        "name",
        "category",
        "lead",
        "grace",
        "interval",
        "effective_from",
        "effective_to",
        "active",
    )
    list_filter = ("profile", "active", "category", "satisfier")
    search_fields = ("code", "name", "source")


@admin.register(DispensingCheck)
class DispensingCheckAdmin(RuleSetAdmin):
    list_display = ("code", "name", "category", "window_days", "max_supply_days", "active")
    list_filter = ("active",)


@admin.register(AlertThreshold)
class AlertThresholdAdmin(RuleSetAdmin):
    list_display = ("label", "source", "analyte", "instrument", "level", "comparison", "value")
    list_filter = ("source", "level", "active")


@admin.register(ProfileSetting)
class ProfileSettingAdmin(RuleSetAdmin):
    list_display = ("profile", "ready_test_window_days", "first_dispense_deadline_days")


@admin.register(RuleSetSetting)
class RuleSetSettingAdmin(RuleSetAdmin):
    list_display = ("__str__", "default_uln", "target_band_mg_per_kg", "retreatment_gap_days")
