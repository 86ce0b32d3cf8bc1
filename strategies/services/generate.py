"""From classes to tasks, set-based.

After a classification run: customers who entered a class with an active playbook are enrolled
and the playbook's steps go on the owner's list as dated tasks; customers who left the class
have that enrollment ended and its open tasks closed as "no longer applicable" (kept).

Every read and write is per playbook/class or per batch of rows — never per customer — and the
unique constraints (one open enrollment per customer and playbook, one task per enrollment and
step) make a second pass over the same run create nothing new."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models.functions import Coalesce

from segmentation.models import ClassChange, ClassPin, CustomerClasses, Run, RunStatus

from ..models import (
    OPEN_STATUSES,
    Enrollment,
    EnrollmentReason,
    Playbook,
    StrategySettings,
    Task,
    TaskKind,
    TaskStatus,
)

log = logging.getLogger(__name__)

# 5,000 rows per INSERT/UPDATE keeps each statement well under a few MB and SQLite's
# parameter limit (5,000 ids × 1 parameter).
BATCH = 5000

DISPLACED_NOTE = "displaced by a higher-priority playbook"


@dataclass(frozen=True)
class GenerateResult:
    run_id: int
    enrolled: int
    ended: int
    tasks_created: int
    tasks_closed: int
    tasks_displaced: int
    tasks_capped: int


def _chunks(seq: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def _playbooks_by_class() -> dict[tuple[str, str], list[Playbook]]:
    by_class: dict[tuple[str, str], list[Playbook]] = defaultdict(list)
    for pb in Playbook.objects.filter(active=True).prefetch_related("steps"):
        by_class[(pb.dimension, pb.class_code)].append(pb)
    return by_class


def _end_leavers(run: Run, by_class: dict[tuple[str, str], list[Playbook]]) -> tuple[int, int]:
    """Ends the enrollments of customers who left a class in `run` and closes their open tasks.
    One UPDATE per class, one for the tasks."""
    ended = 0
    for (dim, code), pbs in by_class.items():
        leavers = ClassChange.objects.filter(run=run, dimension=dim, from_code=code).values(
            "customer_id"
        )
        ended += Enrollment.objects.filter(
            playbook__in=pbs,
            ended_on__isnull=True,
            started_on__lte=run.as_of,
            customer_id__in=leavers,
        ).update(ended_on=run.as_of, ended_run_id=run.pk)
    closed = Task.objects.filter(enrollment__ended_run_id=run.pk, status__in=OPEN_STATUSES).update(
        status=TaskStatus.NOT_APPLICABLE, closed_on=run.as_of
    )
    return ended, closed


def _entries(
    run: Run, by_class: dict[tuple[str, str], list[Playbook]], *, backfill: bool
) -> Iterator[tuple[int, str, str, int | None]]:
    """(customer, dimension, class, owner) of every customer that entered a class with a
    playbook in `run` — or, for a backfill, every customer in such a class."""
    for dim, code in by_class:
        if backfill:
            qs = CustomerClasses.objects.filter(run=run, **{dim: code})
        else:
            qs = ClassChange.objects.filter(run=run, dimension=dim, to_code=code)
        rows = qs.filter(customer__isnull=False).values_list("customer_id", "customer__owner_id")
        for customer_id, owner_id in rows.iterator(chunk_size=BATCH):
            yield customer_id, dim, code, owner_id


def _pins(run: Run, customer_ids: list[int]) -> dict[tuple[int, str, str], str]:
    pins: dict[tuple[int, str, str], str] = {}
    for chunk in _chunks(customer_ids):
        for cid, dim, code, reason in ClassPin.objects.filter(
            customer_id__in=chunk, expires_on__gte=run.as_of
        ).values_list("customer_id", "dimension", "code", "reason"):
            pins[(cid, dim, code)] = reason
    return pins


@transaction.atomic
def strategies_generate(*, run_id: int, backfill: bool = False) -> GenerateResult:
    """Turns the class changes of a succeeded run into enrollments and tasks (see module doc).

    Conflicts: a customer's candidate tasks and its open ones are ranked together by playbook
    priority (then due date); only the first `max_open_tasks` stay open. Lower-ranked open
    tasks are closed as not applicable ("displaced"), lower-ranked new steps are not created
    and counted on their enrollment (`tasks_capped`).

    `backfill` enrols every customer currently in a class (for the first run, which has no
    changes, or a newly added playbook)."""
    run = Run.objects.get(pk=run_id)
    if run.status != RunStatus.SUCCEEDED:
        raise ValueError(f"run {run_id} has not succeeded ({run.status})")
    as_of = run.as_of
    cap = StrategySettings.load().max_open_tasks
    by_class = _playbooks_by_class()

    ended, closed = (0, 0) if backfill else _end_leavers(run, by_class)

    entries = list(_entries(run, by_class, backfill=backfill))
    customer_ids = sorted({e[0] for e in entries})
    pins = _pins(run, customer_ids)
    owners = {e[0]: e[3] for e in entries}
    reason = EnrollmentReason.BACKFILL if backfill else EnrollmentReason.ENTERED
    new_enrollments = []
    for cid, dim, code, _owner in entries:
        pin_reason = pins.get((cid, dim, code))
        for pb in by_class[(dim, code)]:
            new_enrollments.append(
                Enrollment(
                    customer_id=cid,
                    playbook=pb,
                    reason=EnrollmentReason.PIN if pin_reason is not None else reason,
                    pin_reason=(pin_reason or "")[:300],
                    run_id=run.pk,
                    started_on=as_of,
                )
            )
    before = Enrollment.objects.filter(run_id=run.pk).count()
    Enrollment.objects.bulk_create(new_enrollments, batch_size=BATCH, ignore_conflicts=True)
    enrolled = Enrollment.objects.filter(run_id=run.pk).count() - before

    # Candidate tasks: every step of this run's open enrollments not yet on a list.
    playbooks = {pb.pk: pb for pbs in by_class.values() for pb in pbs}
    existing_pairs = set(
        Task.objects.filter(enrollment__run_id=run.pk).values_list("enrollment_id", "step_id")
    )
    # rank key: (-priority, due date, playbook, step order) — lower sorts first.
    candidates: dict[int, list[tuple[tuple, Task]]] = defaultdict(list)
    for enr_id, cid, pb_id in Enrollment.objects.filter(
        run_id=run.pk, ended_on__isnull=True
    ).values_list("id", "customer_id", "playbook_id"):
        pb = playbooks.get(pb_id)
        if pb is None:
            continue
        for step in pb.steps.all():
            if (enr_id, step.pk) in existing_pairs:
                continue
            due = as_of + dt.timedelta(days=step.day_offset)
            task = Task(
                owner_id=owners.get(cid),
                customer_id=cid,
                enrollment_id=enr_id,
                step=step,
                kind=step.kind,
                priority=pb.priority,
                due_on=due,
            )
            candidates[cid].append(((-pb.priority, due, pb.pk, step.order), task))

    # Open tasks those customers already have (pool notices are outside the cap).
    current: dict[int, list[tuple[tuple, int]]] = defaultdict(list)
    for chunk in _chunks(sorted(candidates)):
        rows = (
            Task.objects.filter(customer_id__in=chunk, status__in=OPEN_STATUSES)
            .exclude(kind=TaskKind.POOL_NOTICE)
            .values_list(
                "id", "customer_id", "priority", "due_on", "step__playbook_id", "step__order"
            )
        )
        for task_id, cid, prio, due, pb_id, order in rows:
            current[cid].append(((-prio, due, pb_id or 0, order or 0), task_id))

    to_create: list[Task] = []
    displaced: list[int] = []
    capped: dict[int, int] = defaultdict(int)
    for cid, cands in candidates.items():
        ranked = sorted(
            [(key, "new", task) for key, task in cands]
            + [(key, "old", task_id) for key, task_id in current.get(cid, [])],
            key=lambda item: item[0],
        )
        for position, (_key, kind, obj) in enumerate(ranked):
            keep = position < cap
            if kind == "new":
                if keep:
                    to_create.append(obj)
                else:
                    capped[obj.enrollment_id] += 1
            elif not keep:
                displaced.append(obj)

    Task.objects.bulk_create(to_create, batch_size=BATCH, ignore_conflicts=True)
    for chunk in _chunks(displaced):
        Task.objects.filter(pk__in=chunk, status__in=OPEN_STATUSES).update(
            status=TaskStatus.NOT_APPLICABLE, closed_on=as_of, note=DISPLACED_NOTE
        )
    if capped:
        Enrollment.objects.bulk_update(
            [Enrollment(pk=pk, tasks_capped=n) for pk, n in capped.items()],
            ["tasks_capped"],
            batch_size=BATCH,
        )
    result = GenerateResult(
        run_id=run.pk,
        enrolled=enrolled,
        ended=ended,
        tasks_created=len(to_create),
        tasks_closed=closed,
        tasks_displaced=len(displaced),
        tasks_capped=sum(capped.values()),
    )
    log.info("strategies for run %s: %s", run.pk, result)
    return result


@transaction.atomic
def tasks_mark_missed(*, as_of: dt.date) -> int:
    """Open or snoozed tasks past their (snoozed) date by more than the grace days → missed."""
    grace = StrategySettings.load().missed_after_days
    limit = as_of - dt.timedelta(days=grace)
    return (
        Task.objects.filter(status__in=OPEN_STATUSES)
        .alias(when=Coalesce("snoozed_until", "due_on"))
        .filter(when__lt=limit)
        .exclude(kind=TaskKind.POOL_NOTICE)
        .update(status=TaskStatus.MISSED, closed_on=as_of)
    )


__all__ = ["GenerateResult", "strategies_generate", "tasks_mark_missed"]
