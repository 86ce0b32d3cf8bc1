"""Who may run, and whether a run is still alive: the locks, the claim state machine
(running → succeeded | failed, attempts), the heartbeat and failing an attempt.

A run row per `as_of` is the claim. On PostgreSQL an in-process run also holds a session
advisory lock for its lifetime (it dies with the process); a run on Celery workers, and any run
on SQLite, is alive while its steps keep reporting (the heartbeat)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.db import LockKey, advisory_xact_lock, session_advisory_lock, session_lock_held_elsewhere
from segmentation.models import RuleSet, Run, RunStatus

IN_PROCESS = "in-process"
CELERY = "celery"


def stale_after() -> dt.timedelta:
    """A running run whose steps have not reported for this long is treated as dead. Each
    partition reports when it starts and ends, and one takes seconds to a minute."""
    return dt.timedelta(seconds=int(getattr(settings, "SEGMENTATION_STALE_AFTER_SECONDS", 900)))


class RunInProgress(RuntimeError):
    """Another run holds the lock."""


class RunRefused(ValueError):
    """The run cannot start for a reason the operator must fix (message says which)."""


@contextmanager
def run_lock() -> Iterator[None]:
    """The in-process run's session lock on PostgreSQL: it dies with the process, so a killed
    `manage.py segment` never blocks the next run."""
    with session_advisory_lock(LockKey.SEGMENTATION_RUN) as taken:
        if not taken:
            raise RunInProgress(_("Another segmentation run is in progress."))
        yield


def _session_lock_held_elsewhere() -> bool:
    """Whether another PostgreSQL session holds the in-process run's lock."""
    return session_lock_held_elsewhere(LockKey.SEGMENTATION_RUN)


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
    advisory_xact_lock(LockKey.SEGMENTATION_CLAIM)


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
        previous = baseline(as_of)
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


def baseline(as_of: dt.date) -> Run | None:
    """The run a new one is compared with: the latest succeeded run before `as_of`."""
    return (
        Run.objects.filter(status=RunStatus.SUCCEEDED, as_of__lt=as_of).order_by("-as_of").first()
    )


def beat(run: Run, **fields) -> None:
    """Saves `fields` with a fresh heartbeat (the sign of life of a run on workers)."""
    fields["heartbeat_at"] = timezone.now()
    Run.objects.filter(pk=run.pk).update(**fields)
    for key, value in fields.items():
        setattr(run, key, value)


def run_active(run_id: int, attempt: int) -> Run | None:
    """The run if this attempt of it is still running; None when a step of a failed,
    finished or superseded attempt arrives late (a redelivered task): it must do nothing."""
    run = Run.objects.select_related("rule_set").filter(pk=run_id).first()
    if run is None or run.status != RunStatus.RUNNING or run.attempts != attempt:
        return None
    return run


def phase_started(run: Run, phase: str) -> None:
    plan = dict(run.plan)
    plan["phase_started"] = {**plan.get("phase_started", {}), phase: time.time()}
    beat(run, phase=phase, plan=plan)


def run_fail(run_id: int, attempt: int, exc: BaseException) -> None:
    """Marks this attempt failed with the error (and the partition it happened in). The first
    error wins: the steps still queued find the run failed and do nothing."""
    notes = "; ".join(getattr(exc, "__notes__", []))
    message = f"{notes + ': ' if notes else ''}{type(exc).__name__}: {exc}"[:2000]
    Run.objects.filter(pk=run_id, attempts=attempt, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, error=message, finished_at=timezone.now()
    )
