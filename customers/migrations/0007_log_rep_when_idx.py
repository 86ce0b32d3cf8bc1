import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_audit_privacy'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='contactlog',
            index=models.Index(fields=['rep', 'occurred_at', 'id'], name='log_rep_when_idx'),
        ),
        migrations.AlterField(
            model_name='contactlog',
            name='rep',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='contact_logs', to=settings.AUTH_USER_MODEL, verbose_name='sales rep'),
        ),
    ]
