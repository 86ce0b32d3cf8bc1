"""The nightly jobs leave fresh planner statistics behind them (PostgreSQL): right after
a bulk write the planner otherwise plans with the old row counts, and a page that reads by
customer id takes a hash join over millions of rows (a rep's book went from 0.2 s to 1.3 s
at 1M customers)."""

import pytest
from django.db import connection

from segmentation.models import ClassAggregate
from strategies.models import Enrollment, Task
from strategies.tasks import strategies_after_run
from tests.customers.factories import CustomerFactory
from tests.strategies.factories import ClassChangeFactory, PlaybookFactory, StepFactory

pytestmark = [pytest.mark.django_db, pytest.mark.needs_postgres]


def _planner_rows(model) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [model._meta.db_table])
        return cursor.fetchone()[0]


def test_the_after_run_task_leaves_fresh_statistics_of_what_it_wrote(no_library, rep_alice):
    pb = PlaybookFactory(dimension="lifecycle", class_code="dormant")
    StepFactory(playbook=pb, order=1, kind="call", day_offset=0)
    StepFactory(playbook=pb, order=2, kind="offer", day_offset=7)
    change = ClassChangeFactory(customer=CustomerFactory(owner=rep_alice), to_code="dormant")
    for _ in range(4):
        ClassChangeFactory(run=change.run, customer=CustomerFactory(owner=rep_alice),
                           to_code="dormant")  # fmt: skip

    strategies_after_run(run_id=change.run_id)

    assert Task.objects.count() == 10
    assert _planner_rows(Task) == 10
    assert _planner_rows(Enrollment) == Enrollment.objects.count() == 5


def test_a_run_leaves_fresh_statistics_of_its_aggregates():
    import datetime as dt

    from segmentation.services import segmentation_run

    for _ in range(3):
        CustomerFactory()
    segmentation_run(as_of=dt.date(2026, 6, 30))
    assert ClassAggregate.objects.exists()
    assert _planner_rows(ClassAggregate) == ClassAggregate.objects.count()
