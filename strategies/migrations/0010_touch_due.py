import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill_touch_due(apps, schema_editor):
    """Fills the new table. Its rows are derived data, so they are built by the service that
    keeps them (the one definition of the rule) rather than by a frozen copy of the rule; on
    a fresh database (no enrollment yet) there is nothing to build."""
    enrollment = apps.get_model("strategies", "Enrollment")
    if not enrollment.objects.filter(ended_on__isnull=True).exists():
        return
    from strategies.services.touch import touch_due_rebuild

    touch_due_rebuild()


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_audit_privacy'),
        ('strategies', '0009_task_open_when_idx'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='TouchDue',
            fields=[
                ('customer', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='touch_due', serialize=False, to='customers.customer', verbose_name='customer')),
                ('clock', models.DateField(verbose_name='contact clock started')),
                ('gap_days', models.PositiveSmallIntegerField(verbose_name='longest gap between contacts (days)')),
                ('due_on', models.DateField(verbose_name='next contact due')),
            ],
            options={
                'verbose_name': 'next contact due',
                'verbose_name_plural': 'next contacts due',
            },
        ),
        migrations.AddIndex(
            model_name='touchdue',
            index=models.Index(fields=['due_on', 'customer'], name='touch_due_on_idx'),
        ),
        migrations.RunPython(backfill_touch_due, migrations.RunPython.noop),
    ]
