"""Indexes for the customer list's search box on PostgreSQL.

The search (customers.filters.CustomerFilter.filter_search) runs
`UPPER(name::text) LIKE UPPER('%term%')`, `UPPER(external_code::text) LIKE UPPER('term%')`
and `phone::text LIKE 'term%'` — Django's SQL for icontains / istartswith / startswith. A
trigram GIN index answers the first, text_pattern_ops b-trees the prefix ones, so a search
over a million customers reads index pages instead of the table. Other databases (SQLite in
development) skip this migration."""

from django.db import migrations

INDEXES = [
    (
        "customer_name_trgm_idx",
        "customers_customer USING gin (UPPER(name::text) gin_trgm_ops)",
    ),
    (
        "customer_code_prefix_idx",
        "customers_customer (UPPER(external_code::text) text_pattern_ops)",
    ),
    ("customer_phone_prefix_idx", "customers_customer ((phone::text) text_pattern_ops)"),
    (
        "contact_name_trgm_idx",
        "customers_contact USING gin (UPPER(name::text) gin_trgm_ops)",
    ),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, target in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _target in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_customer_merge")]

    operations = [migrations.RunPython(create, drop)]
