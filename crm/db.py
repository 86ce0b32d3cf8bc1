"""Database helpers shared by the apps' bulk jobs."""

from __future__ import annotations

from django.db import connection


def analyze(*models) -> None:
    """Fresh planner statistics for tables a bulk job has just filled or rewritten
    (PostgreSQL; a no-op elsewhere). Autovacuum analyses a table only some time after a
    large change (and not at all where it is switched off), so until then the planner plans
    with the old row counts: right after the first night's task generation it took a table
    of 3.4 million tasks for 8,000 rows and a rep's book page went from 0.2 s to 1.3 s."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def vacuum_analyze(*models) -> bool:
    """VACUUM (ANALYZE) tables a bulk job has just rewritten (PostgreSQL; a no-op elsewhere).

    Besides statistics, VACUUM sets the visibility map, which index-only scans need: until a
    page is marked all-visible, every index entry on it costs a visit to the table. After the
    nightly COPY of a million class rows that turns the customer list's 25 ms index-only
    merge joins into 300 ms ones, until autovacuum gets there (never, where it is off). Only
    pages changed since the last VACUUM are read (~10 s after a 1M-customer run).

    VACUUM cannot run inside a transaction: returns False (and does nothing) there."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
    return True
