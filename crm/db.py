"""Database helpers shared by the apps' bulk jobs: the one bulk writer (COPY on PostgreSQL,
batched executemany elsewhere), advisory locks and their keys, planner statistics, TRUNCATE.

Where PostgreSQL and SQLite differ only in how the same job is done, the branch lives here
and callers say what they want (`bulk_insert`, `advisory_xact_lock`, `analyze`). SQL that is
genuinely different per database (a GROUPING SETS query, a trigram index) stays with its
caller, behind `is_postgresql()`.

The demo generator's binary COPY (demo/seed/pgbinary.py, demo/seed/load.py) is not routed
through `bulk_insert`: it encodes numpy columns straight into PostgreSQL's binary COPY format
from a background thread, a different format and job from these CSV writes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import IntEnum
from typing import IO, Any

import pandas as pd
from django.db import connection, transaction
from django.db.models import Model

# Rows per executemany batch on SQLite: 5,000 rows × ~50 columns keeps memory flat.
SQLITE_BATCH = 5_000


class LockKey(IntEnum):
    """pg_advisory_lock keys of the project, all in one place. Never renumber: a running
    old process would hold a different lock than a new one. Add new keys with new numbers
    (7200xx segmentation, 7201xx strategies)."""

    SEGMENTATION_RUN = 720_001
    SEGMENTATION_CLAIM = 720_002
    STRATEGIES_GENERATE = 720_101


def is_postgresql() -> bool:
    """Whether the default database is PostgreSQL (production, CI); SQLite otherwise
    (development, the default test run)."""
    return connection.vendor == "postgresql"


def postgresql_autocommit() -> bool:
    """PostgreSQL, outside any transaction: other connections (threads) see what this one
    commits, and statements that must open their own transaction (VACUUM, SET TRANSACTION
    ISOLATION LEVEL) may run. False on SQLite and inside `atomic` (tests)."""
    return is_postgresql() and not connection.in_atomic_block


def quoted_table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# ---------------------------------------------------------------------------- locks


def advisory_xact_lock(key: LockKey) -> None:
    """Waits for the transaction-scoped advisory lock `key` (released at commit/rollback).
    SQLite needs none: its write transactions are serial anyway."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(key)])


@contextmanager
def session_advisory_lock(key: LockKey) -> Iterator[bool]:
    """Tries the session advisory lock `key` without waiting; yields whether it was taken
    (and releases it on exit). A session lock dies with its connection, so a killed process
    never blocks the next one. Always yields True on SQLite (nothing to coordinate with)."""
    if not is_postgresql():
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [int(key)])
        taken = bool(cursor.fetchone()[0])
    try:
        yield taken
    finally:
        if taken:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [int(key)])


def session_lock_held_elsewhere(key: LockKey) -> bool:
    """Whether another session of this database holds the session advisory lock `key`
    (always False on SQLite)."""
    if not is_postgresql():
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            # pg_locks spans the cluster: only this database's sessions count.
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = 0 AND objid = %s AND pid <> pg_backend_pid() AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()))",
            [int(key)],
        )
        return bool(cursor.fetchone()[0])


# ---------------------------------------------------------------------------- bulk writes


def copy_csv(
    *,
    table: str,
    columns: Sequence[str] | None,
    stream: IO[str],
    null: str | None = None,
    force_not_null: Sequence[str] = (),
    encoding: str | None = None,
) -> None:
    """PostgreSQL only: `COPY table (columns) FROM STDIN` of a CSV text stream (all of the
    table's columns when `columns` is None). `null` is the NULL marker when not the empty
    field; `force_not_null` columns read an empty field as '' instead of NULL. `null` and
    `encoding` are constants of the caller, never user input."""
    qn = connection.ops.quote_name
    options = ["FORMAT csv"]
    if null is not None:
        options.append("NULL '" + null.replace("'", "''") + "'")
    if encoding is not None:
        options.append(f"ENCODING '{encoding}'")
    if force_not_null:
        options.append(f"FORCE_NOT_NULL ({', '.join(qn(c) for c in force_not_null)})")
    cols = f" ({', '.join(qn(c) for c in columns)})" if columns else ""
    with connection.cursor() as cursor:
        # Django's cursor hands copy_expert to psycopg2's, which streams the buffer.
        cursor.copy_expert(f"COPY {qn(table)}{cols} FROM STDIN WITH ({', '.join(options)})", stream)


def _frame_prepared(
    frame: pd.DataFrame,
    columns: Sequence[str],
    integer_columns: Sequence[str],
    float_decimals: int | None,
) -> pd.DataFrame:
    data = frame.loc[:, list(columns)].copy()
    for col in integer_columns:
        if col in data:
            data[col] = pd.to_numeric(data[col], errors="coerce").round().astype("Int64")
    if float_decimals is not None:
        for col in data.columns:
            if data[col].dtype == "float64":
                data[col] = data[col].round(float_decimals)
    return data


def bulk_insert(
    *,
    table: str,
    columns: Sequence[str],
    rows: pd.DataFrame | Sequence[Sequence[Any]],
    text_columns: Sequence[str] = (),
    integer_columns: Sequence[str] = (),
    float_decimals: int | None = None,
) -> int:
    """Inserts `rows` into `table` (plain rows; callers have removed the ones that already
    exist) and returns how many: COPY on PostgreSQL, batched executemany elsewhere.

    `rows` is a DataFrame (its `columns` are written; NaN/NA is NULL) or a sequence of
    tuples in `columns` order (None is NULL). `text_columns` keep "" as "" — a CSV COPY
    would read an empty field as NULL. For frames, `integer_columns` are written as
    integers (not "3.0") and floats are rounded to `float_decimals` when given: short
    numbers make the CSV, the slowest step of the write, about a third faster."""
    is_frame = isinstance(rows, pd.DataFrame)
    if len(rows) == 0:
        return 0
    data = _frame_prepared(rows, columns, integer_columns, float_decimals) if is_frame else rows
    if is_postgresql():
        buffer = io.StringIO()
        if isinstance(data, pd.DataFrame):
            data.to_csv(buffer, header=False, index=False, na_rep="")
        else:
            csv.writer(buffer).writerows(data)
        buffer.seek(0)
        copy_csv(table=table, columns=columns, stream=buffer, force_not_null=text_columns)
        return len(data)
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608 - quoted identifiers
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(data), SQLITE_BATCH):
            if isinstance(data, pd.DataFrame):
                chunk = data.iloc[start : start + SQLITE_BATCH].astype(object)
                chunk = chunk.where(chunk.notna(), None)
                batch: Sequence[Sequence[Any]] = [tuple(r) for r in chunk.itertuples(index=False)]
            else:
                batch = data[start : start + SQLITE_BATCH]
            cursor.executemany(sql, batch)
    return len(data)


def truncate(*models: type[Model]) -> None:
    """Empties these tables (children first) and restarts their ids: TRUNCATE … CASCADE on
    PostgreSQL, DELETE elsewhere."""
    if is_postgresql():
        tables = ", ".join(quoted_table(m) for m in models)
        with connection.cursor() as cursor:
            # PostgreSQL will not truncate a table with deferred checks pending in this
            # transaction; run them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return
    with transaction.atomic():
        for model in models:
            model._default_manager.all().delete()


# ---------------------------------------------------------------------------- statistics


def analyze(*models: type[Model]) -> None:
    """Fresh planner statistics for tables a bulk job has just filled or rewritten
    (PostgreSQL; a no-op elsewhere). Autovacuum analyses a table only some time after a
    large change (and not at all where it is switched off), so until then the planner plans
    with the old row counts: right after the first night's task generation it took a table
    of 3.4 million tasks for 8,000 rows and a rep's book page went from 0.2 s to 1.3 s."""
    if not is_postgresql():
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {quoted_table(model)}")


def vacuum_analyze(*models: type[Model]) -> bool:
    """VACUUM (ANALYZE) tables a bulk job has just rewritten (PostgreSQL; a no-op elsewhere).

    Besides statistics, VACUUM sets the visibility map, which index-only scans need: until a
    page is marked all-visible, every index entry on it costs a visit to the table. After the
    nightly COPY of a million class rows that turns the customer list's 25 ms index-only
    merge joins into 300 ms ones, until autovacuum gets there (never, where it is off). Only
    pages changed since the last VACUUM are read (~10 s after a 1M-customer run).

    VACUUM cannot run inside a transaction: returns False (and does nothing) there."""
    if not postgresql_autocommit():
        return False
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM (ANALYZE) {quoted_table(model)}")
    return True


def set_local_work_mem(size: str) -> None:
    """PostgreSQL, inside a transaction: `work_mem` for the rest of it (a big hashed
    GROUP BY). A no-op elsewhere. `size` is a constant such as '256MB', never user input."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{size}'")


def days_between_sql(start: str, end: str) -> str:
    """SQL for the whole days from `start` to `end` (two date expressions)."""
    if is_postgresql():
        return f"({end} - {start})"
    return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"


def next_ids(model: type[Model], n: int) -> list[int]:
    """`n` fresh primary keys for rows about to be inserted with explicit ids: from the
    table's sequence on PostgreSQL; past the highest id elsewhere (SQLite: the caller's
    transaction holds the only write lock)."""
    if n == 0:
        return []
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, n],
            )
            return [row[0] for row in cursor.fetchall()]
    top = model._default_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
    return list(range(top + 1, top + 1 + n))
