from django.conf import settings
from django.db import migrations

# The worklist also shows patients' names and MRNs, clinicians' names and, in its filters, who is
# a clinician. Changes to those give the worklist's revision a new token too, by the same
# function (PostgreSQL) or the same statement (SQLite) as the worklist's own rows (migration
# 0010), so that what is kept under a revision is never older than anything the page shows.
# Users: only the columns the page shows or that decide whether a user may see it at all, so
# that a login (which writes last_login) does not change the revision.
USER_COLUMNS = ("username", "first_name", "last_name", "is_active")


def _tables(apps):
    """Each table the worklist shows, with the columns whose updates matter (None: all)."""
    user = apps.get_model(settings.AUTH_USER_MODEL)
    group = apps.get_model("auth", "Group")
    patient = apps.get_model("patients", "Patient")
    columns = [user._meta.get_field(name).column for name in USER_COLUMNS]
    return [
        (patient._meta.db_table, None),
        (user._meta.db_table, columns),
        (user.groups.through._meta.db_table, None),
        (group._meta.db_table, None),
    ]


def _update(columns) -> str:
    return "UPDATE" if columns is None else "UPDATE OF " + ", ".join(columns)


def _postgresql(table, columns):
    return [
        f"""
        CREATE TRIGGER {table}_worklist_revise
        AFTER INSERT OR {_update(columns)} OR DELETE OR TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION tracker_worklist_revise()
        """
    ]


def _sqlite(table, columns):
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


def create(apps, schema_editor):
    build = {"postgresql": _postgresql, "sqlite": _sqlite}.get(schema_editor.connection.vendor)
    if build is None:  # other databases have no revision (see 0010)
        return
    for table, columns in _tables(apps):
        for statement in build(table, columns):
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return
    for table, _columns in _tables(apps):
        for statement in _drop(vendor, table):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0010_worklist_revision"),
        ("patients", "0004_edit_versions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(create, drop)]
