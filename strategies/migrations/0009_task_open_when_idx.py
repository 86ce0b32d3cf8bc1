import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("strategies", "0008_audit_history"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                django.db.models.functions.comparison.Coalesce("snoozed_until", "due_on"),
                models.OrderBy(models.F("priority"), descending=True),
                models.F("id"),
                condition=models.Q(("status__in", ["open", "snoozed"])),
                name="task_open_when_idx",
            ),
        ),
    ]
