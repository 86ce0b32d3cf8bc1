"""Indexes for the customer list's class filters at 1M customers (reasons in the model).

On PostgreSQL the unique (run, customer) index also carries the other list-filter classes
(INCLUDE), so a manager's drill-down by loyalty, potential, RFM… merges index-only with the
team's customer ids. Django's state keeps the plain UniqueConstraint: SQLite has no
INCLUDE and Django would drop the whole constraint there. Same name, same key columns, so
uniqueness, ON CONFLICT and later migrations see the same constraint."""

import django.db.models.deletion
from django.db import migrations, models

COVERED = "loyalty, potential, value_potential, frequency, rfm_segment, rfm_r, rfm_f"
TABLE = "segmentation_customerclasses"


def _unique(schema_editor, include: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE {TABLE} DROP CONSTRAINT classes_run_customer_uniq, "
        f"ADD CONSTRAINT classes_run_customer_uniq UNIQUE (run_id, customer_id){include}"
    )


def cover(apps, schema_editor):
    _unique(schema_editor, f" INCLUDE ({COVERED})")


def uncover(apps, schema_editor):
    _unique(schema_editor, "")


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0008_list_indexes'),
        ('segmentation', '0010_audit_history'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='customerclasses',
            name='classes_run_lifecycle_idx',
        ),
        migrations.RemoveIndex(
            model_name='customerclasses',
            name='classes_run_value_idx',
        ),
        migrations.AlterField(
            model_name='customerclasses',
            name='run',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='segmentation.run'),
        ),
        migrations.AddIndex(
            model_name='customerclasses',
            index=models.Index(fields=['run', 'lifecycle', 'customer'], name='classes_run_lifecycle_idx'),
        ),
        migrations.AddIndex(
            model_name='customerclasses',
            index=models.Index(fields=['run', 'value_tier', 'customer'], name='classes_run_value_idx'),
        ),
        migrations.AddIndex(
            model_name='customerclasses',
            index=models.Index(condition=models.Q(('churn_warning', 'yes')), fields=['run', 'customer'], name='classes_run_churn_idx'),
        ),
        migrations.AddIndex(
            model_name='customerclasses',
            index=models.Index(condition=models.Q(('payment_risk', 'yes')), fields=['run', 'customer'], name='classes_run_payment_idx'),
        ),
        migrations.AddIndex(
            model_name='customerclasses',
            index=models.Index(condition=models.Q(('problem_customer', 'yes')), fields=['run', 'customer'], name='classes_run_problem_idx'),
        ),
        migrations.RunPython(cover, uncover),
    ]
