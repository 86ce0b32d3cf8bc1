"""Bulk loaders: PostgreSQL COPY (binary format, see pgbinary) from an in-memory buffer per
chunk, SQLite executemany.

Generated frames carry dates as day offsets from `as_of` and timestamps as seconds from `as_of`
00:00 UTC; `frame_for_db` turns them into the text both databases accept, and checks the frame
against the model so a model change fails here loudly rather than loading wrong columns.

On PostgreSQL the COPY runs in a background thread on the same connection while the main
thread draws the next chunk: numpy/pandas work on one core, the PostgreSQL backend on the
other. The queue holds at most two chunks, which bounds memory (~100 MB at 20,000 customers a
chunk). PgBulkWindow lifts secondary indexes and foreign keys for the load and restores (and
so re-validates) them before the transaction commits."""

from __future__ import annotations

import csv
import datetime as dt
import io
import queue
import threading
import time
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
from django.db import models
from django.utils import timezone

from .pgbinary import copy_binary


class SeedError(Exception):
    """Seeding cannot start or continue; the message says why and what to do."""


def _days(values: pd.Series, base: np.datetime64) -> np.ndarray:
    """Day offsets (NaN = no date) → datetime64 at midnight, NaT for no date."""
    offsets = values.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(offsets)
    days = base + np.where(missing, 0, offsets).astype(np.int64).astype("timedelta64[D]")
    days[missing] = np.datetime64("NaT")
    return days.astype("datetime64[s]")


def _stamps(values: pd.Series, base: np.datetime64) -> np.ndarray:
    """Seconds from `base` 00:00 UTC → naive UTC datetime64, never later than now."""
    seconds = values.to_numpy(dtype=np.int64)
    stamps = base.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    # Office hours of the run date may lie ahead of the clock, and nothing is logged in the
    # future: such moments move back by whole days (to yesterday's office hours).
    now = np.datetime64(timezone.now().replace(tzinfo=None), "s")
    ahead = (stamps - now).astype(np.int64)
    days_back = np.where(ahead > 0, -(-ahead // 86_400), 0)
    return stamps - days_back.astype("timedelta64[D]")


def frame_for_db(model: type[models.Model], frame: pd.DataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """The frame with every concrete column of `model` in model order, dates and timestamps
    as datetime64 (naive UTC): pandas writes them as "YYYY-MM-DD" / "YYYY-MM-DD HH:MM:SS",
    which both PostgreSQL (whose Django sessions run in UTC) and Django's SQLite storage read
    as UTC."""
    base = np.datetime64(as_of, "D")
    out: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        column = field.column
        if column not in frame.columns:
            if field.null:
                out[column] = None
                continue
            if field.has_default() and not callable(field.default):
                out[column] = field.default
                continue
            raise SeedError(
                f"The demo generator has no value for {model._meta.label}.{field.name}, which "
                "is required; update demo/seed for the new field."
            )
        values = frame[column]
        if isinstance(field, models.DateTimeField):
            out[column] = _stamps(values, base)
        elif isinstance(field, models.DateField):
            out[column] = _days(values, base)
        else:
            out[column] = values.array
    return pd.DataFrame(out, index=frame.index)


class Stats:
    """Rows and seconds spent loading, per table."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)

    def add(self, table: str, rows: int, seconds: float) -> None:
        self.rows[table] += rows
        self.seconds[table] += seconds


def _sqlite_values(column: pd.Series, field: models.Field) -> list:
    """Python values for sqlite3: ISO text for dates and timestamps (as Django stores them),
    None for every kind of missing value."""
    if isinstance(field, models.DateField):
        stamps = column.to_numpy()
        unit = "s" if isinstance(field, models.DateTimeField) else "D"
        text = np.datetime_as_string(stamps, unit=unit)  # type: ignore[call-overload]  # numpy's stubs want a literal unit
        text = np.strings.replace(text, "T", " ").astype(object)
        text[np.isnat(stamps)] = None
        return text.tolist()
    return column.astype(object).where(column.notna(), None).tolist()


class SqliteLoader:
    """executemany in the caller's thread; SQLite only needs a few thousand customers."""

    def __init__(self, connection, stats: Stats) -> None:
        self.connection = connection
        self.stats = stats

    def submit(self, batches: list[tuple[type[models.Model], pd.DataFrame]], *, as_of) -> None:
        for model, frame in batches:
            if frame.empty:
                continue
            db = frame_for_db(model, frame, as_of=as_of)
            started = time.perf_counter()
            # Table and column names come from the model; values are parameters.
            table = self.connection.ops.quote_name(model._meta.db_table)
            names = ", ".join(self.connection.ops.quote_name(c) for c in db.columns)
            marks = ", ".join(["%s"] * len(db.columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
            fields = {f.column: f for f in model._meta.concrete_fields}
            values = [_sqlite_values(db[c], fields[c]) for c in db.columns]
            with self.connection.cursor() as cursor:
                cursor.executemany(sql, list(zip(*values, strict=True)))
            self.stats.add(model._meta.db_table, len(db), time.perf_counter() - started)

    def close(self) -> None:
        pass


class PgCopyLoader:
    """COPY … FROM STDIN per table and chunk, in a background thread on the same connection.

    The caller holds the transaction (seed_demo runs in one); the thread only adds COPY
    statements to it while the main thread, which does not touch the connection meanwhile,
    draws the next chunk."""

    _DONE = object()

    def __init__(self, connection, stats: Stats, *, binary: bool = True) -> None:
        connection.ensure_connection()
        self.connection = connection
        self.raw = connection.connection
        self.binary = binary
        self.stats = stats
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="seed-copy", daemon=True)
        self.thread.start()

    def submit(self, batches: list[tuple[type[models.Model], pd.DataFrame]], *, as_of) -> None:
        if self.error is not None:
            self.close()
        payload = []
        for model, frame in batches:
            if frame.empty:
                continue
            db = frame_for_db(model, frame, as_of=as_of)
            if self.binary:
                data = copy_binary(model, db, self.connection)
            else:
                text = io.StringIO()
                # Generated text never holds tabs, newlines or backslashes (see vocab), so
                # plain tab-separated output is valid COPY text format.
                db.to_csv(
                    text, sep="\t", header=False, index=False, na_rep="\\N", quoting=csv.QUOTE_NONE
                )
                data = text.getvalue().encode()
            payload.append((model._meta.db_table, list(db.columns), data, len(db)))
        self.queue.put(payload)

    def _run(self) -> None:
        while True:
            payload = self.queue.get()
            if payload is self._DONE:
                return
            if self.error is not None:
                continue  # drain so the producer never blocks
            try:
                options = " WITH (FORMAT binary)" if self.binary else ""
                for table, columns, data, rows in payload:
                    started = time.perf_counter()
                    names = ", ".join(f'"{c}"' for c in columns)
                    with self.raw.cursor() as cursor:
                        cursor.copy_expert(
                            f'COPY "{table}" ({names}) FROM STDIN{options}',
                            io.BytesIO(data),
                            size=1 << 20,
                        )
                    self.stats.add(table, rows, time.perf_counter() - started)
            except BaseException as exc:  # re-raised in the main thread by close()
                self.error = exc

    def close(self) -> None:
        if self.thread.is_alive():
            self.queue.put(self._DONE)
            self.thread.join()
        if self.error is not None:
            error, self.error = self.error, None
            raise SeedError(f"Loading into PostgreSQL failed: {error}") from error


class PgBulkWindow:
    """Secondary indexes and foreign keys of the loaded tables, lifted for the load and put
    back afterwards, inside the caller's transaction.

    A row-by-row foreign-key trigger costs ~20 µs and every extra index a few more, which is
    most of the time of a 20-million-row COPY; building an index once and validating a foreign
    key with one join over the whole table is an order of magnitude cheaper. `ADD CONSTRAINT`
    re-checks every row, so nothing is loaded unchecked, and because PostgreSQL DDL is
    transactional, a failed or killed run rolls back to the original schema (and data).
    Primary keys, unique and check constraints stay in place throughout."""

    def __init__(self, connection, tables: list[str]) -> None:
        self.connection = connection
        self.tables = tables
        self.indexes: list[tuple[str, str]] = []
        self.foreign_keys: list[tuple[str, str, str]] = []

    def lift(self) -> None:
        with self.connection.cursor() as cursor:
            # Check what this transaction wrote so far (users, catalogue) now: PostgreSQL will
            # not alter a table with deferred checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                """
                SELECT ic.relname, pg_get_indexdef(ix.indexrelid)
                FROM pg_index ix
                JOIN pg_class ic ON ic.oid = ix.indexrelid
                JOIN pg_class tc ON tc.oid = ix.indrelid
                WHERE tc.relname = ANY(%s) AND tc.relnamespace = current_schema()::regnamespace
                  AND NOT EXISTS (
                    SELECT 1 FROM pg_constraint c
                    WHERE c.conindid = ix.indexrelid AND c.contype IN ('p', 'u', 'x'))
                ORDER BY tc.relname, ic.relname
                """,
                [self.tables],
            )
            self.indexes = cursor.fetchall()
            cursor.execute(
                """
                SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
                FROM pg_constraint c JOIN pg_class tc ON tc.oid = c.conrelid
                WHERE c.contype = 'f' AND tc.relname = ANY(%s)
                  AND tc.relnamespace = current_schema()::regnamespace
                ORDER BY 1, 2
                """,
                [self.tables],
            )
            self.foreign_keys = cursor.fetchall()
            quote = self.connection.ops.quote_name
            for table, name, _definition in self.foreign_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
            for name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")

    def restore(self, progress=None) -> None:
        quote = self.connection.ops.quote_name
        steps = [(f"index {name}", definition) for name, definition in self.indexes] + [
            (
                f"foreign key {table}.{name}",
                f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}",
            )
            for table, name, definition in self.foreign_keys
        ]
        with self.connection.cursor() as cursor:
            # Sort in memory once per index rather than spilling to disk.
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for label, statement in steps:
                started = time.perf_counter()
                cursor.execute(statement)
                if progress:
                    progress(f"  {label}: {time.perf_counter() - started:,.1f} s")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self.indexes, self.foreign_keys = [], []
