"""Indexes for the customer list at a million customers (PostgreSQL plans in the commit).

- customer_team_id_idx / customer_team_attr_idx: a manager's team in id order (merge joins
  with the classes indexes) and a team's customers by region, industry and size.
- customer_name_chars_idx (PostgreSQL): a GIN index over the characters of the upper-cased
  name. Trigrams (0003) cannot answer a one- or two-character term (王, 科技); this index
  narrows it to the names holding every character, which LIKE then checks
  (customers.filters.search_branches writes the same expression).
- customer_team_region_stats (PostgreSQL): teams are regional, so "team 5 and region east"
  is far rarer than the two columns' frequencies multiplied. Without these statistics the
  planner expects thousands of rows and walks the team's whole name index looking for them.
"""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

POSTGRES_SQL = [
    (
        "CREATE INDEX IF NOT EXISTS customer_name_chars_idx ON customers_customer "
        "USING gin (string_to_array(UPPER(name), NULL))",
        "DROP INDEX IF EXISTS customer_name_chars_idx",
    ),
    (
        "CREATE STATISTICS IF NOT EXISTS customer_team_region_stats (mcv) "
        "ON team_id, region FROM customers_customer",
        "DROP STATISTICS IF EXISTS customer_team_region_stats",
    ),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql, _undo in POSTGRES_SQL:
        schema_editor.execute(sql)
    # Extended statistics are only built by ANALYZE (about a second at 1M customers).
    schema_editor.execute("ANALYZE customers_customer")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _sql, undo in reversed(POSTGRES_SQL):
        schema_editor.execute(undo)


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0001_initial'),
        ('customers', '0007_log_rep_when_idx'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='customer',
            name='team',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='customers', to='crm.team', verbose_name='team'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['team', 'id'], name='customer_team_id_idx'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['team', 'region', 'industry', 'size', 'id'], name='customer_team_attr_idx'),
        ),
        migrations.RunPython(create, drop),
    ]
