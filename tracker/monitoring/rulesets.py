"""The clinic's rule set: database rows <-> the engine's RuleSet.

Rows mirror the engine's dataclasses field for field; the engine's loader validates them, so a
rule edited into an unsafe shape (unknown analyte, dangling prerequisite) is refused loudly.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from datetime import date
from typing import Any

from django.apps import apps

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


def _model_values(item: dict[str, Any], spec: type, model) -> dict[str, Any]:
    """The row of ``item`` for ``model``: the columns it has (a migration's historical model
    may have fewer than the engine's dataclass has fields)."""
    columns = {f.name for f in model._meta.get_fields()}
    values: dict[str, Any] = {}
    for f in fields(spec):
        if f.name not in item or f.name not in columns:
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
        model.objects.bulk_create(
            model(**_model_values(item, spec, model)) for item in data.get(key, [])
        )
    settings = data.get("settings", {})
    models["RuleSetSetting"].objects.create(
        **{
            f.name: settings[f.name]
            for f in fields(engine_rules.RuleSetSettings)
            if f.name in settings
        }
    )


def _model(table: str):
    # Looked up by name: ``tracker.models`` validates its rows with this module.
    return apps.get_model("tracker", table)


def _setting_values(setting) -> dict[str, Any]:
    return {
        f.name: getattr(setting, f.name)
        for f in fields(engine_rules.RuleSetSettings)
        if f.default is not MISSING or f.default_factory is not MISSING
    }


def ruleset_data_from_db() -> dict[str, Any]:
    data: dict[str, Any] = {"version": 1}
    for table, (key, spec) in TABLES.items():
        rows = _model(table).objects.all()
        if "active" in {f.name for f in fields(spec)}:
            rows = rows.filter(active=True)
        data[key] = [_row_values(row, spec) for row in rows.order_by("pk")]
    setting = _model("RuleSetSetting").objects.order_by("pk").first()
    if setting is not None:
        data["settings"] = _setting_values(setting)
    return data


def ruleset_data_with(row) -> dict[str, Any]:
    """The clinic's rule set as it would be with ``row`` (a rule-set row, new or edited, not
    saved yet) in it: what the engine would load after the row is saved."""
    data = ruleset_data_from_db()
    table = type(row).__name__
    if table == "RuleSetSetting":
        data["settings"] = _setting_values(row)
        return data
    key, spec = TABLES[table]
    active = "active" in {f.name for f in fields(spec)}
    stored = [r for r in _model(table).objects.order_by("pk") if r.pk != row.pk]
    rows = [*stored, row] if row.pk is None else sorted([*stored, row], key=lambda r: r.pk)
    data[key] = [_row_values(r, spec) for r in rows if not active or r.active]
    return data


@dataclass(frozen=True)
class CurrentRules:
    """The clinic's rule set, and the number of its revision (``RuleSetRevision``)."""

    ruleset: RuleSet
    revision: int


_cache: dict[str, Any] = {}


def current_rules() -> CurrentRules:
    """The clinic's rule set, rebuilt when its revision has changed: one query otherwise.

    The revision is raised in the transaction of every save and delete of a rule-set row
    (``tracker.models.RuleSetRow``), so every process sees a change, by any process, as soon as
    it is committed.
    """
    revision = _model("RuleSetRevision").objects.filter(pk=1).values_list("number", "token").first()
    if revision is not None and _cache.get("revision") == revision:
        return _cache["rules"]
    rules = CurrentRules(load_ruleset(ruleset_data_from_db()), revision[0] if revision else 0)
    if revision is not None:  # without a revision nothing says when it changes: not kept
        _cache.update(revision=revision, rules=rules)
    return rules


def current_ruleset() -> RuleSet:
    """The clinic's rule set (see ``current_rules``)."""
    return current_rules().ruleset


def clear_cache() -> None:
    _cache.clear()
