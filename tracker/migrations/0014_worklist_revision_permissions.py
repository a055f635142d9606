from django.conf import settings
from django.db import migrations

# Who may see the worklist at all is decided by permissions (patients.view_patient_data) when a
# page is drawn; a kept page is served without asking again. So changes to what decides it give
# the worklist's revision a new token too, as in migrations 0010 and 0011: the permission rows,
# a group's or a user's permissions, content types, and a user's superuser status (group
# membership and is_active are followed since 0011).
PERMISSION_TABLES = (
    "auth_permission",
    "auth_group_permissions",
    "auth_user_user_permissions",
    "django_content_type",
)
USER_COLUMNS_BEFORE = ("username", "first_name", "last_name", "is_active")
USER_COLUMNS = (*USER_COLUMNS_BEFORE, "is_superuser")


def _user_table(apps) -> str:
    return apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table


def _update(columns) -> str:
    return "UPDATE" if columns is None else "UPDATE OF " + ", ".join(columns)


def _create(vendor, table, columns):
    if vendor == "postgresql":
        return [
            f"""
            CREATE TRIGGER {table}_worklist_revise
            AFTER INSERT OR {_update(columns)} OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION tracker_worklist_revise()
            """
        ]
    return [
        f"""
        CREATE TRIGGER {table}_worklist_revise_{event.split()[0].lower()}
        AFTER {event} ON {table}
        BEGIN
            INSERT INTO tracker_worklistrevision (slot, token) VALUES (0, abs(random() >> 1))
            ON CONFLICT (slot) DO UPDATE SET token = excluded.token;
        END
        """
        for event in ("INSERT", _update(columns), "DELETE")
    ]


def _drop(vendor, table):
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_worklist_revise ON {table}"]
    return [
        f"DROP TRIGGER IF EXISTS {table}_worklist_revise_{event}"
        for event in ("insert", "update", "delete")
    ]


def _run(apps, schema_editor, *, tables, user_columns, drop_tables):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):  # other databases have no revision (see 0010)
        return
    user = _user_table(apps)
    statements = _drop(vendor, user) + _create(vendor, user, user_columns)
    for table in drop_tables:
        statements += _drop(vendor, table)
    for table in tables:
        statements += _create(vendor, table, None)
    for statement in statements:
        schema_editor.execute(statement)


def forwards(apps, schema_editor):
    _run(apps, schema_editor, tables=PERMISSION_TABLES, user_columns=USER_COLUMNS, drop_tables=())


def backwards(apps, schema_editor):
    _run(
        apps,
        schema_editor,
        tables=(),
        user_columns=USER_COLUMNS_BEFORE,
        drop_tables=PERMISSION_TABLES,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0013_access_log_exports_and_refusals"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
