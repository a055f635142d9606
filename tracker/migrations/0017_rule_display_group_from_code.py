"""Each stored rule's display group, as the patient page and the grid used to read it from the
rule's code (B: before the first dispense, L: labs, P: after the course, else monthly)."""

from django.db import migrations


def group_of(code: str) -> str:
    if "-P" in code:
        return "after"
    if "-L" in code:
        return "labs"
    if "-B" in code:
        return "baseline"
    return "monthly"


def forwards(apps, schema_editor):
    for name in ("MonitoringRule", "HistoricalMonitoringRule"):
        model = apps.get_model("tracker", name)
        for pk, code in model.objects.values_list("pk", "code"):
            model.objects.filter(pk=pk).update(display_group=group_of(code))


class Migration(migrations.Migration):
    dependencies = [("tracker", "0016_rule_display_group")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
