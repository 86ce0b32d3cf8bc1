"""Thin Celery tasks: primitive arguments, call the service, idempotent, acks_late."""

import logging

from celery import shared_task
from django.db import OperationalError, transaction

from crm.db import analyze
from crm.queue import QueueUnavailable, enqueue
from segmentation.models import ClassChange, Run, RunStatus

from .models import Enrollment, PoolEvent, Task, TouchDue
from .services import pool_sweep, strategies_generate, tasks_mark_missed
from .services.outcomes import adherence_rollup_refresh, playbook_outcomes_refresh
from .services.touch import touch_due_refresh

log = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=5,
)
def strategies_after_run(*, run_id: int) -> dict:
    """After a classification run: tasks from class changes, missed tasks, the pool sweep,
    then the playbook effectiveness figures (from the tasks as they now stand). Each step is
    idempotent, so a retry or a duplicate delivery is harmless."""
    run = Run.objects.only("as_of", "is_current").get(pk=run_id)
    as_of = run.as_of
    # The first classification has no class changes to read (nothing to compare with), so it
    # enrols every customer already in a class; later runs follow the changes.
    first_run = (
        not Run.objects.filter(status=RunStatus.SUCCEEDED, as_of__lt=as_of).exists()
        and not ClassChange.objects.filter(run_id=run_id).exists()
    )
    result = strategies_generate(run_id=run_id, backfill=first_run)
    missed = tasks_mark_missed(as_of=as_of)
    pool = pool_sweep(as_of=as_of)
    # Enrollments changed: every customer's next contact deadline is recomputed (about 15 s
    # at a million customers; only changed rows are written).
    touch_due_refresh()
    # Generation and the sweep just rewrote these tables in bulk: the outcome figures below
    # and tomorrow morning's pages plan with fresh statistics.
    analyze(Enrollment, Task, PoolEvent, TouchDue)
    # Figures describe the classes the product shows: a re-run of an older date leaves them.
    outcomes = playbook_outcomes_refresh(as_of=as_of) if run.is_current else None
    if run.is_current:
        adherence_rollup_refresh(as_of=as_of)
    return {
        "tasks_created": result.tasks_created,
        "tasks_closed": result.tasks_closed,
        "missed": missed,
        "noticed": pool.noticed,
        "released": pool.released,
        "outcomes": outcomes.enrollments if outcomes else None,
    }


def enqueue_after_run(run_id: int) -> None:
    """The post-run hook: runs once the run's transaction has committed."""
    # Celery's Django integration adds delay_on_commit; celery-types does not know it.
    strategies_after_run.delay_on_commit(run_id=run_id)  # type: ignore[attr-defined]


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=5,
)
def touch_due_rebuild_task() -> int:
    """Every customer's next contact deadline, recomputed (after a playbook's gap changed).
    Idempotent: a second run writes nothing."""
    written = touch_due_refresh()
    analyze(TouchDue)
    return written


def enqueue_touch_due_rebuild() -> None:
    """Rebuilds the next contact deadlines once the current transaction has committed (a
    playbook's longest gap or its active flag changed in admin). When the job queue is down
    the change still reaches the lists with the night's rebuild; the edit itself is kept."""

    def publish() -> None:
        try:
            enqueue(touch_due_rebuild_task)
        except QueueUnavailable:
            log.warning("next contact deadlines will follow the playbook change tonight")

    transaction.on_commit(publish)
