"""Celery tasks of the segmentation app. The run's own tasks (a phase, a partition) are
generated from the step declaration in segmentation.pipeline.executors; importing it here
registers them with the worker.

Primitive arguments; acks_late and idempotent steps make a redelivered task harmless."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from segmentation.pipeline.executors import run_start

log = logging.getLogger(__name__)


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
    from segmentation.models import Run
    from segmentation.pipeline.claim import RunInProgress

    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    try:
        return run_start(as_of=day, force=force, triggered_by=triggered_by).pk
    except RunInProgress:
        log.warning("segmentation run as of %s not started: another run is in progress", day)
        run = Run.objects.filter(as_of=day).first()
        return run.pk if run else 0


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=60, max_retries=3)
def ruleset_preview_task(*, key: str, rule_set_id: int) -> bool:
    """A rule-set preview (segmentation.pipeline.preview), reporting to its progress record.
    Idempotent: a redelivered task computes the same counts again."""
    from segmentation.models import RuleSet
    from segmentation.pipeline.preview import preview_failed, ruleset_preview

    rule_set = RuleSet.objects.filter(pk=rule_set_id).first()
    if rule_set is None:
        preview_failed(key, f"rule set {rule_set_id} does not exist")
        return False
    ruleset_preview(rule_set=rule_set, key=key)
    return True


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
