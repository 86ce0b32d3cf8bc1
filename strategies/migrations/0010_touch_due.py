import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# TouchDue holds derived data (each customer's next contact deadline). This migration only
# creates the table: a migration never imports live services, and a frozen copy of the rule
# here would drift from the one definition (strategies.services.touch). The table is filled
# by the nightly run's rebuild; on a database that already has enrollments, fill it at once
# after migrating with `manage.py touch_due_refresh`. A fresh database has nothing to fill.


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
    ]
