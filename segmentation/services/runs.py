"""The nightly run: claim, compute in partitions, write in bulk, switch at once.

Steps (a partition is a customer id range; every step takes the run id and its attempt):
  run_prepare          plan the partitions, clean leftovers of an earlier attempt;
  partition_metrics    phase 1, per partition: metrics (set-based SQL → pandas), stored as a
                       compressed columnar blob on RunPartition (segmentation.staging);
  run_cut_points       phase 2: global cut points and the predicted-value fit from the few
                       columns they need, scores stored per partition;
  partition_classify   phase 3, per partition: classify, COPY the classes, diff the history;
  run_finalise         the current pointer flips in one transaction; counts, retention.
On Celery (segmentation.workflow) phase 1 and phase 3 are groups of tasks spread over every
worker, each phase closed by a chord callback; `segmentation_run()` here calls the very same
steps in this process (threads on PostgreSQL), for `manage.py segment`, eager Celery and
SQLite.

Until the flip the product keeps showing the previous run's classes, so a run killed at any
point changes nothing visible. Every step is idempotent, so a redelivered task (acks_late) is
harmless: a finished partition is skipped, phase 3 deletes its own range's rows and writes
them in one transaction, and a step of a superseded attempt does nothing. The next run for
the same date (or a later one) cleans up a dead attempt's rows and starts again."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from enum import IntEnum

import pandas as pd
from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from segmentation.aggregates import aggregates_write
from segmentation.classifiers import CUT_COLUMNS, cut_points_compute
from segmentation.custom.evaluate import custom_versions_record, inputs_frame
from segmentation.dimensions import DimensionSpec, dimension_specs
from segmentation.dimensions.compute import (
    class_counts,
    history_frame,
    partition_classes,
    storage_columns,
)
from segmentation.dimensions.rows import stored_classes
from segmentation.hooks import run_post_run_hooks
from segmentation.metrics import (
    DEFAULT_PARTITION_SIZE,
    Partition,
    duplicates_map,
    metrics_for_range,
    partitions_plan,
)
from segmentation.models import (
    METRIC_FIELDS,
    ClassChange,
    ClassPin,
    CustomerClasses,
    RuleSet,
    Run,
    RunPartition,
    RunStatus,
)
from segmentation.prediction import OUTPUT_COLUMNS, predict_customer_value
from segmentation.prediction.inputs import INPUT_COLUMNS, summary_from_metrics
from segmentation.rules import Rules, rules_from_ruleset
from segmentation.staging import frame_pack, frame_unpack
from segmentation.writers import frame_insert

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]

IN_PROCESS = "in-process"
CELERY = "celery"
# Columns phase 2 reads: the cut points' and the prediction's inputs.
PHASE2_COLUMNS = tuple(dict.fromkeys([*CUT_COLUMNS, *INPUT_COLUMNS]))


def stale_after() -> dt.timedelta:
    """A running run whose steps have not reported for this long is treated as dead. Each
    partition reports when it starts and ends, and one takes seconds to a minute."""
    return dt.timedelta(seconds=int(getattr(settings, "SEGMENTATION_STALE_AFTER_SECONDS", 900)))


STALE_AFTER = stale_after()


class LockKey(IntEnum):
    """pg_advisory_lock keys of the project. Never renumber: a running old process would hold
    a different lock than a new one."""

    SEGMENTATION_RUN = 720_001
    SEGMENTATION_CLAIM = 720_002


class RunInProgress(RuntimeError):
    """Another run holds the lock."""


class RunRefused(ValueError):
    """The run cannot start for a reason the operator must fix (message says which)."""


@contextmanager
def _run_lock() -> Iterator[None]:
    """The in-process run's session lock on PostgreSQL: it dies with the process, so a killed
    `manage.py segment` never blocks the next run."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [int(LockKey.SEGMENTATION_RUN)])
        if not cursor.fetchone()[0]:
            raise RunInProgress(_("Another segmentation run is in progress."))
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [int(LockKey.SEGMENTATION_RUN)])


def _session_lock_held_elsewhere() -> bool:
    """Whether another PostgreSQL session holds the in-process run's lock."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            # pg_locks spans the cluster: only this database's sessions count.
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = 0 AND objid = %s AND pid <> pg_backend_pid() AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()))",
            [int(LockKey.SEGMENTATION_RUN)],
        )
        return bool(cursor.fetchone()[0])


def _alive(run: Run, now: dt.datetime) -> bool:
    """Whether a "running" row belongs to a run that is still being carried out. On
    PostgreSQL an in-process run holds the session lock (it dies with the process); a run on
    Celery workers, and any run on SQLite, is alive while its steps keep reporting."""
    if run.status != RunStatus.RUNNING:
        return False
    if connection.vendor == "postgresql" and run.plan.get("mode", IN_PROCESS) == IN_PROCESS:
        return _session_lock_held_elsewhere()
    beat = run.heartbeat_at or run.started_at
    return beat is not None and now - beat < stale_after()


def _in_progress_message(run: Run) -> str:
    beat = run.heartbeat_at or run.started_at
    message = _(
        "A run as of {d} is in progress ({phase}, {done} of {total} steps, started by {who})."
    ).format(
        d=run.as_of,
        phase=run.phase or "-",
        done=run.partitions_done,
        total=run.partitions_total,
        who=run.triggered_by or "-",
    )
    if beat is not None and run.plan.get("mode") == CELERY:
        until = timezone.localtime(beat + stale_after())
        message += " " + _("If its workers have stopped, a new run can start after {t}.").format(
            t=until.strftime("%Y-%m-%d %H:%M:%S")
        )
    return message


def _claim_lock() -> None:
    """Serialises claims (PostgreSQL; SQLite's write transactions are serial anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(LockKey.SEGMENTATION_CLAIM)])


@transaction.atomic
def run_claim(
    *, as_of: dt.date, force: bool, triggered_by: str, mode: str = IN_PROCESS
) -> tuple[Run, bool]:
    """The run row for `as_of`, set to running. Returns (run, fresh); fresh is False when the
    date already has a succeeded run and `force` is off (nothing to do). Raises
    RunInProgress when another run is alive and RunRefused when the run cannot start."""
    _claim_lock()
    now = timezone.now()
    rule_set = RuleSet.objects.filter(is_active=True).first()
    if rule_set is None:
        raise RunRefused(_("No active rule set: activate one in the admin first."))
    current = Run.objects.select_for_update().filter(is_current=True).first()
    if current is not None and as_of < current.as_of:
        raise RunRefused(
            _(
                "The current classes are as of {current}; a run as of the earlier date {as_of} "
                "would replace newer classes with older ones."
            ).format(current=current.as_of, as_of=as_of)
        )
    if mode == CELERY and _session_lock_held_elsewhere():
        raise RunInProgress(_("Another segmentation run is in progress."))
    for other in Run.objects.select_for_update().filter(status=RunStatus.RUNNING):
        if _alive(other, now):
            raise RunInProgress(_in_progress_message(other))
        # A dead attempt (killed process, workers gone): the new claim supersedes it.
        if other.as_of != as_of:
            other.status = RunStatus.FAILED
            other.error = other.error or "Stopped without finishing; superseded by a new run."
            other.save(update_fields=["status", "error"])
    plan = {"mode": mode, "phase_started": {"claimed": time.time()}}
    run, created = Run.objects.select_for_update().get_or_create(
        as_of=as_of,
        defaults={
            "rule_set": rule_set,
            "started_at": now,
            "heartbeat_at": now,
            "triggered_by": triggered_by[:100],
            "phase": "claimed",
            "plan": plan,
        },
    )
    if created:
        return run, True
    if run.status == RunStatus.SUCCEEDED and not force:
        return run, False
    if run.is_current:
        # Re-running today's classes: show the previous run's classes meanwhile.
        run.is_current = False
        run.save(update_fields=["is_current"])
        previous = _baseline(as_of)
        if previous is not None:
            Run.objects.filter(pk=previous.pk).update(is_current=True)
    run.status = RunStatus.RUNNING
    run.rule_set = rule_set
    run.attempts += 1
    run.error = ""
    run.phase = "claimed"
    run.partitions_done = run.partitions_total = run.customers_total = run.changes_total = 0
    run.counts, run.cut_points, run.timings, run.prediction = {}, {}, {}, {}
    run.plan = plan
    run.started_at = run.heartbeat_at = now
    run.finished_at = None
    run.triggered_by = triggered_by[:100]
    run.save()
    return run, True


_run_claim = run_claim


def _baseline(as_of: dt.date) -> Run | None:
    """The run the new one is compared with: the latest succeeded run before `as_of`."""
    return (
        Run.objects.filter(status=RunStatus.SUCCEEDED, as_of__lt=as_of).order_by("-as_of").first()
    )


def _beat(run: Run, **fields) -> None:
    fields["heartbeat_at"] = timezone.now()
    Run.objects.filter(pk=run.pk).update(**fields)
    for key, value in fields.items():
        setattr(run, key, value)


def _active(run_id: int, attempt: int) -> Run | None:
    """The run if this attempt of it is still running; None when a step of a failed,
    finished or superseded attempt arrives late (a redelivered task): it must do nothing."""
    run = Run.objects.select_related("rule_set").filter(pk=run_id).first()
    if run is None or run.status != RunStatus.RUNNING or run.attempts != attempt:
        return None
    return run


def run_is_active(run_id: int, attempt: int) -> bool:
    return _active(run_id, attempt) is not None


def _phase_started(run: Run, phase: str) -> None:
    plan = dict(run.plan)
    plan["phase_started"] = {**plan.get("phase_started", {}), phase: time.time()}
    _beat(run, phase=phase, plan=plan)


def run_fail(run_id: int, attempt: int, exc: BaseException) -> None:
    """Marks this attempt failed with the error (and the partition it happened in). The first
    error wins: the steps still queued find the run failed and do nothing."""
    notes = "; ".join(getattr(exc, "__notes__", []))
    message = f"{notes + ': ' if notes else ''}{type(exc).__name__}: {exc}"[:2000]
    Run.objects.filter(pk=run_id, attempts=attempt, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, error=message, finished_at=timezone.now()
    )


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def _test_pause(phase: str, index: int) -> None:
    """Test-only (crm.settings.test reads CRM_TEST_PAUSE_PARTITION="phase:index:seconds"):
    the partition's step sleeps after its work is committed and before its task is
    acknowledged, so a fault test can kill the worker there deterministically."""
    spec = getattr(settings, "SEGMENTATION_TEST_PAUSE", "")
    if not spec:
        return
    want_phase, want_index, seconds = spec.split(":")
    if want_phase == phase and int(want_index) == index:
        log.warning("test pause: %s partition %s sleeps %s s", phase, index, seconds)
        time.sleep(float(seconds))


# --- the steps -------------------------------------------------------------------------------


def run_prepare(
    run_id: int, attempt: int, *, partition_size: int = DEFAULT_PARTITION_SIZE
) -> list[int]:
    """Cleans an earlier attempt's leftovers and plans the partitions. Returns their
    indexes (empty when the run is no longer this attempt's)."""
    run = _active(run_id, attempt)
    if run is None:
        return []
    clock = time.perf_counter()
    # Leftovers of an earlier attempt at this date (killed or forced).
    ClassChange.objects.filter(run=run).delete()
    CustomerClasses.objects.filter(run=run).delete()
    RunPartition.objects.filter(run=run).delete()
    # The custom dimension versions every partition of this attempt evaluates.
    custom_versions_record(run)
    parts = partitions_plan(size=partition_size)
    RunPartition.objects.bulk_create(
        [RunPartition(run=run, index=p.index, lo=p.lo, hi=p.hi) for p in parts]
    )
    plan = dict(run.plan)
    plan.update(
        partition_size=partition_size,
        partitions=len(parts),
        duplicates=duplicates_map(),
        prepare_seconds=round(time.perf_counter() - clock, 2),
    )
    run.plan = plan
    _phase_started(run, "metrics")
    _beat(run, partitions_total=2 * len(parts), partitions_done=0)
    return [p.index for p in parts]


def _partition(run: Run, index: int) -> tuple[RunPartition, Partition]:
    row = RunPartition.objects.get(run=run, index=index)
    return row, Partition(index=row.index, lo=row.lo, hi=row.hi)


def _note(exc: BaseException, run: Run, part: Partition, phase: str) -> None:
    total = run.plan.get("partitions", "?")
    exc.add_note(
        f"partition {part.index + 1} of {total} (customer ids {part.lo}–{part.hi - 1}), {phase}"
    )


def partition_metrics(run_id: int, attempt: int, index: int) -> bool:
    """Phase 1 for one partition. Returns False when there was nothing to do (finished
    already, or the attempt is over)."""
    run = _active(run_id, attempt)
    if run is None:
        return False
    row, part = _partition(run, index)
    if row.metrics_done_at is not None:
        return False
    RunPartition.objects.filter(pk=row.pk).update(
        deliveries=F("deliveries") + 1, worker=_worker_name()
    )
    _beat(run)
    try:
        clock = time.perf_counter()
        rules = rules_from_ruleset(run.rule_set)
        frame = metrics_for_range(
            lo=part.lo,
            hi=part.hi,
            as_of=run.as_of,
            rules=rules,
            duplicates=run.plan.get("duplicates", {}),
        )
        seconds = time.perf_counter() - clock
        clock = time.perf_counter()
        metrics_blob = frame_pack(frame)
        cut_blob = frame_pack(
            frame[list(PHASE2_COLUMNS)]
            if not frame.empty
            else pd.DataFrame(columns=list(PHASE2_COLUMNS), dtype="float64")
        )
        stage_seconds = time.perf_counter() - clock
        with transaction.atomic():
            done = RunPartition.objects.filter(pk=row.pk, metrics_done_at__isnull=True).update(
                metrics=metrics_blob,
                cut_inputs=cut_blob,
                customers=len(frame),
                metrics_done_at=timezone.now(),
                timings={"metrics": round(seconds, 3), "stage": round(stage_seconds, 3)},
            )
            if done:
                Run.objects.filter(pk=run.pk).update(
                    partitions_done=F("partitions_done") + 1, heartbeat_at=timezone.now()
                )
    except Exception as exc:
        _note(exc, run, part, "metrics")
        raise
    _test_pause("metrics", index)
    return bool(done)


def run_cut_points(run_id: int, attempt: int) -> list[int]:
    """Phase 2: cut points and the prediction fit over every partition's few columns; the
    scores go back to each partition. Returns the partition indexes to classify."""
    run = _active(run_id, attempt)
    if run is None:
        return []
    rows = RunPartition.objects.filter(run=run).order_by("index")
    missing = [r.index + 1 for r in rows.filter(metrics_done_at__isnull=True).only("index")]
    if missing:
        raise RuntimeError(f"partitions without metrics: {missing}")
    _phase_started(run, "cut_points")
    rules = rules_from_ruleset(run.rule_set)
    frames = [
        frame_unpack(blob)
        for blob in rows.values_list("cut_inputs", flat=True).iterator(chunk_size=10)
        if blob is not None
    ]
    frames = [f for f in frames if not f.empty]
    cut_frame = (
        pd.concat([f[list(CUT_COLUMNS)] for f in frames])
        if frames
        else pd.DataFrame(columns=list(CUT_COLUMNS))
    )
    cuts = cut_points_compute(frame=cut_frame, rules=rules)
    del cut_frame
    _phase_started(run, "prediction")
    _beat(run, cut_points=cuts)
    clock = time.perf_counter()
    scores, fit = _prediction_compute(frames)
    del frames
    index = scores.index.to_numpy()
    for row in rows.only("pk", "lo", "hi"):
        mask = (index >= row.lo) & (index < row.hi)
        RunPartition.objects.filter(pk=row.pk).update(scores=frame_pack(scores.loc[mask]))
    plan = dict(run.plan)
    plan["prediction_seconds"] = round(time.perf_counter() - clock, 2)
    run.plan = plan
    _phase_started(run, "classify")
    _beat(run, prediction=fit)
    return list(rows.values_list("index", flat=True))


def partition_classify(run_id: int, attempt: int, index: int) -> bool:
    """Phase 3 for one partition: deletes whatever an earlier delivery of it wrote, then
    writes its classes and history in one transaction."""
    run = _active(run_id, attempt)
    if run is None:
        return False
    row, part = _partition(run, index)
    if row.classified_at is not None:
        return False
    RunPartition.objects.filter(pk=row.pk).update(
        deliveries=F("deliveries") + 1, worker=_worker_name()
    )
    _beat(run)
    counts: dict[str, Counter] = defaultdict(Counter)
    timings: dict[str, float] = defaultdict(float)
    try:
        if row.metrics is None or row.scores is None:
            raise RuntimeError("the partition's staged metrics or scores are missing")
        clock = time.perf_counter()
        frame = frame_unpack(row.metrics)
        scores = frame_unpack(row.scores, columns=list(OUTPUT_COLUMNS))
        timings["stage"] += time.perf_counter() - clock
        rules = rules_from_ruleset(run.rule_set)
        with transaction.atomic():
            written = changed = 0
            if not frame.empty:
                written, changed = _partition_classify_write(
                    run=run,
                    part=part,
                    frame=frame.join(scores, how="left"),
                    rules=rules,
                    cuts=run.cut_points,
                    baseline=_baseline(run.as_of),
                    counts=counts,
                    timings=timings,
                )
            done = RunPartition.objects.filter(pk=row.pk, classified_at__isnull=True).update(
                classified_at=timezone.now(),
                customers=written,
                changes=changed,
                counts={dim: dict(c) for dim, c in counts.items()},
                timings={
                    **row.timings,
                    **{k: round(v, 3) for k, v in timings.items() if k != "stage"},
                    "stage": round(row.timings.get("stage", 0) + timings["stage"], 3),
                },
            )
            if done:
                Run.objects.filter(pk=run.pk).update(
                    partitions_done=F("partitions_done") + 1, heartbeat_at=timezone.now()
                )
    except Exception as exc:
        _note(exc, run, part, "classify")
        raise
    _test_pause("classify", index)
    return bool(done)


def run_finalise(run_id: int, attempt: int) -> bool:
    """Makes the run current once every partition is classified; returns True when this call
    did it (a late duplicate finds the run finished and returns False). The caller runs the
    post-run hooks afterwards, outside any transaction."""
    run = _active(run_id, attempt)
    if run is None:
        return False
    rows = list(
        RunPartition.objects.filter(run=run).values(
            "index", "customers", "changes", "counts", "timings", "classified_at"
        )
    )
    missing = [r["index"] + 1 for r in rows if r["classified_at"] is None]
    if missing:
        raise RuntimeError(f"partitions not classified: {missing}")
    _phase_started(run, "finalise")
    counts: dict[str, Counter] = defaultdict(Counter)
    timings: dict[str, float] = defaultdict(float)
    for r in rows:
        for dim, counter in r["counts"].items():
            counts[dim].update(counter)
        for step, seconds in r["timings"].items():
            timings[step] += seconds
    timings["prediction"] = run.plan.get("prediction_seconds", 0.0)
    timings["cleanup"] = run.plan.get("prepare_seconds", 0.0)
    baseline = _baseline(run.as_of)
    # Dashboard aggregates of this run, written before the flip so the dashboards never
    # read a current run without them.
    _beat(run, phase="aggregates")
    for step, seconds in aggregates_write(run).items():
        timings[step] += seconds
    clock = time.perf_counter()
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status != RunStatus.RUNNING or locked.attempts != attempt:
            return False
        Run.objects.filter(is_current=True).exclude(pk=run.pk).update(is_current=False)
        _beat(
            run,
            phase="done",
            status=RunStatus.SUCCEEDED,
            is_current=True,
            customers_total=sum(r["customers"] for r in rows),
            changes_total=sum(r["changes"] for r in rows),
            counts={dim: dict(sorted(c.items())) for dim, c in counts.items()},
            finished_at=timezone.now(),
        )
    timings["switch"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _retention(keep=[run.pk, baseline.pk if baseline else None])
    RunPartition.objects.filter(run=run).update(metrics=None, cut_inputs=None, scores=None)
    timings["retention"] = time.perf_counter() - clock
    timings.update(_phase_walls(run))
    _beat(run, timings={k: round(v, 2) for k, v in timings.items()})
    return True


def _phase_walls(run: Run) -> dict[str, float]:
    """Wall seconds of each phase from the phase start times: "wall_metrics" (phase 1),
    "wall_cut_points" (phase 2 with the prediction), "wall_classify" (phase 3),
    "wall_total" (claim to finish, finalise included)."""
    started = run.plan.get("phase_started", {})
    now = time.time()
    order = ["claimed", "metrics", "cut_points", "classify", "finalise"]
    walls: dict[str, float] = {}
    for phase, nxt in (
        ("metrics", "cut_points"),
        ("cut_points", "classify"),
        ("classify", "finalise"),
    ):
        if phase in started and nxt in started:
            walls[f"wall_{phase}"] = started[nxt] - started[phase]
    if order[0] in started:
        walls["wall_total"] = now - started[order[0]]
    return walls


# --- the in-process run --------------------------------------------------------------------


def segmentation_run(
    *,
    as_of: dt.date,
    force: bool = False,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    triggered_by: str = "",
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> Run:
    """Classifies every customer as of `as_of` in this process and makes the result current:
    the steps of the Celery workflow, called here in order (partitions on `workers` threads
    on PostgreSQL, default SEGMENTATION_WORKERS).

    Idempotent: a date that already has a succeeded run is left as is unless `force`; a forced
    re-run gives the same rows for the same data and rule set. Raises RunInProgress when
    another run is in progress and RunRefused when the run cannot start."""
    with _run_lock():
        run, fresh = run_claim(as_of=as_of, force=force, triggered_by=triggered_by)
        if not fresh:
            return run
        try:
            _run_execute(run, partition_size=partition_size, progress=progress, workers=workers)
        except Exception as exc:
            log.exception("segmentation run %s failed", as_of)
            run_fail(run.pk, run.attempts, exc)
            raise
    run.refresh_from_db()
    # Outside the lock: the hooks (strategies' task generation) enqueue work on commit and must
    # not hold up the next run's claim.
    if run.status == RunStatus.SUCCEEDED:
        run_post_run_hooks(run.pk)
    return run


def _run_execute(
    run: Run,
    *,
    partition_size: int,
    progress: ProgressCallback | None,
    workers: int | None = None,
) -> None:
    run_id, attempt = run.pk, run.attempts
    indexes = run_prepare(run_id, attempt, partition_size=partition_size)
    total = 2 * len(indexes)
    threads = _workers(workers)

    def report(phase: str) -> None:
        if progress:
            done = Run.objects.filter(pk=run_id).values_list("partitions_done", flat=True)
            progress(done.first() or 0, total, phase)

    for _done in _map(lambda i: partition_metrics(run_id, attempt, i), indexes, threads):
        report("metrics")
    indexes = run_cut_points(run_id, attempt) if indexes else []
    if not indexes:
        _phase_started(run, "classify")
    for _done in _map(lambda i: partition_classify(run_id, attempt, i), indexes, threads):
        report("classify")
    run_finalise(run_id, attempt)


def _prediction_compute(frames: list[pd.DataFrame]) -> tuple[pd.DataFrame, dict]:
    """One fit on every customer's purchase summary (only the few input columns are
    concatenated, like the cut frame), then scores per customer: OUTPUT_COLUMNS indexed by
    customer id, customers without a purchase absent (→ NULL). Degenerate data never fails
    the run: the package falls back and says why in the fit's notices."""
    parts = [f[list(INPUT_COLUMNS)] for f in frames if not f.empty]
    inputs = pd.concat(parts) if parts else pd.DataFrame(columns=list(INPUT_COLUMNS))
    summary = summary_from_metrics(inputs)
    del inputs
    prediction = predict_customer_value(summary=summary)
    return prediction.scores[list(OUTPUT_COLUMNS)], prediction.as_dict()


def _workers(wanted: int | None = None) -> int:
    """Partitions processed at once in this process. Each thread has its own database
    connection, so PostgreSQL aggregates and ingests on several cores while Python formats
    the next batch. Only outside a transaction: threads cannot see rows of an open
    transaction (tests)."""
    if wanted is None:
        wanted = int(getattr(settings, "SEGMENTATION_WORKERS", 2))
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, wanted)


def _map(fn: Callable, items, workers: int) -> Iterator:
    """`map(fn, items)` in order, on `workers` threads when above 1."""
    if workers <= 1:
        yield from map(fn, items)
        return

    def call(item):
        try:
            return fn(item)
        finally:
            connections.close_all()  # this thread's connections only

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="segmentation") as pool:
        yield from pool.map(call, items)


def _retention(*, keep: list[int | None]) -> None:
    """Keeps the rows of the current run and of its baseline (a forced re-run of today
    compares with it again); older runs keep their summary and history only."""
    ids = [k for k in keep if k is not None]
    CustomerClasses.objects.exclude(run_id__in=ids).delete()


def _baseline_frame(
    baseline: Run | None, part: Partition, specs: list[DimensionSpec]
) -> pd.DataFrame | None:
    """The baseline run's classes (a column per dimension it computed) and pending dwell in
    this partition."""
    if baseline is None:
        return None
    rows = CustomerClasses.objects.filter(
        run=baseline, customer_id__gte=part.lo, customer_id__lt=part.hi
    )
    return stored_classes(rows, run=baseline, specs=specs, pending=True)


def _pins_frame(part: Partition, as_of: dt.date) -> pd.DataFrame:
    rows = ClassPin.objects.filter(
        customer_id__gte=part.lo, customer_id__lt=part.hi, expires_on__gte=as_of
    ).values_list("customer_id", "dimension", "code")
    return pd.DataFrame.from_records(list(rows), columns=["customer_id", "dimension", "code"])


_INTEGER_METRICS = [
    f.name
    for f in CustomerClasses._meta.concrete_fields
    if f.name in METRIC_FIELDS and f.get_internal_type() == "IntegerField"
]


def _load_inputs(base: pd.DataFrame, fields: set[str]) -> pd.DataFrame:
    """The attributes and tags stage-2 dimensions read, joined on the partition's frame."""
    if base.empty:
        return base
    lo, hi = int(base.index.min()), int(base.index.max())
    return inputs_frame(base=base, fields=fields, lo=lo, hi=hi)


def _partition_classify_write(
    *,
    run: Run,
    part: Partition,
    frame: pd.DataFrame,
    rules: Rules,
    cuts: dict,
    baseline: Run | None,
    counts: dict[str, Counter],
    timings: dict[str, float],
) -> tuple[int, int]:
    specs = dimension_specs(run=run)
    clock = time.perf_counter()
    prev = _baseline_frame(baseline, part, specs)
    pins = _pins_frame(part, run.as_of)
    timings["read_previous"] += time.perf_counter() - clock
    clock = time.perf_counter()
    classes, pending = partition_classes(
        frame, specs=specs, rules=rules, cuts=cuts, prev=prev, pins=pins, load_inputs=_load_inputs
    )
    stored = storage_columns(classes, specs)
    out = pd.DataFrame(stored, index=classes.index)
    out["potential_score"] = classes["potential_score"]
    out = out.join(frame.drop(columns=["potential_score"], errors="ignore"))
    out["pending"] = pending.map(lambda p: json.dumps(p) if p else None)
    out["run_id"] = run.pk
    out["customer_id"] = out.index
    columns = ["run_id", "customer_id", *stored, "pending", *METRIC_FIELDS]
    changes = history_frame(classes, prev, specs)
    timings["classify"] += time.perf_counter() - clock
    clock = time.perf_counter()
    with transaction.atomic():
        # A redelivered partition replaces what an earlier delivery of it wrote.
        in_part = {"run": run, "customer_id__gte": part.lo, "customer_id__lt": part.hi}
        CustomerClasses.objects.filter(**in_part).delete()
        ClassChange.objects.filter(**in_part).delete()
        written = frame_insert(
            table=CustomerClasses._meta.db_table,
            frame=out,
            columns=columns,
            integer_columns=["customer_id", "run_id", *_INTEGER_METRICS],
        )
        changed = _history_write(run=run, changes=changes)
    timings["write"] += time.perf_counter() - clock
    for key, counter in class_counts(classes, specs).items():
        counts[key].update(counter)
    return written, changed


def _history_write(*, run: Run, changes: pd.DataFrame) -> int:
    """The class changes of a partition (compute.history_frame) as ClassChange rows."""
    if changes.empty:
        return 0
    changes = changes.copy()
    changes["run_id"] = run.pk
    changes["as_of"] = run.as_of.isoformat()
    return frame_insert(
        table=ClassChange._meta.db_table,
        frame=changes,
        columns=["customer_id", "dimension", "from_code", "to_code", "run_id", "as_of"],
        integer_columns=["customer_id", "run_id"],
        # A customer new since the baseline comes from "" (no class), not NULL.
        text_columns=["from_code"],
    )


__all__ = [
    "CELERY",
    "IN_PROCESS",
    "LockKey",
    "RunInProgress",
    "RunRefused",
    "partition_classify",
    "partition_metrics",
    "run_claim",
    "run_cut_points",
    "run_fail",
    "run_finalise",
    "run_is_active",
    "run_prepare",
    "segmentation_run",
]
