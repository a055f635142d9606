"""The worklist is drawn afresh on every request: its revision, and the database triggers that
gave it a new token with every change to the worklist (0010), to the patients, users and groups
it shows (0011) and to the permissions (0014), are gone. Going back creates them again."""

import importlib

from django.conf import settings
from django.db import migrations

TRIGGERED_TABLES = (
    "tracker_worklistentry",
    # 0011
    "patients_patient",
    "auth_user",
    "auth_user_groups",
    "auth_group",
    # 0014
    "auth_permission",
    "auth_group_permissions",
    "auth_user_user_permissions",
    "django_content_type",
)


def _earlier(name):
    return importlib.import_module(f"tracker.migrations.{name}")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = []
    if vendor == "postgresql":
        # Every trigger calls tracker_worklist_revise(); the one on the worklist has no suffix.
        statements = [
            "DROP TRIGGER IF EXISTS tracker_worklistentry_revise ON tracker_worklistentry",
            *(
                f"DROP TRIGGER IF EXISTS {table}_worklist_revise ON {table}"
                for table in TRIGGERED_TABLES[1:]
            ),
            "DROP FUNCTION IF EXISTS tracker_worklist_revise()",
            "DROP SEQUENCE IF EXISTS tracker_worklistrevision_token",
        ]
    elif vendor == "sqlite":
        events = ("insert", "update", "delete")
        statements = [
            *(f"DROP TRIGGER IF EXISTS tracker_worklistentry_revise_{e}" for e in events),
            *(
                f"DROP TRIGGER IF EXISTS {table}_worklist_revise_{e}"
                for table in TRIGGERED_TABLES[1:]
                for e in events
            ),
        ]
    for statement in statements:
        schema_editor.execute(statement)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    first = _earlier("0010_worklist_revision")
    for statement in {"postgresql": first.POSTGRESQL, "sqlite": first.SQLITE}.get(vendor, []):
        schema_editor.execute(statement)
    _earlier("0011_worklist_revision_people").create(apps, schema_editor)
    _earlier("0014_worklist_revision_permissions").forwards(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0014_worklist_revision_permissions"),
        ("patients", "0007_view_patient_data_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_triggers, create_triggers),
        migrations.DeleteModel(name="WorklistRevision"),
    ]
