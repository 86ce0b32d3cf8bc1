"""Publishing a background job on behalf of a person who is waiting for the page.

When the broker (Redis) is down, Celery's defaults retry the connection for seconds and then
raise deep inside a view: a hanging page and a 500. `enqueue` gives up after about a second
and raises QueueUnavailable, whose message the view shows ("the job queue is unavailable, try
again later"); nothing was started, so trying again later is safe."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from celery.result import AsyncResult
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Seconds spent trying to reach the broker for one publish, all attempts together.
PUBLISH_TIMEOUT = 2


class QueueUnavailable(Exception):
    """The job could not be queued; nothing was started."""

    message = _(
        "The job queue is unavailable right now, so nothing was started. "
        "Please try again in a few minutes."
    )

    def __str__(self) -> str:
        return str(self.message)


def enqueue(task: Task, **kwargs: Any) -> AsyncResult:
    """Queues `task(**kwargs)` or raises QueueUnavailable quickly. The result is not kept
    (the jobs a page starts report through the database or the cache, not Celery results),
    which also spares a connection to the result store on the way."""
    app = task.app
    if app.conf.task_always_eager:
        return task.apply_async(kwargs=kwargs)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=PUBLISH_TIMEOUT
            )
            # `connection` is one of apply_async's **options (missing from the stubs).
            return task.apply_async(  # type: ignore[call-arg]
                kwargs=kwargs, connection=conn, retry=False, ignore_result=True
            )
    except (OperationalError, RedisError, OSError) as exc:
        log.warning("could not queue %s: %s", task.name, exc)
        raise QueueUnavailable from exc
