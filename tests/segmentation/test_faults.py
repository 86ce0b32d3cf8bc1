"""Faults of the run on real services: PostgreSQL, Redis and Celery worker processes.

A worker is SIGKILLed in the middle of a run at a chosen point (CRM_TEST_PAUSE_PARTITION makes
one partition's step sleep after its commit and before its acknowledgement, so the kill lands
there every time, no timing guess): the product keeps showing yesterday's classes throughout,
a second worker gets the unacknowledged task redelivered and finishes the run, and nothing is
duplicated or lost, compared row by row with a clean re-run of the same day."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
import uuid
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import Transaction
from segmentation.models import ClassChange, CustomerClasses, Run, RunPartition, RunStatus
from segmentation.pipeline.executors import run_start
from segmentation.services import RunInProgress, segmentation_run
from strategies.models import Enrollment, Task
from tests.conftest import _celery_worker_drain, celery_worker_start, celery_worker_stop
from tests.customers.factories import CustomerFactory

pytestmark = [
    pytest.mark.needs_postgres,
    pytest.mark.needs_redis,
    pytest.mark.needs_worker,
    pytest.mark.django_db(transaction=True),
]

DAY1 = timezone.localdate() - dt.timedelta(days=1)
DAY2 = timezone.localdate()
CUSTOMERS = 240
PARTITION = 40  # six partitions
KILLED_PARTITION = 2


def _book(rep) -> list[int]:
    """Deterministic customers: purchase patterns by index, so both days classify many ways
    and day 2 changes classes (a purchase on day 2 for every seventh customer)."""
    customers = [CustomerFactory(owner=rep) for _ in range(CUSTOMERS)]
    rows = []
    for i, customer in enumerate(customers):
        if i % 8 == 0:
            continue  # prospects
        for k in range(1 + i % 9):
            rows.append(
                Transaction(
                    customer=customer,
                    date=DAY1 - dt.timedelta(days=3 + (i * 7 + k * 41) % 700),
                    amount=Decimal(100 + (i * 37) % 5000),
                    cost=Decimal(60 + (i * 37) % 3000),
                    status="paid",
                )
            )
        if i % 7 == 0:
            rows.append(Transaction(customer=customer, date=DAY2, amount=Decimal("900")))
    Transaction.objects.bulk_create(rows)
    return [c.pk for c in customers]


def _wait(predicate, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _classes(run_id: int) -> list[tuple]:
    return sorted(
        CustomerClasses.objects.filter(run_id=run_id).values_list(
            "customer_id", "lifecycle", "value_tier", "rfm_segment", "churn_warning", "pending"
        )
    )


def _changes(run_id: int) -> list[tuple]:
    return sorted(
        ClassChange.objects.filter(run_id=run_id).values_list(
            "customer_id", "dimension", "from_code", "to_code"
        )
    )


def _tasks() -> list[tuple]:
    return sorted(
        Task.objects.values_list(
            "customer_id", "enrollment__playbook_id", "step_id", "status", "due_on"
        )
    )


@pytest.fixture
def celery_queue():
    """A private queue for this test's workers; tasks sent from the test go there too."""
    from crm.celery import app

    queue = f"fault-{uuid.uuid4().hex[:10]}"
    old = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = old


def test_worker_killed_mid_run_keeps_yesterday_visible_and_loses_nothing(
    celery_queue, rep_alice, admin_ada, client
):
    from crm.celery import app

    ids = _book(rep_alice)
    # Day 1 in this process (eager hooks: strategies enrols the first run's classes).
    app.conf.task_always_eager = True
    day1 = segmentation_run(as_of=DAY1, partition_size=PARTITION)
    app.conf.task_always_eager = False
    assert day1.customers_total == CUSTOMERS
    watched = ids[KILLED_PARTITION * PARTITION + 5]  # a customer in the killed partition
    watched_day1 = CustomerClasses.objects.get(run=day1, customer_id=watched).lifecycle

    node_a = f"a-{celery_queue}@localhost"
    worker_a = celery_worker_start(
        celery_queue, node_a, {"CRM_TEST_PAUSE_PARTITION": f"classify:{KILLED_PARTITION}:600"}
    )
    try:
        run = run_start(as_of=DAY2, triggered_by="fault test", partition_size=PARTITION)
        assert run.status == RunStatus.RUNNING
        killed = RunPartition.objects.filter(run=run, index=KILLED_PARTITION)
        # The partition's classes are committed; its task sleeps before the acknowledgement.
        _wait(lambda: killed.filter(classified_at__isnull=False).exists(), "the pause")

        # During the run: yesterday's classes are what the product shows.
        assert Run.objects.get(is_current=True).pk == day1.pk
        assert Run.objects.get(pk=run.pk).status == RunStatus.RUNNING
        current = Run.objects.get(is_current=True)
        assert CustomerClasses.objects.filter(run=current).count() == CUSTOMERS
        assert (
            CustomerClasses.objects.get(run=current, customer_id=watched).lifecycle == watched_day1
        )
        # A second run meanwhile is refused, by the command and by the admin's "run now".
        with (
            translation.override("en"),
            pytest.raises(CommandError, match=f"A run as of {DAY2} is in progress"),
        ):
            call_command("segment", "--as-of", str(DAY2), "--force", verbosity=0)
        client.force_login(admin_ada)
        with translation.override("en"):
            page = client.post(
                reverse("admin:segmentation_run_now"), follow=True, HTTP_ACCEPT_LANGUAGE="en"
            ).content.decode()
        assert "was not started" in page
        assert f"A run as of {DAY2} is in progress" in page
        assert Run.objects.get(pk=run.pk).attempts == 1

        os.kill(worker_a.pid, signal.SIGKILL)
        worker_a.wait(timeout=20)
        # Still yesterday's classes after the kill.
        assert Run.objects.get(is_current=True).pk == day1.pk
        assert Run.objects.get(pk=run.pk).status == RunStatus.RUNNING
    finally:
        if worker_a.poll() is None:
            worker_a.kill()
            worker_a.wait(timeout=20)

    # A healthy worker gets the unacknowledged task back (after the visibility timeout) and
    # the run carries on from where it was.
    node_b = f"b-{celery_queue}@localhost"
    worker_b = celery_worker_start(celery_queue, node_b, {"CELERY_VISIBILITY_TIMEOUT": "3"})
    try:
        _wait(
            lambda: (
                Run.objects.get(pk=run.pk).status != RunStatus.RUNNING
                and bool(Run.objects.get(pk=run.pk).timings)
            ),
            "the redelivered run to finish",
        )
        run.refresh_from_db()
        assert (run.status, run.is_current, run.attempts) == (RunStatus.SUCCEEDED, True, 1)
        assert run.error == ""
        assert killed.get().deliveries == 2  # the killed delivery and the redelivered one
        # The post-run hook (strategies) ran on the worker too.
        _celery_worker_drain(app, queue=celery_queue, node=node_b)
        assert Enrollment.objects.filter(run_id=run.pk).exists()
    finally:
        celery_worker_stop(worker_b)

    faulted = (_classes(run.pk), _changes(run.pk), _tasks())
    assert len(faulted[0]) == CUSTOMERS
    assert len({row[0] for row in faulted[0]}) == CUSTOMERS
    assert faulted[1], "day 2 changes some classes"
    assert ClassChange.objects.filter(run=run).count() == run.changes_total

    # The clean reference: the same day again, in this process, start to finish. Its rows
    # are exactly the faulted run's; strategies finds no task missing and none extra.
    app.conf.task_always_eager = True
    clean = segmentation_run(as_of=DAY2, partition_size=PARTITION, force=True)
    assert clean.pk == run.pk
    assert clean.attempts == 2
    assert _classes(clean.pk) == faulted[0]
    assert _changes(clean.pk) == faulted[1]
    assert _tasks() == faulted[2]
    assert clean.changes_total == run.changes_total
    assert clean.counts == run.counts


def test_two_runs_started_at_once_one_runs_the_other_is_refused(rep_alice):
    """Two threads (own connections) start the same night's run at the same moment."""
    _book(rep_alice)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def start():
        try:
            barrier.wait(timeout=10)
            with translation.override("en"):
                outcomes.append(segmentation_run(as_of=DAY2, partition_size=PARTITION))
        except RunInProgress as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    refused = [o for o in outcomes if isinstance(o, RunInProgress)]
    ran = [o for o in outcomes if isinstance(o, Run)]
    assert len(refused) == 1, outcomes
    assert len(ran) == 1, outcomes
    assert str(refused[0]) == "Another segmentation run is in progress."
    assert ran[0].status == RunStatus.SUCCEEDED
    assert Run.objects.get().attempts == 1
    assert CustomerClasses.objects.filter(run=ran[0]).count() == CUSTOMERS
    assert connection.vendor == "postgresql"
