"""Thin Celery tasks of the API's outbound events: ids in, services do the work."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

log = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=30, max_retries=5)
def class_change_events_task(*, run_id: int) -> int:
    """After a run: one class.changed delivery per dimension and subscription."""
    from .webhooks.events import class_change_events

    return class_change_events(run_id=run_id)


def enqueue_class_change_events(run_id: int) -> None:
    """The post-run hook (api.apps): queues the events task once the run has committed;
    nothing of it runs inside the run."""
    class_change_events_task.delay_on_commit(run_id=run_id)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=30, max_retries=5)
def events_sweep_task() -> dict:
    """Every few minutes (beat): tasks created, overdue, customers claimed from the pool."""
    from .webhooks.delivery import deliveries_due
    from .webhooks.events import events_sweep

    result = events_sweep()
    due = deliveries_due(eager=bool(events_sweep_task.app.conf.task_always_eager))
    for pk in due:
        webhook_deliver_task.delay(delivery_id=pk)
    return {**result, "retried": len(due)}


@shared_task(bind=True, acks_late=True, max_retries=None)
def webhook_deliver_task(self, *, delivery_id: int) -> str:
    """One try; a failure schedules the next one with exponential backoff (the delivery row
    counts the tries and turns dead after the last)."""
    from .webhooks.delivery import delivery_attempt

    wait = delivery_attempt(delivery_id)
    if wait is None:
        return "done"
    if self.app.conf.task_always_eager:
        # In-process Celery (tests, a machine without a broker) cannot wait: the delivery
        # stays pending with its next-try time; the sweep's retry pass picks it up.
        return f"retry in {wait}s"
    raise self.retry(countdown=wait)
