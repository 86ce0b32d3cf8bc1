"""The step order, declared once, and the two executors that carry it out.

    prepare ─▶ metrics × N partitions ─▶ cut_points ─▶ classify × N partitions ─▶ finalise

In process (`execute_in_process`): the phases in order, a per-partition phase on threads
(PostgreSQL; one at a time elsewhere). For `manage.py segment`, eager Celery, SQLite and the
rule-set preview.
On Celery (`execute_on_celery`): a global phase is one task; a per-partition phase is a group
of tasks spread over every worker, closed by a chord whose callback is the next global phase
(group → chord callback → group → chord callback), generated from the declaration.

A global phase returns the partition indexes the next per-partition phase works on. The
post-run hooks fire inside the finalise step (segmentation.pipeline.steps.finalise), so from
one place whichever executor runs it."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from celery import chord, current_app, group, shared_task
from django.conf import settings
from django.db import OperationalError, connection, connections, transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from crm.queue import PUBLISH_TIMEOUT, QueueUnavailable, enqueue
from segmentation.metrics import DEFAULT_PARTITION_SIZE
from segmentation.models import Run

from . import steps
from .claim import CELERY, run_claim, run_fail, run_lock
from .runjob import RunJob

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Phase:
    """One step of the declaration: `fn(job)` for a global phase (returns the partition
    indexes of the next per-partition phase), `fn(job, index)` for a per-partition one."""

    name: str
    per_partition: bool
    fn: Callable[..., Any]


PHASES: tuple[Phase, ...] = (
    Phase("prepare", False, steps.prepare),
    Phase("metrics", True, steps.metrics),
    Phase("cut_points", False, steps.cut_points),
    Phase("classify", True, steps.classify),
    Phase("finalise", False, steps.finalise),
)


def declaration_check(phases: tuple[Phase, ...]) -> None:
    """A declaration starts and ends with a global phase and closes every per-partition
    phase with a global one (the chord callback on Celery)."""
    if not phases or phases[0].per_partition or phases[-1].per_partition:
        raise ValueError("a declaration starts and ends with a global phase")
    for phase, nxt in itertools.pairwise(phases):
        if phase.per_partition and nxt.per_partition:
            raise ValueError(f"{phase.name} must be followed by a global phase")
    if len({p.name for p in phases}) != len(phases):
        raise ValueError("phase names must be unique")


declaration_check(PHASES)


# --- in process ----------------------------------------------------------------------------


def execute_in_process(
    job: steps.Job,
    *,
    workers: int = 1,
    on_step: Callable[[str], None] | None = None,
) -> None:
    """Runs the declaration in order for `job`; `on_step(phase)` after each step."""
    indexes: list[int] = []
    for phase in PHASES:
        if phase.per_partition:
            fn = phase.fn
            for _done in _map(lambda i, fn=fn: fn(job.fork(), i), indexes, workers):
                if on_step:
                    on_step(phase.name)
        else:
            indexes = list(phase.fn(job))
            if on_step:
                on_step(phase.name)


def workers_for(wanted: int | None = None) -> int:
    """Partitions processed at once in this process. Each thread has its own database
    connection, so PostgreSQL aggregates and ingests on several cores while Python formats
    the next batch. Only outside a transaction: threads cannot see rows of an open
    transaction (tests)."""
    if wanted is None:
        wanted = int(getattr(settings, "SEGMENTATION_WORKERS", 2))
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, wanted)


def _map(fn: Callable, items: Iterable, workers: int) -> Iterator:
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


# --- on Celery -----------------------------------------------------------------------------

# Job kinds a task can rebuild from primitive arguments (only runs spread over workers: a
# preview stages its frames on the local disk of the one task that carries it out).
JOB_KINDS: dict[str, Callable[..., Any]] = {"run": RunJob}


def _phase_at(name: str) -> int:
    return next(i for i, p in enumerate(PHASES) if p.name == name)


def _step(task, job: steps.Job, call: Callable[[], Any]) -> Any:
    """Runs one step; a database that went away is retried a few times, any other error
    fails the job (first error wins) and is raised so the chord stops."""
    try:
        return call()
    except OperationalError as exc:
        if task.request.retries < task.max_retries:
            raise task.retry(exc=exc, countdown=5 * (task.request.retries + 1)) from exc
        job.fail(exc)
        raise
    except Exception as exc:
        log.exception("segmentation %s: step %s failed", job, task.name)
        job.fail(exc)
        raise


@shared_task(
    name="segmentation.pipeline.phase",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
)
def phase_task(self, _results=None, *, kind: str, job: dict, phase: str) -> int:
    """A global phase (also the chord callback of the per-partition phase before it), then
    the next phases are sent."""
    at = _phase_at(phase)
    instance = JOB_KINDS[kind](**job)
    indexes = list(_step(self, instance, lambda: PHASES[at].fn(instance)))
    _dispatch(kind, job, at + 1, indexes)
    return len(indexes)


@shared_task(
    name="segmentation.pipeline.partition",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
)
def partition_task(self, *, kind: str, job: dict, phase: str, index: int) -> bool:
    """One partition of a per-partition phase."""
    instance = JOB_KINDS[kind](**job)
    fn = PHASES[_phase_at(phase)].fn
    return bool(_step(self, instance, lambda: fn(instance, index)))


def _dispatch(kind: str, job: dict, at: int, indexes: list[int]) -> None:
    """Sends the declaration from phase `at` on: a global phase as one task, a per-partition
    phase as a chord whose callback is the global phase after it (straight to that phase
    when there is no partition)."""
    if at >= len(PHASES):
        return
    phase = PHASES[at]
    if not phase.per_partition:
        phase_task.apply_async(kwargs={"kind": kind, "job": job, "phase": phase.name})
        return
    callback = PHASES[at + 1]
    if not indexes:
        _dispatch(kind, job, at + 1, [])
        return
    header = group(
        partition_task.si(kind=kind, job=job, phase=phase.name, index=i) for i in indexes
    )
    chord(header)(phase_task.si(kind=kind, job=job, phase=callback.name))


def execute_on_celery(kind: str, job: dict) -> None:
    """Sends the first phase of `job` to the workers (raises QueueUnavailable quickly when
    the broker is down)."""
    enqueue(phase_task, kind=kind, job=job, phase=PHASES[0].name)


# --- starting a run ------------------------------------------------------------------------


def distributed() -> bool:
    """Whether runs go to Celery workers (a broker is configured, Celery is not eager)."""
    return not current_app.conf.task_always_eager


def segmentation_run(
    *,
    as_of: dt.date,
    force: bool = False,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    triggered_by: str = "",
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> Run:
    """Classifies every customer as of `as_of` in this process and makes the result current
    (partitions on `workers` threads on PostgreSQL, default SEGMENTATION_WORKERS).

    Idempotent: a date that already has a succeeded run is left as is unless `force`; a forced
    re-run gives the same rows for the same data and rule set. Raises RunInProgress when
    another run is in progress and RunRefused when the run cannot start."""
    with run_lock():
        run, fresh = run_claim(as_of=as_of, force=force, triggered_by=triggered_by)
        if not fresh:
            return run

        def on_step(phase: str) -> None:
            if progress:
                row = Run.objects.filter(pk=run.pk).values_list(
                    "partitions_done", "partitions_total"
                )
                done, total = row.first() or (0, 0)
                progress(done, total, phase)

        job = RunJob(run.pk, run.attempts, partition_size)
        try:
            execute_in_process(job, workers=workers_for(workers), on_step=on_step)
        except Exception as exc:
            log.exception("segmentation run %s failed", as_of)
            job.fail(exc)
            raise
    run.refresh_from_db()
    return run


def run_start(
    *,
    as_of: dt.date,
    force: bool = False,
    triggered_by: str = "",
    partition_size: int | None = None,
) -> Run:
    """Claims the run and hands it to the workers; returns the run (status "running" while
    the workers carry it out). With eager Celery the whole run happens here and the run
    returned is finished. Raises RunInProgress (another run is alive: the message says
    which and how far it got) or RunRefused like `segmentation_run()`, and
    crm.queue.QueueUnavailable when the broker is down (nothing claimed)."""
    size = partition_size or DEFAULT_PARTITION_SIZE
    if not distributed():
        return segmentation_run(
            as_of=as_of, force=force, triggered_by=triggered_by, partition_size=size
        )
    # Nothing is claimed while the broker is down: the page or command says so at once and
    # the current classes stay as they are.
    _broker_check()
    run, fresh = run_claim(as_of=as_of, force=force, triggered_by=triggered_by, mode=CELERY)
    if not fresh:
        return run
    job = RunJob(run.pk, run.attempts, size).as_dict()

    def send() -> None:
        execute_on_celery("run", job)

    if connection.in_atomic_block:
        transaction.on_commit(send)  # the workers must see the claimed row
        return run
    try:
        send()
    except QueueUnavailable as exc:  # the broker went away between the check and the send
        run_fail(run.pk, run.attempts, exc)
        raise
    return run


def _broker_check() -> None:
    """Raises QueueUnavailable within about PUBLISH_TIMEOUT seconds when the broker is down."""
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=PUBLISH_TIMEOUT
            )
    except (BrokerError, RedisError, OSError) as exc:
        raise QueueUnavailable from exc
