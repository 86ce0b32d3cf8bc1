"""Adherence buckets are defined once (strategies.adherence_buckets): the ORM annotations the
live table and the dashboard count with and the SQL the nightly rollup writes with put every
task in the same bucket, at each boundary (done on the due date / a day after)."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from strategies import adherence_buckets as buckets
from strategies.models import Task, TaskKind, TaskStatus
from tests.strategies.factories import TaskFactory

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 3, 1)
DAY = dt.timedelta(days=1)
ZERO = dict.fromkeys(buckets.COUNT_NAMES, 0)

CASES = [
    ("done early", {"status": TaskStatus.DONE, "closed_on": DUE - DAY}, "on_time"),
    ("done on the due date", {"status": TaskStatus.DONE, "closed_on": DUE}, "on_time"),
    ("done a day late", {"status": TaskStatus.DONE, "closed_on": DUE + DAY}, "late"),
    ("missed", {"status": TaskStatus.MISSED, "closed_on": DUE + 7 * DAY}, "missed"),
    ("open", {"status": TaskStatus.OPEN}, "still_open"),
    ("snoozed", {"status": TaskStatus.SNOOZED, "snoozed_until": DUE + DAY}, "still_open"),
    ("not applicable", {"status": TaskStatus.NOT_APPLICABLE, "closed_on": DUE}, "not_applicable"),
]  # fmt: skip


def _sql_counts() -> dict[str, int]:
    exprs, params = buckets.sums_sql("t")
    excluded = ", ".join(["%s"] * len(buckets.EXCLUDED_KINDS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(exprs)} FROM {Task._meta.db_table} t "  # noqa: S608 - constants
            f"WHERE t.kind NOT IN ({excluded})",
            [*params, *buckets.EXCLUDED_KINDS],
        )
        return dict(zip(buckets.COUNT_NAMES, (v or 0 for v in cursor.fetchone()), strict=True))


@pytest.mark.parametrize(("case", "fields", "bucket"), CASES, ids=[c[0] for c in CASES])
def test_orm_and_sql_put_a_task_in_the_same_bucket(case, fields, bucket):
    done = {"completed_at": timezone.now()} if fields["status"] == TaskStatus.DONE else {}
    TaskFactory(due_on=DUE, **fields, **done)
    expected = {**ZERO, "due": 1, bucket: 1}
    assert buckets.counted(Task.objects.all()).aggregate(**buckets.counts()) == expected
    assert _sql_counts() == expected


def test_pool_notices_never_count():
    TaskFactory(due_on=DUE, kind=TaskKind.POOL_NOTICE, status=TaskStatus.MISSED)
    assert buckets.counted(Task.objects.all()).aggregate(**buckets.counts()) == ZERO
    assert _sql_counts() == ZERO


def test_every_task_status_has_exactly_one_bucket():
    statuses = [s for b in buckets.BUCKETS for s in b.statuses]
    assert sorted(set(statuses)) == sorted(TaskStatus.values)
    # DONE is split by the close date, every other status has one bucket.
    assert statuses.count(TaskStatus.DONE) == 2
