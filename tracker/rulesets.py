"""The clinic's rule set: database rows <-> the engine's RuleSet.

Rows mirror the engine's dataclasses field for field; the engine's loader validates them, so a
rule edited into an unsafe shape (unknown analyte, dangling prerequisite) is refused loudly.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from datetime import date
from typing import Any

from django.db import connection

from tracker.engine import rules as engine_rules
from tracker.engine.rules import RuleSet, load_ruleset

# Table name -> (JSON key of the rule set, engine dataclass).
TABLES: dict[str, tuple[str, type]] = {
    "MonitoringRule": ("rules", engine_rules.RuleSpec),
    "DispensingCheck": ("checks", engine_rules.DispensingCheckSpec),
    "AlertThreshold": ("thresholds", engine_rules.ThresholdSpec),
    "ProfileSetting": ("profiles", engine_rules.ProfileSettings),
}


def _row_values(row, spec: type) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in fields(spec):
        value = getattr(row, f.name)
        if value == "" and f.default is None:
            value = None
        elif isinstance(value, date):
            value = value.isoformat()
        data[f.name] = value
    return data


def _model_values(item: dict[str, Any], spec: type) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in fields(spec):
        if f.name not in item:
            continue
        value = item[f.name]
        if value is None and f.default is None and f.name in _BLANK_WHEN_NONE:
            value = ""
        values[f.name] = value
    return values


# Nullable engine fields stored as blank text in the database.
_BLANK_WHEN_NONE = {"requires_satisfied", "analyte", "instrument"}


def install_ruleset_data(data: dict[str, Any], models: dict[str, Any]) -> None:
    """Create rule rows from the JSON form of a rule set (used by the data migration).

    ``models`` maps table names (see ``TABLES`` and "RuleSetSetting") to model classes, so a
    migration can pass its historical models.
    """
    for table, (key, spec) in TABLES.items():
        model = models[table]
        model.objects.bulk_create(model(**_model_values(item, spec)) for item in data.get(key, []))
    settings = data.get("settings", {})
    models["RuleSetSetting"].objects.create(
        **{
            f.name: settings[f.name]
            for f in fields(engine_rules.RuleSetSettings)
            if f.name in settings
        }
    )


def ruleset_data_from_db() -> dict[str, Any]:
    from tracker import models

    data: dict[str, Any] = {"version": 1}
    for table, (key, spec) in TABLES.items():
        model = getattr(models, table)
        rows = model.objects.all()
        if "active" in {f.name for f in fields(spec)}:
            rows = rows.filter(active=True)
        data[key] = [_row_values(row, spec) for row in rows.order_by("pk")]
    setting = models.RuleSetSetting.objects.order_by("pk").first()
    if setting is not None:
        data["settings"] = {
            f.name: getattr(setting, f.name)
            for f in fields(engine_rules.RuleSetSettings)
            if f.default is not MISSING or f.default_factory is not MISSING
        }
    return data


def _rules_version() -> tuple:
    """The latest change and the highest id of every rule table, read in one query.

    Called before every single-course re-evaluation (each clinical write), so it is one round
    trip rather than one per table.
    """
    from tracker import models

    quote = connection.ops.quote_name
    columns = []
    for name in (*TABLES, "RuleSetSetting"):
        table = quote(getattr(models, name)._meta.db_table)
        columns += [
            f"(SELECT MAX({quote('updated_at')}) FROM {table})",
            f"(SELECT MAX({quote('id')}) FROM {table})",
        ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}")
        return tuple(cursor.fetchone())


_cache: dict[str, Any] = {}


def current_ruleset() -> RuleSet:
    """The clinic's rule set, rebuilt only when a rule row has changed."""
    version = _rules_version()
    if _cache.get("version") != version:
        _cache["ruleset"] = load_ruleset(ruleset_data_from_db())
        _cache["version"] = version
    return _cache["ruleset"]


def clear_cache() -> None:
    _cache.clear()
