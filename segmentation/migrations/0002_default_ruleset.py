"""The default active rule set (version 1): the model defaults are the tuned starting point."""

from django.db import migrations


def create_default(apps, schema_editor):
    RuleSet = apps.get_model("segmentation", "RuleSet")
    if not RuleSet.objects.exists():
        RuleSet.objects.create(
            name="Default",
            version=1,
            is_active=True,
            note="Initial thresholds: dormant after 120 days, churned after 365, "
            "Pareto 80/95 on revenue in the last 12 months.",
        )


class Migration(migrations.Migration):
    dependencies = [("segmentation", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
