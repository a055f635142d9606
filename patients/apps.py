from django.apps import AppConfig
from django.db.models.signals import post_migrate


def grant_role_permissions(sender, **kwargs) -> None:
    """Give each role group its permissions (groups are created by a migration; permissions
    exist only after ``post_migrate`` has created them, so they are granted here)."""
    from django.contrib.auth.models import Group, Permission

    from patients.roles import ROLE_PERMISSIONS

    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is not None:
                wanted.append(found)
        group.permissions.set(wanted)


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients and courses"

    def ready(self) -> None:
        # Run once, after the last app's permissions exist.
        post_migrate.connect(grant_role_permissions, dispatch_uid="isotrack_role_permissions")
