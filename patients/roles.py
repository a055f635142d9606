"""The three roles of isotrack, as Django groups, and what each may do.

Groups are created by a data migration. Views check permissions (``permission_required``),
never only hide links in templates.
"""

from __future__ import annotations

CLINICIAN = "Clinician"
STAFF = "Clinic staff"
CLINIC_ADMIN = "Clinic admin"

# "app_label.codename" permissions granted to each role.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    CLINICIAN: (
        "patients.record_clinical",
        "patients.enter_lab_results",
        "patients.assign_category",
        "patients.review_monitoring",
        "patients.record_outreach",
    ),
    STAFF: (
        "patients.enter_lab_results",
        "patients.record_outreach",
    ),
    CLINIC_ADMIN: (
        "tracker.view_monitoringrule",
        "tracker.change_monitoringrule",
        "tracker.view_dispensingcheck",
        "tracker.change_dispensingcheck",
        "tracker.view_alertthreshold",
        "tracker.change_alertthreshold",
        "tracker.view_profilesetting",
        "tracker.change_profilesetting",
        "tracker.view_rulesetsetting",
        "tracker.change_rulesetsetting",
        "tracker.view_accesslog",
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
    ),
}


def role_names(user) -> list[str]:
    if not user.is_authenticated:
        return []
    return sorted(user.groups.values_list("name", flat=True))
