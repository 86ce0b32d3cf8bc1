"""crm.db: the one bulk writer (COPY on PostgreSQL, executemany on SQLite: the same rows
either way), the advisory lock keys, TRUNCATE, the date arithmetic and id allocation."""

import datetime as dt
import math

import pandas as pd
import pytest
from django.db import connection, connections

from crm.db import (
    LockKey,
    advisory_xact_lock,
    bulk_insert,
    days_between_sql,
    is_postgresql,
    next_ids,
    session_advisory_lock,
    session_lock_held_elsewhere,
    truncate,
)
from customers.models import Customer
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

TABLE = "crm_test_bulk"
COLUMNS = ["id", "name", "amount", "note"]


@pytest.fixture
def table():
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {TABLE} (id integer, name varchar(20) NOT NULL, "
            "amount double precision, note varchar(20))"
        )
    yield TABLE
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}")


def _read() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, name, amount, note FROM {TABLE} ORDER BY id")  # noqa: S608
        return [tuple(r) for r in cursor.fetchall()]


def test_bulk_insert_of_tuples_keeps_empty_text_and_none_as_null(table):
    rows = [(1, "", 1.5, None), (2, 'b, "quoted"\nline', None, "x")]
    assert bulk_insert(table=table, columns=COLUMNS, rows=rows, text_columns=["name"]) == 2
    assert _read() == [(1, "", 1.5, None), (2, 'b, "quoted"\nline', None, "x")]


def test_bulk_insert_of_a_frame_writes_integers_rounds_floats_and_nan_as_null(table):
    frame = pd.DataFrame(
        {
            "id": [1.0, 2.0],  # floats in the frame (a NaN elsewhere in the column)…
            "name": ["", "b"],
            "amount": [1.23456, math.nan],
            "note": [None, "n"],
            "ignored": ["not", "written"],
        }
    )
    written = bulk_insert(
        table=table,
        columns=COLUMNS,
        rows=frame,
        integer_columns=["id"],
        text_columns=["name"],
        float_decimals=2,
    )
    assert written == 2
    got = _read()
    assert got == [(1, "", 1.23, None), (2, "b", None, "n")]
    assert all(type(r[0]) is int for r in got)  # …written as integers, not "1.0"


def test_bulk_insert_of_nothing_writes_nothing(table):
    assert bulk_insert(table=table, columns=COLUMNS, rows=[]) == 0
    assert bulk_insert(table=table, columns=COLUMNS, rows=pd.DataFrame(columns=COLUMNS)) == 0
    assert _read() == []


def test_bulk_insert_batches_large_inputs(table, monkeypatch):
    monkeypatch.setattr("crm.db.SQLITE_BATCH", 3)
    rows = [(i, f"n{i}", float(i), None) for i in range(10)]
    assert bulk_insert(table=table, columns=COLUMNS, rows=rows) == 10
    assert [r[0] for r in _read()] == list(range(10))


def test_lock_keys_are_never_renumbered():
    """Changing a number would let an old and a new process run the same job at once."""
    assert {k.name: int(k) for k in LockKey} == {
        "SEGMENTATION_RUN": 720_001,
        "SEGMENTATION_CLAIM": 720_002,
        "STRATEGIES_GENERATE": 720_101,
    }


def test_segmentation_uses_the_same_lock_numbers():
    """Until segmentation.pipeline.claim imports crm.db.LockKey instead of declaring its own
    copy, the copy must hold the same numbers."""
    from segmentation.pipeline import claim
    from segmentation.services import LockKey as exported

    assert exported is LockKey
    for key in claim.LockKey:
        assert int(key) == int(LockKey[key.name])


def test_locks_are_no_ops_on_sqlite():
    if is_postgresql():
        pytest.skip("PostgreSQL takes the locks: see the tests below")
    advisory_xact_lock(LockKey.STRATEGIES_GENERATE)
    with session_advisory_lock(LockKey.SEGMENTATION_RUN) as taken:
        assert taken is True
    assert session_lock_held_elsewhere(LockKey.SEGMENTATION_RUN) is False


@pytest.fixture
def other_connection():
    other = connections.create_connection("default")
    yield other
    other.close()


def _try_lock(conn, key: LockKey) -> bool:
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [int(key)])
        return bool(cursor.fetchone()[0])


@pytest.mark.needs_postgres
def test_advisory_xact_lock_holds_off_another_session(other_connection):
    advisory_xact_lock(LockKey.STRATEGIES_GENERATE)
    other_connection.set_autocommit(False)
    assert _try_lock(other_connection, LockKey.STRATEGIES_GENERATE) is False
    assert _try_lock(other_connection, LockKey.SEGMENTATION_CLAIM) is True
    other_connection.rollback()


@pytest.mark.needs_postgres
def test_session_lock_is_seen_and_released(other_connection):
    with session_advisory_lock(LockKey.SEGMENTATION_RUN) as taken:
        assert taken is True
        with other_connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [int(LockKey.SEGMENTATION_RUN)])
            assert cursor.fetchone()[0] is False
    with other_connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [int(LockKey.SEGMENTATION_RUN)])
        assert cursor.fetchone()[0] is True
    # Held by the other session now: this one sees it, and cannot take it.
    assert session_lock_held_elsewhere(LockKey.SEGMENTATION_RUN) is True
    with session_advisory_lock(LockKey.SEGMENTATION_RUN) as taken:
        assert taken is False
    with other_connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [int(LockKey.SEGMENTATION_RUN)])
    assert session_lock_held_elsewhere(LockKey.SEGMENTATION_RUN) is False


def test_truncate_empties_the_tables():
    CustomerFactory.create_batch(2)
    truncate(Customer)
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2026-01-01", "2026-01-01", 0),
        ("2026-01-01", "2026-03-01", 59),
        ("2026-03-01", "2026-02-27", -2),
    ],
)
def test_days_between(start, end, days):
    sql = days_between_sql("%s", "%s")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sql}",
            [dt.date.fromisoformat(end), dt.date.fromisoformat(start)],  # end comes first
        )
        assert cursor.fetchone()[0] == days


def test_next_ids_are_fresh_and_distinct():
    existing = CustomerFactory()
    ids = next_ids(Customer, 3)
    assert len(set(ids)) == 3
    assert min(ids) > existing.pk
    assert next_ids(Customer, 0) == []
