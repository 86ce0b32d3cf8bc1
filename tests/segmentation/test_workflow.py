"""The run as steps (the Celery workflow's tasks, called here in-process): staging,
redelivery, a failing partition, a superseded attempt, a second run refused."""

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from segmentation.metrics import Partition
from segmentation.models import ClassChange, CustomerClasses, Run, RunPartition, RunStatus
from segmentation.pipeline import claim, executors
from segmentation.pipeline import runjob as steps
from segmentation.pipeline import steps as pipeline_steps
from segmentation.pipeline.write import partition_classify_write
from segmentation.rules import rules_from_ruleset
from segmentation.services import RunInProgress, segmentation_run
from segmentation.staging import frame_columns, frame_pack, frame_unpack
from tests.customers.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def customers(db):
    out = []
    for i in range(7):
        customer = CustomerFactory()
        for days in range(5 + i, 400, 60 + 10 * i):
            TransactionFactory(
                customer=customer, date=AS_OF - dt.timedelta(days=days), amount=Decimal("300")
            )
        out.append(customer)
    out.append(CustomerFactory())  # a prospect
    return out


def test_staged_frames_round_trip_and_read_only_the_asked_columns():
    frame = pd.DataFrame(
        {
            "orders": np.array([3, 0, 7], dtype="int64"),
            "revenue": [10.5, np.nan, 3.25],
            "nullable": pd.array([1, None, 3], dtype="Int64"),
            "size": ["large", None, "小型"],
            "flag": [True, False, True],
            "when": pd.to_datetime(["2026-01-01", "2026-02-01", None]),
        },
        index=pd.Index([11, 12, 13], name="customer_id"),
    )
    blob = frame_pack(frame)
    assert frame_columns(blob) == list(frame.columns)
    back = frame_unpack(blob)
    assert list(back.index) == [11, 12, 13]
    assert back["orders"].dtype == "int64"
    assert back["orders"].tolist() == [3, 0, 7]
    assert back["revenue"].iloc[0] == 10.5
    assert np.isnan(back["revenue"].iloc[1])
    assert np.isnan(back["nullable"].iloc[1])
    assert back["nullable"].iloc[2] == 3
    assert back["size"].iloc[0] == "large"
    assert pd.isna(back["size"].iloc[1])
    assert back["size"].iloc[2] == "小型"
    assert back["flag"].tolist() == [True, False, True]
    assert pd.isna(back["when"].iloc[2])
    only = frame_unpack(blob, columns=["revenue"])
    assert list(only.columns) == ["revenue"]
    with pytest.raises(KeyError, match="'missing'"):
        frame_unpack(blob, columns=["missing"])


def _claim(as_of=AS_OF, force=False):
    run, fresh = claim.run_claim(as_of=as_of, force=force, triggered_by="test", mode=claim.CELERY)
    assert fresh
    return run


def _rows(run):
    return sorted(CustomerClasses.objects.filter(run=run).values_list("customer_id", "lifecycle"))


def test_steps_in_order_make_the_run_current_and_redelivered_steps_change_nothing(customers):
    day1 = segmentation_run(as_of=AS_OF)
    run = _claim(AS_OF + dt.timedelta(days=30))
    indexes = steps.run_prepare(run.pk, run.attempts, partition_size=3)
    assert indexes == [0, 1, 2]
    for i in indexes:
        assert steps.partition_metrics(run.pk, run.attempts, i)
    # Redelivered phase-1 task: finished already, nothing done.
    assert not steps.partition_metrics(run.pk, run.attempts, 1)
    assert steps.run_cut_points(run.pk, run.attempts) == indexes
    for i in indexes:
        assert steps.partition_classify(run.pk, run.attempts, i)
    written = _rows(run)
    changes = ClassChange.objects.filter(run=run).count()
    # A phase-3 task redelivered after its commit (the worker died before the ack).
    assert not steps.partition_classify(run.pk, run.attempts, 1)
    # Even replaying the write itself replaces the range's rows instead of adding to them.
    part = RunPartition.objects.get(run=run, index=1)
    frame = frame_unpack(part.metrics).join(frame_unpack(part.scores), how="left")
    partition_classify_write(
        run=Run.objects.get(pk=run.pk),
        part=Partition(index=1, lo=part.lo, hi=part.hi),
        frame=frame,
        rules=rules_from_ruleset(run.rule_set),
        cuts=Run.objects.get(pk=run.pk).cut_points,
        baseline=day1,
        counts=defaultdict(Counter),
        timings=defaultdict(float),
    )
    assert _rows(run) == written
    assert ClassChange.objects.filter(run=run).count() == changes
    # Until the switch the product shows day 1.
    assert Run.objects.get(is_current=True) == day1
    assert steps.run_finalise(run.pk, run.attempts)
    assert not steps.run_finalise(run.pk, run.attempts)  # a duplicate callback
    run.refresh_from_db()
    assert (run.status, run.is_current, run.customers_total) == (RunStatus.SUCCEEDED, True, 8)
    assert (run.partitions_done, run.partitions_total) == (6, 6)
    assert run.changes_total == changes
    assert {"wall_metrics", "wall_classify", "wall_total", "metrics", "write"} <= set(run.timings)
    # Staged blobs are dropped once the run is current; the partition record stays.
    assert not RunPartition.objects.filter(run=run, metrics__isnull=False).exists()
    assert RunPartition.objects.filter(run=run, deliveries=2).count() == 3  # phase 1 + 3


def test_a_failing_partition_fails_the_run_and_names_the_partition(customers, monkeypatch):
    run = _claim()
    indexes = steps.run_prepare(run.pk, run.attempts, partition_size=3)
    original = pipeline_steps.metrics_for_range
    second = RunPartition.objects.get(run=run, index=1)

    def broken(**kwargs):
        if kwargs["lo"] == second.lo:
            raise ValueError("disk full")
        return original(**kwargs)

    monkeypatch.setattr(pipeline_steps, "metrics_for_range", broken)
    job = steps.RunJob(run.pk, run.attempts).as_dict()
    executors.partition_task.apply(
        kwargs={"kind": "run", "job": job, "phase": "metrics", "index": indexes[0]}, throw=True
    )
    with pytest.raises(ValueError, match="disk full"):
        executors.partition_task.apply(
            kwargs={"kind": "run", "job": job, "phase": "metrics", "index": indexes[1]},
            throw=True,
        )
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith(
        f"partition 2 of 3 (customer ids {second.lo}–{second.hi - 1}), metrics: ValueError: "
        "disk full"
    )
    # The tasks still queued for this attempt do nothing.
    assert not steps.partition_metrics(run.pk, run.attempts, 2)
    assert steps.run_cut_points(run.pk, run.attempts) == []
    assert not steps.run_finalise(run.pk, run.attempts)
    monkeypatch.undo()
    assert segmentation_run(as_of=AS_OF).status == RunStatus.SUCCEEDED  # the next run recovers


def test_steps_of_a_superseded_attempt_do_nothing(customers, settings):
    run = _claim()
    steps.run_prepare(run.pk, run.attempts, partition_size=3)
    old_attempt = run.attempts
    # The workers of attempt 1 went silent; after the stale period a new claim takes over.
    Run.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - claim.stale_after() - dt.timedelta(seconds=1)
    )
    again, fresh = claim.run_claim(as_of=AS_OF, force=False, triggered_by="test")
    assert fresh
    assert again.pk == run.pk
    assert again.attempts == old_attempt + 1
    assert not steps.partition_metrics(run.pk, old_attempt, 0)
    assert steps.run_prepare(run.pk, old_attempt) == []
    assert not RunPartition.objects.filter(run=run, metrics_done_at__isnull=False).exists()


def _running_elsewhere():
    run = _claim(AS_OF)
    Run.objects.filter(pk=run.pk).update(phase="classify", partitions_done=3, partitions_total=6)
    return run


def test_a_second_run_is_refused_with_what_is_running(customers):
    _running_elsewhere()
    with translation.override("en"), pytest.raises(RunInProgress) as refused:
        segmentation_run(as_of=AS_OF + dt.timedelta(days=1))
    message = str(refused.value)
    assert str(AS_OF) in message
    assert "3 of 6" in message
    assert "classify" in message
    assert "can start after" in message  # when a dead run's workers stop blocking
    with (
        translation.override("en"),
        pytest.raises(CommandError, match=f"A run as of {AS_OF} is in progress"),
    ):
        call_command("segment", "--as-of", str(AS_OF + dt.timedelta(days=1)), verbosity=0)
    # The same in the default language, Chinese.
    with pytest.raises(RunInProgress, match=f"基准日 {AS_OF} 的运行正在进行"):
        segmentation_run(as_of=AS_OF + dt.timedelta(days=1))
    assert not Run.objects.filter(as_of=AS_OF + dt.timedelta(days=1)).exists()


def test_admin_run_now_says_another_run_is_in_progress(client, admin_ada, customers):
    running = _running_elsewhere()
    Run.objects.filter(pk=running.pk).update(as_of=timezone.localdate() - dt.timedelta(days=1))
    client.force_login(admin_ada)
    with translation.override("en"):
        response = client.post(
            reverse("admin:segmentation_run_now"), follow=True, HTTP_ACCEPT_LANGUAGE="en"
        )
    page = response.content.decode()
    assert "was not started" in page
    assert "is in progress" in page
    assert not Run.objects.filter(as_of=timezone.localdate()).exists()


def test_segment_async_needs_a_broker(customers):
    with pytest.raises(CommandError, match="--async needs a broker"):
        call_command("segment", "--async", verbosity=0)


def test_segment_command_runs_in_process_with_threads_option(customers):
    out = StringIO()
    call_command(
        "segment", "--as-of", str(AS_OF), "--workers", "2", "--partition-size", "3", stdout=out
    )
    run = Run.objects.get(as_of=AS_OF)
    assert (run.status, run.plan["mode"], run.plan["partitions"]) == (
        RunStatus.SUCCEEDED,
        "in-process",
        3,
    )
    assert "8 customers" in out.getvalue()
