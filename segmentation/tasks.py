"""Thin Celery tasks: primitive arguments, the service does the work, idempotent (acks_late
is safe: a redelivered run for the same date finds it finished or recovers it)."""

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=60,
    max_retries=3,
)
def segmentation_run_task(
    *, as_of: str | None = None, force: bool = False, triggered_by: str = "celery"
) -> int:
    """Runs the classification as of `as_of` (ISO date; default today). Returns the run id;
    returns quietly when another run holds the lock (the beat tries again tomorrow)."""
    from segmentation.models import Run
    from segmentation.services import RunInProgress, segmentation_run

    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    try:
        return segmentation_run(as_of=day, force=force, triggered_by=triggered_by).pk
    except RunInProgress:
        run = Run.objects.filter(as_of=day).first()
        return run.pk if run else 0
