import json
from pathlib import Path

from django.db import migrations

DEFAULTS = Path(__file__).resolve().parent.parent / "rules" / "default_rules.json"


def load_defaults(apps, schema_editor):
    from tracker.monitoring.rulesets import install_ruleset_data

    data = json.loads(DEFAULTS.read_text("utf-8"))
    names = ("MonitoringRule", "DispensingCheck", "AlertThreshold", "ProfileSetting")
    models = {name: apps.get_model("tracker", name) for name in names}
    models["RuleSetSetting"] = apps.get_model("tracker", "RuleSetSetting")
    install_ruleset_data(data, models)


def remove_defaults(apps, schema_editor):
    for name in (
        "MonitoringRule",
        "DispensingCheck",
        "AlertThreshold",
        "ProfileSetting",
        "RuleSetSetting",
    ):
        apps.get_model("tracker", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("tracker", "0002_rule_set")]

    operations = [migrations.RunPython(load_defaults, remove_defaults)]
