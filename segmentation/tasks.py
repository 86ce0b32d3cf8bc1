"""Celery tasks of the run: thin wrappers around the steps of segmentation.services.runs,
chained as group → chord callback → group → chord callback (segmentation.workflow).

Primitive arguments (run id, attempt, partition index). acks_late (settings) and idempotent
steps make a redelivered task harmless; any other error fails the whole run with the
partition and the reason, and the tasks still queued then do nothing."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

log = logging.getLogger(__name__)


def _step(task, run_id: int, attempt: int, call):
    """Runs one step; a database that went away is retried a few times, any other error
    fails the run (first error wins) and is raised so the chord stops."""
    from segmentation.services.runs import run_fail

    try:
        return call()
    except OperationalError as exc:
        if task.request.retries < task.max_retries:
            raise task.retry(exc=exc, countdown=5 * (task.request.retries + 1)) from exc
        run_fail(run_id, attempt, exc)
        raise
    except Exception as exc:
        log.exception("segmentation run %s: step %s failed", run_id, task.name)
        run_fail(run_id, attempt, exc)
        raise


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def run_prepare_task(self, *, run_id: int, attempt: int, partition_size: int | None = None) -> int:
    """Plans the partitions and starts phase 1 on every worker."""
    from segmentation import workflow
    from segmentation.services import runs

    kwargs = {"partition_size": partition_size} if partition_size else {}
    indexes = _step(self, run_id, attempt, lambda: runs.run_prepare(run_id, attempt, **kwargs))
    if indexes:
        workflow.dispatch_phase1(run_id, attempt, indexes)
    elif runs.run_is_active(run_id, attempt):  # no customers at all
        run_finalise_task.delay(run_id=run_id, attempt=attempt)
    return len(indexes)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def partition_metrics_task(self, *, run_id: int, attempt: int, index: int) -> bool:
    from segmentation.services.runs import partition_metrics

    return _step(self, run_id, attempt, lambda: partition_metrics(run_id, attempt, index))


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def run_cut_points_task(self, _results=None, *, run_id: int, attempt: int) -> int:
    """Chord callback of phase 1: cut points and prediction, then phase 3 on every worker."""
    from segmentation import workflow
    from segmentation.services.runs import run_cut_points

    indexes = _step(self, run_id, attempt, lambda: run_cut_points(run_id, attempt))
    if indexes:
        workflow.dispatch_phase3(run_id, attempt, indexes)
    return len(indexes)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def partition_classify_task(self, *, run_id: int, attempt: int, index: int) -> bool:
    from segmentation.services.runs import partition_classify

    return _step(self, run_id, attempt, lambda: partition_classify(run_id, attempt, index))


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def run_finalise_task(self, _results=None, *, run_id: int, attempt: int) -> bool:
    """Chord callback of phase 3: the switch, then the post-run hooks."""
    from segmentation.hooks import run_post_run_hooks
    from segmentation.services.runs import run_finalise

    done = _step(self, run_id, attempt, lambda: run_finalise(run_id, attempt))
    if done:
        run_post_run_hooks(run_id)
    return bool(done)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=60,
    max_retries=3,
)
def segmentation_run_task(
    *, as_of: str | None = None, force: bool = False, triggered_by: str = "celery"
) -> int:
    """The nightly entry (beat): claims the run as of `as_of` (ISO date; default today) and
    hands it to the workers (in this process when Celery is eager). Returns the run id;
    returns quietly when another run is in progress (the beat tries again tomorrow)."""
    from segmentation import workflow
    from segmentation.models import Run
    from segmentation.services import RunInProgress

    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    try:
        return workflow.run_start(as_of=day, force=force, triggered_by=triggered_by).pk
    except RunInProgress:
        log.warning("segmentation run as of %s not started: another run is in progress", day)
        run = Run.objects.filter(as_of=day).first()
        return run.pk if run else 0


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=60, max_retries=3)
def classes_vacuum_task(*, run_id: int) -> bool:
    """After a run: VACUUM (ANALYZE) the class rows it wrote, so the customer list's
    index-only scans over them read index pages only (crm.db.vacuum_analyze). Idempotent."""
    from crm.db import vacuum_analyze
    from segmentation.models import CustomerClasses

    done = vacuum_analyze(CustomerClasses)
    log.info("run %s: class rows vacuumed: %s", run_id, done)
    return done


def enqueue_classes_vacuum(run_id: int) -> None:
    """The post-run hook (registered in SegmentationConfig.ready). Hooks are called once the
    run has committed; inside a transaction (a test) VACUUM skips itself."""
    classes_vacuum_task.delay(run_id=run_id)
