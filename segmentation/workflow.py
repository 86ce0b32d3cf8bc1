"""Starting a run: on the Celery workers when there is a broker, in this process otherwise.

On workers the run is a chain of chords over the partitions:

    run_prepare_task ─▶ group(partition_metrics_task × N) ─▶ run_cut_points_task
                     ─▶ group(partition_classify_task × N) ─▶ run_finalise_task

Each phase's tasks go to the default queue, so every worker takes partitions as it frees up;
the chord callbacks start the next phase once every partition of the previous one is done.
With eager Celery (development, tests, SQLite) the same steps run in this process through
`segmentation_run()`."""

from __future__ import annotations

import datetime as dt

from celery import chord, current_app, group
from django.db import connection, transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from crm.queue import PUBLISH_TIMEOUT, QueueUnavailable, enqueue
from segmentation.metrics import DEFAULT_PARTITION_SIZE
from segmentation.models import Run
from segmentation.services import runs


def distributed() -> bool:
    """Whether runs go to Celery workers (a broker is configured, Celery is not eager)."""
    return not current_app.conf.task_always_eager


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
        return runs.segmentation_run(
            as_of=as_of, force=force, triggered_by=triggered_by, partition_size=size
        )
    from segmentation.tasks import run_prepare_task

    # Nothing is claimed while the broker is down: the page or command says so at once and
    # the current classes stay as they are.
    _broker_check()
    run, fresh = runs.run_claim(
        as_of=as_of, force=force, triggered_by=triggered_by, mode=runs.CELERY
    )
    if not fresh:
        return run
    run_id, attempt = run.pk, run.attempts

    def send() -> None:
        enqueue(run_prepare_task, run_id=run_id, attempt=attempt, partition_size=size)

    if connection.in_atomic_block:
        transaction.on_commit(send)  # the workers must see the claimed row
        return run
    try:
        send()
    except QueueUnavailable as exc:  # the broker went away between the check and the send
        runs.run_fail(run_id, attempt, exc)
        raise
    return run


def _broker_check() -> None:
    """Raises QueueUnavailable within about PUBLISH_TIMEOUT seconds when the broker is down."""
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=PUBLISH_TIMEOUT
            )
    except (OperationalError, RedisError, OSError) as exc:
        raise QueueUnavailable from exc


def dispatch_phase1(run_id: int, attempt: int, indexes: list[int]) -> None:
    from segmentation.tasks import partition_metrics_task, run_cut_points_task

    header = group(
        partition_metrics_task.si(run_id=run_id, attempt=attempt, index=i) for i in indexes
    )
    chord(header)(run_cut_points_task.si(run_id=run_id, attempt=attempt))


def dispatch_phase3(run_id: int, attempt: int, indexes: list[int]) -> None:
    from segmentation.tasks import partition_classify_task, run_finalise_task

    header = group(
        partition_classify_task.si(run_id=run_id, attempt=attempt, index=i) for i in indexes
    )
    chord(header)(run_finalise_task.si(run_id=run_id, attempt=attempt))
