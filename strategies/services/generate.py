"""From classes to tasks, set-based.

After a classification run: customers who entered a class with an active playbook are enrolled
and the playbook's steps go on the owner's list as dated tasks; customers who left the class
have that enrollment ended and its open tasks closed as "no longer applicable" (kept).

Every read and write is per playbook/class or per batch of rows — never per customer — and the
unique constraints (one open enrollment per customer and playbook, one task per enrollment and
step) make a second pass over the same run create nothing new."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Max, Min, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.db import LockKey, advisory_xact_lock, bulk_insert, next_ids
from segmentation.dimensions import in_class_q
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
# A first run spreads the whole book's first steps over at most four weeks (see `stagger`).
BACKFILL_SPREAD_MAX_DAYS = 28
# Customer ids generated per range: bounds the rows held in memory (about 100 MB per range
# for a first night's enrollments, candidates and open tasks).
CUSTOMER_RANGE = 50_000

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
    The leavers are read in one query; enrollments are ended per playbook and batch of
    customers on the (playbook, customer) index of open enrollments."""
    wanted = Q()
    for dim, code in by_class:
        wanted |= Q(dimension=dim, from_code=code)
    leavers: dict[tuple[str, str], list[int]] = defaultdict(list)
    if by_class:
        for cid, dim, code in (
            ClassChange.objects.filter(run=run)
            .filter(wanted)
            .values_list("customer_id", "dimension", "from_code")
            .iterator(chunk_size=BATCH)
        ):
            leavers[(dim, code)].append(cid)
    ended = 0
    for key, customer_ids in leavers.items():
        for pb in by_class[key]:
            for chunk in _chunks(customer_ids):
                ended += Enrollment.objects.filter(
                    playbook=pb,
                    ended_on__isnull=True,
                    started_on__lte=run.as_of,
                    customer_id__in=chunk,
                ).update(ended_on=run.as_of, ended_run_id=run.pk)
    closed = Task.objects.filter(enrollment__ended_run_id=run.pk, status__in=OPEN_STATUSES).update(
        status=TaskStatus.NOT_APPLICABLE, closed_on=run.as_of
    )
    return ended, closed


class _Entry(NamedTuple):
    """A customer that entered (or, for a backfill, is in) a class with a playbook."""

    customer_id: int
    dimension: str
    code: str
    owner_id: int | None


@dataclass(slots=True)
class _NewEnrollment:
    """An enrollment about to be inserted; field order is the insert's column order."""

    id: int
    customer_id: int
    playbook_id: int
    reason: str
    pin_reason: str
    run_id: int
    started_on: dt.date
    tasks_capped: int = 0

    def as_row(self) -> tuple:
        # Not dataclasses.astuple: it deep-copies every value (a first night has ~1M rows).
        return (
            self.id,
            self.customer_id,
            self.playbook_id,
            self.reason,
            self.pin_reason,
            self.run_id,
            self.started_on,
            self.tasks_capped,
        )


ENROLLMENT_COLUMNS = [f.name for f in fields(_NewEnrollment)]


class _NewTask(NamedTuple):
    """A task about to be inserted (open, no note); field order is the insert's columns."""

    owner_id: int | None
    customer_id: int
    enrollment_id: int
    step_id: int
    kind: str
    priority: int
    due_on: dt.date


def _entries(
    run: Run,
    by_class: dict[tuple[str, str], list[Playbook]],
    *,
    backfill: bool,
    lo: int,
    hi: int,
) -> Iterator[_Entry]:
    """Every customer with lo <= id < hi that entered a class with a playbook in `run` — or,
    for a backfill, every such customer in the class."""
    for dim, code in by_class:
        qs: QuerySet[Any]  # class rows or class changes
        if backfill:
            qs = CustomerClasses.objects.filter(in_class_q(dim, code), run=run)
        else:
            qs = ClassChange.objects.filter(run=run, dimension=dim, to_code=code)
        rows = qs.filter(
            customer_id__gte=lo, customer_id__lt=hi, customer__isnull=False
        ).values_list("customer_id", "customer__owner_id")
        for customer_id, owner_id in rows.iterator(chunk_size=BATCH):
            yield _Entry(customer_id, dim, code, owner_id)


def _customer_ranges(run: Run, *, backfill: bool, size: int) -> Iterator[tuple[int, int]]:
    """[lo, hi) ranges of customer ids covering the run's class rows (backfill) or class
    changes: each range is generated on its own, so memory stays bounded by `size`."""
    source = (
        CustomerClasses.objects.filter(run=run) if backfill else ClassChange.objects.filter(run=run)
    )
    bounds = source.aggregate(lo=Min("customer_id"), hi=Max("customer_id"))
    if bounds["lo"] is None:
        return
    for lo in range(bounds["lo"], bounds["hi"] + 1, size):
        yield lo, lo + size


def _pins(run: Run, customer_ids: list[int]) -> dict[tuple[int, str, str], str]:
    pins: dict[tuple[int, str, str], str] = {}
    for chunk in _chunks(customer_ids):
        for cid, dim, code, reason in ClassPin.objects.filter(
            customer_id__in=chunk, expires_on__gte=run.as_of
        ).values_list("customer_id", "dimension", "code", "reason"):
            pins[(cid, dim, code)] = reason
    return pins


@transaction.atomic
def strategies_generate(
    *, run_id: int, backfill: bool = False, range_size: int = CUSTOMER_RANGE
) -> GenerateResult:
    """Turns the class changes of a succeeded run into enrollments and tasks (see module doc).

    Conflicts: a customer's candidate tasks and its open ones are ranked together by playbook
    priority (then due date); only the first `max_open_tasks` stay open. Lower-ranked open
    tasks are closed as not applicable ("displaced"), lower-ranked new steps are not created
    and counted on their enrollment (`tasks_capped`).

    `backfill` enrols every customer currently in a class (for the first run, which has no
    changes, or a newly added playbook).

    Everything after the exits is decided per customer, so it runs per range of
    `range_size` customer ids: a first night over a million customers holds one range's
    rows in memory at a time, not every enrollment and candidate of the book."""
    # Serialises generation (nightly hook, command, retries) for the transaction; without it
    # two passes could both see an enrollment as missing and collide on the constraint.
    advisory_xact_lock(LockKey.STRATEGIES_GENERATE)
    run = Run.objects.get(pk=run_id)
    if run.status != RunStatus.SUCCEEDED:
        raise ValueError(f"run {run_id} has not succeeded ({run.status})")
    cap = StrategySettings.load().max_open_tasks
    by_class = _playbooks_by_class()

    t0 = time.perf_counter()
    ended, closed = (0, 0) if backfill else _end_leavers(run, by_class)
    log.info("strategies run %s: exits in %.1f s", run.pk, time.perf_counter() - t0)

    totals: dict[str, int] = defaultdict(int)
    for lo, hi in _customer_ranges(run, backfill=backfill, size=range_size):
        for key, value in _generate_range(
            run, by_class, backfill=backfill, cap=cap, lo=lo, hi=hi
        ).items():
            totals[key] += value
        log.info(
            "strategies run %s: customers below %s done at %.1f s",
            run.pk,
            hi,
            time.perf_counter() - t0,
        )
    result = GenerateResult(
        run_id=run.pk,
        enrolled=totals["enrolled"],
        ended=ended,
        tasks_created=totals["created"],
        tasks_closed=closed,
        tasks_displaced=totals["displaced"],
        tasks_capped=totals["capped"],
    )
    log.info("strategies for run %s: %s", run.pk, result)
    return result


# Long on purpose: one id range's set-based task generation (enrol, close, schedule) inside one
# transaction, in order.
def _generate_range(
    run: Run,
    by_class: dict[tuple[str, str], list[Playbook]],
    *,
    backfill: bool,
    cap: int,
    lo: int,
    hi: int,
) -> dict[str, int]:
    """Enrollments and tasks for the customers with lo <= id < hi (see strategies_generate)."""
    as_of = run.as_of
    in_range = Q(customer_id__gte=lo, customer_id__lt=hi)
    entries = list(_entries(run, by_class, backfill=backfill, lo=lo, hi=hi))
    if not entries:
        return {}
    customer_ids = sorted({e.customer_id for e in entries})
    pins = _pins(run, customer_ids)
    owners = {e.customer_id: e.owner_id for e in entries}
    already_open: set[tuple[int, int]] = set(
        Enrollment.objects.filter(in_range, ended_on__isnull=True).values_list(
            "customer_id", "playbook_id"
        )
    )
    reason = EnrollmentReason.BACKFILL if backfill else EnrollmentReason.ENTERED
    # (customer, playbook, reason, pin reason) of each enrollment to make.
    to_enrol: list[tuple[int, int, str, str]] = []
    for cid, dim, code, _owner in entries:
        pin_reason = pins.get((cid, dim, code))
        for pb in by_class[(dim, code)]:
            if (cid, pb.pk) in already_open:
                continue
            already_open.add((cid, pb.pk))
            why = EnrollmentReason.PIN.value if pin_reason is not None else reason.value
            to_enrol.append((cid, pb.pk, why, (pin_reason or "")[:300]))
    del entries, already_open
    # The new enrollments get their ids before they are written, so their tasks are ranked
    # and their capped counts known first: each row is inserted once, never updated after.
    new_enrollments = {
        enr_id: _NewEnrollment(enr_id, cid, pb_id, why, pin, run.pk, as_of)
        for enr_id, (cid, pb_id, why, pin) in zip(
            next_ids(Enrollment, len(to_enrol)), to_enrol, strict=True
        )
    }
    del to_enrol

    def stagger(customer_id: int, playbook: Playbook) -> int:
        """Days a backfilled enrollment's steps are pushed back. A first run enrols the whole
        book at once; without spreading, a rep with 250 customers would find hundreds of
        tasks due on day one. Each customer gets a stable slot within the playbook's cadence
        (at most four weeks), so the first contacts arrive as a steady daily share."""
        if not backfill:
            return 0
        return customer_id % min(playbook.cadence_days, BACKFILL_SPREAD_MAX_DAYS)

    # Candidate tasks: every step of this run's open enrollments not yet on a list — those
    # made just now and those an earlier pass over the same run made.
    playbooks = {pb.pk: pb for pbs in by_class.values() for pb in pbs}
    steps = {pk: list(pb.steps.all()) for pk, pb in playbooks.items()}
    existing_pairs = set(
        Task.objects.filter(in_range, enrollment__run_id=run.pk).values_list(
            "enrollment_id", "step_id"
        )
    )
    earlier = Enrollment.objects.filter(in_range, run_id=run.pk, ended_on__isnull=True)
    open_enrollments = itertools.chain(
        earlier.values_list("id", "customer_id", "playbook_id").iterator(chunk_size=BATCH),
        ((e.id, e.customer_id, e.playbook_id) for e in new_enrollments.values()),
    )
    # A candidate is (rank key, row); the key (-priority, due date, playbook, step order)
    # sorts the most urgent first.
    candidates: dict[int, list[tuple[tuple, _NewTask]]] = defaultdict(list)
    for enr_id, cid, pb_id in open_enrollments:
        playbook = playbooks.get(pb_id)
        if playbook is None:
            continue
        for step in steps[pb_id]:
            if (enr_id, step.pk) in existing_pairs:
                continue
            due = as_of + dt.timedelta(days=step.day_offset + stagger(cid, playbook))
            task = _NewTask(
                owners.get(cid), cid, enr_id, step.pk, step.kind, playbook.priority, due
            )
            candidates[cid].append(((-playbook.priority, due, playbook.pk, step.order), task))
    del existing_pairs

    # Open tasks those customers already have (pool notices are outside the cap).
    current: dict[int, list[tuple[tuple, int]]] = defaultdict(list)
    rows = (
        Task.objects.filter(in_range, status__in=OPEN_STATUSES)
        .exclude(kind=TaskKind.POOL_NOTICE)
        .values_list("id", "customer_id", "priority", "due_on", "step__playbook_id", "step__order")
    )
    for task_id, cid, prio, due, pb_id, order in rows.iterator(chunk_size=BATCH):
        if cid in candidates:
            current[cid].append(((-prio, due, pb_id or 0, order or 0), task_id))

    to_create: list[_NewTask] = []
    displaced: list[int] = []
    capped: dict[int, int] = defaultdict(int)
    for cid, cands in candidates.items():
        ranked: list[tuple[tuple, _NewTask | int]] = sorted(
            [*cands, *current.get(cid, [])], key=lambda item: item[0]
        )
        for position, (_key, obj) in enumerate(ranked):
            keep = position < cap
            if isinstance(obj, _NewTask):
                if keep:
                    to_create.append(obj)
                else:
                    capped[obj.enrollment_id] += 1
            elif not keep:
                displaced.append(obj)  # an open task's id
    del candidates, current

    for enr_id in [e for e in capped if e in new_enrollments]:
        # tasks_capped, written with the row
        new_enrollments[enr_id].tasks_capped = capped.pop(enr_id)
    enrolled = bulk_insert(
        table=Enrollment._meta.db_table,
        columns=ENROLLMENT_COLUMNS,
        rows=[e.as_row() for e in new_enrollments.values()],
        text_columns=("reason", "pin_reason"),
    )
    capped_total = sum(e.tasks_capped for e in new_enrollments.values()) + sum(capped.values())
    del new_enrollments
    created_at = connection.ops.adapt_datetimefield_value(timezone.now())
    bulk_insert(
        table=Task._meta.db_table,
        columns=[*_NewTask._fields, "status", "note", "created_at"],
        rows=[(*task, TaskStatus.OPEN.value, "", created_at) for task in to_create],
        text_columns=("kind", "status", "note"),
    )
    for chunk in _chunks(displaced):
        Task.objects.filter(pk__in=chunk, status__in=OPEN_STATUSES).update(
            status=TaskStatus.NOT_APPLICABLE, closed_on=as_of, note=DISPLACED_NOTE
        )
    # One UPDATE per distinct count (a handful), not one per enrollment.
    by_count: dict[int, list[int]] = defaultdict(list)
    for enr_id, n in capped.items():
        by_count[n].append(enr_id)
    for n, enr_ids in by_count.items():
        for chunk in _chunks(enr_ids):
            Enrollment.objects.filter(pk__in=chunk).update(tasks_capped=n)
    return {
        "enrolled": enrolled,
        "created": len(to_create),
        "displaced": len(displaced),
        "capped": capped_total,
    }


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
