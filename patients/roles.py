"""The three roles of isotrack, as Django groups, and what each may do.

Groups are created by a data migration; each migrate gives every role exactly the permissions
listed here (``patients.apps.grant_role_permissions``), taking away any others. Views check
permissions (``permission_required``), never only hide links in templates.

Clinic admins do not see patients: someone who is also a clinician or member of staff holds
both roles (given by a superuser).
"""

from __future__ import annotations

CLINICIAN = "Clinician"
STAFF = "Clinic staff"
CLINIC_ADMIN = "Clinic admin"
ROLES = (CLINICIAN, STAFF, CLINIC_ADMIN)

# Seeing patients at all: the worklist, patient pages and history, reviews, summaries, exports.
VIEW_PATIENT_DATA = "patients.view_patient_data"

# "app_label.codename" permissions granted to each role.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    CLINICIAN: (
        VIEW_PATIENT_DATA,
        "patients.record_clinical",
        "patients.enter_lab_results",
        "patients.assign_category",
        "patients.review_monitoring",
        "patients.record_outreach",
    ),
    STAFF: (
        VIEW_PATIENT_DATA,
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
        # Accounts on the app's own pages (tracker/accounts), never auth.* permissions: those
        # would open the Django admin's user pages, where superuser status can be granted.
        "accounts.manage_users",
        "accounts.view_accountevent",
    ),
}


def role_names(user) -> list[str]:
    if not user.is_authenticated:
        return []
    return sorted(user.groups.values_list("name", flat=True))
