"""The nightly run: claim under a lock, compute in partitions, write in bulk, switch at once.

Phases (each partition is a customer id range):
  1. metrics per partition (set-based SQL → pandas);
  2. global cut points (quintiles, value-tier amounts) from every partition's metrics;
  3. classify + write per partition (COPY), diffing against the previous run for history.
Then the current pointer flips in one transaction. Until then the product keeps showing the
previous run's classes, so a run killed at any point changes nothing visible; the next run for
the same date (or any later date) cleans up the partial rows and starts again.

Phases 1 and 3 take (run, partition) and phase 2 only needs the few columns in CUT_COLUMNS, so
a Celery chord can later spread partitions over workers (phase 1 would then persist its frame);
today they run in sequence in one process, which meets the benchmark targets on two cores."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from enum import IntEnum

import pandas as pd
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from segmentation.aggregates import aggregates_write
from segmentation.classifiers import (
    CUT_COLUMNS,
    apply_dwell,
    apply_pins,
    classify,
    cut_points_compute,
)
from segmentation.custom.evaluate import custom_partition, custom_versions_record
from segmentation.hooks import run_post_run_hooks
from segmentation.metrics import (
    DEFAULT_PARTITION_SIZE,
    Partition,
    duplicates_map,
    metrics_for_range,
    partitions_plan,
)
from segmentation.models import (
    DIMENSIONS,
    METRIC_FIELDS,
    WHY_FIELDS,
    ClassChange,
    ClassPin,
    CustomerClasses,
    RuleSet,
    Run,
    RunStatus,
)
from segmentation.prediction import OUTPUT_COLUMNS, predict_customer_value
from segmentation.prediction.inputs import INPUT_COLUMNS, summary_from_metrics
from segmentation.rules import Rules, rules_from_ruleset
from segmentation.writers import frame_insert

log = logging.getLogger(__name__)

# A running run that has not reported progress for this long is treated as dead (SQLite has
# no session lock that dies with the process). Each partition reports, and one takes seconds.
STALE_AFTER = dt.timedelta(minutes=15)

ProgressCallback = Callable[[int, int, str], None]


class LockKey(IntEnum):
    """pg_advisory_lock keys of the project. Never renumber: a running old process would hold
    a different lock than a new one."""

    SEGMENTATION_RUN = 720_001


class RunInProgress(RuntimeError):
    """Another run holds the lock."""


class RunRefused(ValueError):
    """The run cannot start for a reason the operator must fix (message says which)."""


@contextmanager
def _run_lock() -> Iterator[None]:
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


def _alive(run: Run, now: dt.datetime) -> bool:
    beat = run.heartbeat_at or run.started_at
    return run.status == RunStatus.RUNNING and beat is not None and now - beat < STALE_AFTER


@transaction.atomic
def _run_claim(*, as_of: dt.date, force: bool, triggered_by: str) -> tuple[Run, bool]:
    """The run row for `as_of`, set to running. Returns (run, fresh); fresh is False when the
    date already has a succeeded run and `force` is off (nothing to do)."""
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
    for other in Run.objects.select_for_update().filter(status=RunStatus.RUNNING):
        # Under the PostgreSQL lock any other "running" row is a dead process's leftover.
        if other.as_of != as_of and connection.vendor != "postgresql" and _alive(other, now):
            raise RunInProgress(_("A run as of {d} is in progress.").format(d=other.as_of))
        if other.as_of != as_of:
            other.status = RunStatus.FAILED
            other.error = other.error or "Stopped without finishing; superseded by a new run."
            other.save(update_fields=["status", "error"])
    run, created = Run.objects.select_for_update().get_or_create(
        as_of=as_of,
        defaults={
            "rule_set": rule_set,
            "started_at": now,
            "heartbeat_at": now,
            "triggered_by": triggered_by[:100],
            "phase": "claimed",
        },
    )
    if created:
        return run, True
    if run.status == RunStatus.SUCCEEDED and not force:
        return run, False
    if run.status == RunStatus.RUNNING and connection.vendor != "postgresql" and _alive(run, now):
        raise RunInProgress(_("A run as of {d} is in progress.").format(d=as_of))
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
    run.started_at = run.heartbeat_at = now
    run.finished_at = None
    run.triggered_by = triggered_by[:100]
    run.save()
    return run, True


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


def segmentation_run(
    *,
    as_of: dt.date,
    force: bool = False,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    triggered_by: str = "",
    progress: ProgressCallback | None = None,
) -> Run:
    """Classifies every customer as of `as_of` and makes the result current.

    Idempotent: a date that already has a succeeded run is left as is unless `force`; a forced
    re-run gives the same rows for the same data and rule set. Raises RunInProgress when
    another run holds the lock and RunRefused when the run cannot start."""
    with _run_lock():
        run, fresh = _run_claim(as_of=as_of, force=force, triggered_by=triggered_by)
        if not fresh:
            return run
        try:
            _run_execute(run, partition_size=partition_size, progress=progress)
        except Exception as exc:
            log.exception("segmentation run %s failed", as_of)
            Run.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                finished_at=timezone.now(),
            )
            raise
    run.refresh_from_db()
    # Outside the lock: the hooks (strategies' task generation) enqueue work on commit and must
    # not hold up the next run's claim.
    if run.status == RunStatus.SUCCEEDED:
        run_post_run_hooks(run.pk)
    return run


def _run_execute(run: Run, *, partition_size: int, progress: ProgressCallback | None) -> None:
    rules = rules_from_ruleset(run.rule_set)
    as_of = run.as_of
    custom_versions_record(run)
    timings: dict[str, float] = defaultdict(float)
    clock = time.perf_counter()
    # Leftovers of an earlier attempt at this date (killed or forced).
    ClassChange.objects.filter(run=run).delete()
    CustomerClasses.objects.filter(run=run).delete()

    timings["cleanup"] += time.perf_counter() - clock
    parts = partitions_plan(size=partition_size)
    total_steps = 2 * len(parts)
    _beat(run, phase="metrics", partitions_total=total_steps, partitions_done=0)
    duplicates = duplicates_map()
    workers = _workers()

    def phase_metrics(part: Partition) -> tuple[pd.DataFrame, float]:
        started = time.perf_counter()
        frame = metrics_for_range(
            lo=part.lo, hi=part.hi, as_of=as_of, rules=rules, duplicates=duplicates
        )
        return frame, time.perf_counter() - started

    frames: list[tuple[Partition, pd.DataFrame]] = []
    for part, (frame, seconds) in zip(parts, _map(phase_metrics, parts, workers), strict=True):
        timings["metrics"] += seconds
        frames.append((part, frame))
        _beat(run, partitions_done=run.partitions_done + 1)
        if progress:
            progress(run.partitions_done, total_steps, "metrics")

    _beat(run, phase="cut_points")
    cut_frame = (
        pd.concat([f[list(CUT_COLUMNS)] for _, f in frames if not f.empty])
        if any(not f.empty for _, f in frames)
        else pd.DataFrame(columns=list(CUT_COLUMNS))
    )
    cuts = cut_points_compute(frame=cut_frame, rules=rules)
    del cut_frame
    _beat(run, phase="prediction", cut_points=cuts)

    clock = time.perf_counter()
    scores, fit = _prediction_compute([f for _, f in frames])
    timings["prediction"] += time.perf_counter() - clock
    _beat(run, phase="classify", prediction=fit)

    baseline = _baseline(as_of)
    counts: dict[str, Counter] = defaultdict(Counter)
    customers = changes = 0

    def phase_classify(index: int) -> tuple[int, int, dict[str, Counter], dict[str, float]]:
        part, frame = frames[index]
        frames[index] = (part, pd.DataFrame())  # free memory as we go
        local_counts: dict[str, Counter] = defaultdict(Counter)
        local_timings: dict[str, float] = defaultdict(float)
        if frame.empty:
            return 0, 0, local_counts, local_timings
        n, c = _partition_classify_write(
            run=run,
            part=part,
            frame=frame.join(scores, how="left"),
            rules=rules,
            cuts=cuts,
            baseline=baseline,
            counts=local_counts,
            timings=local_timings,
        )
        return n, c, local_counts, local_timings

    for n, c, local_counts, local_timings in _map(phase_classify, range(len(frames)), workers):
        customers += n
        changes += c
        for dim, counter in local_counts.items():
            counts[dim].update(counter)
        for step, seconds in local_timings.items():
            timings[step] += seconds
        _beat(run, partitions_done=run.partitions_done + 1)
        if progress:
            progress(run.partitions_done, total_steps, "classify")

    _beat(run, phase="aggregates")
    for step, seconds in aggregates_write(run).items():
        timings[step] += seconds

    clock = time.perf_counter()
    with transaction.atomic():
        Run.objects.filter(is_current=True).exclude(pk=run.pk).update(is_current=False)
        _beat(
            run,
            phase="done",
            status=RunStatus.SUCCEEDED,
            is_current=True,
            customers_total=customers,
            changes_total=changes,
            counts={dim: dict(sorted(c.items())) for dim, c in counts.items()},
            finished_at=timezone.now(),
        )
    timings["switch"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _retention(keep=[run.pk, baseline.pk if baseline else None])
    timings["retention"] = time.perf_counter() - clock
    _beat(run, timings={k: round(v, 2) for k, v in timings.items()})


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


def _workers() -> int:
    """Partitions processed at once. Each worker thread has its own database connection, so
    PostgreSQL aggregates and ingests on several cores while Python formats the next batch.
    Only outside a transaction: threads cannot see rows of an open transaction (tests)."""
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


def _baseline_frame(baseline: Run | None, part: Partition) -> pd.DataFrame | None:
    if baseline is None:
        return None
    rows = CustomerClasses.objects.filter(
        run=baseline, customer_id__gte=part.lo, customer_id__lt=part.hi
    ).values_list("customer_id", *DIMENSIONS, "pending")
    frame = pd.DataFrame.from_records(
        list(rows), columns=["customer_id", *DIMENSIONS, "pending"]
    ).set_index("customer_id")
    return frame


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
    clock = time.perf_counter()
    prev = _baseline_frame(baseline, part)
    pins = _pins_frame(part, run.as_of)
    timings["read_previous"] += time.perf_counter() - clock
    clock = time.perf_counter()
    classes = classify(frame, rules, cuts)
    classes, pending = apply_dwell(classes, prev, min_runs=rules.min_dwell_runs)
    classes = apply_pins(classes, pins)

    out = classes.join(frame.drop(columns=["potential_score"], errors="ignore"))
    out["pending"] = pending.map(lambda p: json.dumps(p) if p else None)
    out["run_id"] = run.pk
    out["customer_id"] = out.index
    columns = ["run_id", "customer_id", *DIMENSIONS, *WHY_FIELDS, "pending", *METRIC_FIELDS]
    timings["classify"] += time.perf_counter() - clock
    custom = custom_partition(
        run=run, frame=frame, classes=classes, pins=pins, baseline=baseline, timings=timings
    )
    if custom is not None:
        out["custom"], out["custom_why"] = custom.custom, custom.custom_why
        columns += ["custom", "custom_why"]
        counts.update(custom.counts)
    clock = time.perf_counter()
    with transaction.atomic():
        written = frame_insert(
            table=CustomerClasses._meta.db_table,
            frame=out,
            columns=columns,
            integer_columns=["customer_id", "run_id", *_INTEGER_METRICS],
        )
        changed = _history_write(run=run, classes=classes, prev=prev)
        if custom is not None:
            changed += custom.history_write(run)
    timings["write"] += time.perf_counter() - clock
    for dim in DIMENSIONS:
        counts[dim].update(classes[dim].value_counts().to_dict())
    return written, changed


def _history_write(*, run: Run, classes: pd.DataFrame, prev: pd.DataFrame | None) -> int:
    """One row per (customer, dimension) whose class differs from the baseline run. Without a
    baseline (the very first run) nothing has changed yet."""
    if prev is None:
        return 0
    before_all = prev.reindex(classes.index)
    parts = []
    for dim in DIMENSIONS:
        before = before_all[dim].fillna("")
        after = classes[dim]
        mask = (before != after).to_numpy()
        if mask.any():
            parts.append(
                pd.DataFrame(
                    {
                        "customer_id": classes.index[mask],
                        "dimension": dim,
                        "from_code": before.to_numpy()[mask],
                        "to_code": after.to_numpy()[mask],
                    }
                )
            )
    if not parts:
        return 0
    changes = pd.concat(parts, ignore_index=True)
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


def run_summary_counts(run: Run) -> dict[str, dict[str, int]]:
    return {dim: dict(run.counts.get(dim, {})) for dim in DIMENSIONS}


__all__ = [
    "LockKey",
    "RunInProgress",
    "RunRefused",
    "run_summary_counts",
    "segmentation_run",
]
