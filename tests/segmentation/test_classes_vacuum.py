"""After a run the class rows are vacuumed, so the customer list's index-only scans over them
read no table pages (crm.db.vacuum_analyze, segmentation.tasks.classes_vacuum_task)."""

import datetime as dt

import pytest
from django.db import connection

from crm.db import vacuum_analyze
from segmentation import hooks
from segmentation.models import CustomerClasses
from segmentation.services import segmentation_run
from segmentation.tasks import classes_vacuum_task, enqueue_classes_vacuum
from tests.customers.factories import CustomerFactory, TransactionFactory


def _visibility() -> tuple[int, int]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT relpages, relallvisible FROM pg_class WHERE oid = %s::regclass",
            [CustomerClasses._meta.db_table],
        )
        return cur.fetchone()


def test_vacuum_is_the_first_post_run_hook():
    """Registered by segmentation before strategies' task generation reads the classes."""
    assert hooks._post_run_hooks[0] is enqueue_classes_vacuum


@pytest.mark.django_db
def test_vacuum_skips_itself_inside_a_transaction():
    # A test runs inside a transaction, where VACUUM is an error on PostgreSQL; elsewhere
    # (SQLite) there is nothing to do.
    assert vacuum_analyze(CustomerClasses) is False
    assert classes_vacuum_task.delay(run_id=1).get() is False


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_leaves_its_class_rows_all_visible():
    today = dt.date(2026, 11, 24)
    for i in range(30):
        TransactionFactory(customer=CustomerFactory(), date=today - dt.timedelta(days=10 + i))
    run = segmentation_run(as_of=today)  # calls the post-run hooks once it has committed
    pages, visible = _visibility()
    assert CustomerClasses.objects.filter(run=run).count() == 30
    assert pages > 0
    assert visible == pages
