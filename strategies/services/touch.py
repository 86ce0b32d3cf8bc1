"""Keeps TouchDue — each customer's next contact deadline — in step with what it is derived
from (see the model).

The rule is written once: the touch clock is selectors.contact.touch_clock_starts, the gap
the smallest `max_interval_days` among the customer's open enrollments of active playbooks.

`touch_due_refresh` is the one entry point, and only services call it (besides the thin
Celery task that runs it in the background):
- `touch_due_refresh(customer_ids=[…])` recomputes those customers, in the transaction of
  the write that moved their clock: a claim from the pool, an enrollment edited or deleted
  (strategies.services.enrollments), and contact logs created, edited, moved, imported or
  deleted through customers' services, which announce it with
  customers.extensions.contact_logs_changed (the hook `touch_due_contact_logs_changed` is
  registered in StrategiesConfig.ready: customers never imports strategies);
- `touch_due_refresh()` recomputes everyone, range by range: after each night's task
  generation (enrollments change only then) and, queued, after a playbook's longest gap or
  active flag changes (strategies.services.playbooks)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence

from django.db import OperationalError, connection, transaction
from django.db.models import Max, Min, Q

from crm.db import postgresql_autocommit
from customers.models import Customer

from ..models import Enrollment, TouchDue
from ..selectors.contact import touch_clock_starts, touch_clock_starts_between

log = logging.getLogger(__name__)

# Customers recomputed together: a handful of queries per batch, each IN (…) list well under
# every database's parameter limit; about 5 MB of rows in memory.
BATCH = 5000


def _gaps(scope: Q) -> dict[int, int]:
    """customer → the smallest longest-allowed gap of the active playbooks it follows."""
    rows = (
        Enrollment.objects.filter(
            scope,
            ended_on__isnull=True,
            playbook__active=True,
            playbook__max_interval_days__isnull=False,
        )
        .values("customer_id")
        .annotate(gap=Min("playbook__max_interval_days"))
        .values_list("customer_id", "gap")
    )
    return dict(rows)


def _sync(scope: Q, clocks: Callable[[dict[int, int]], dict[int, dt.date]]) -> int:
    """Makes the TouchDue rows of the customers in `scope` (a filter on `customer_id`) what
    the rule says; writes only rows that change. `clocks(gaps)` returns the touch clocks of
    (at least) the customers in `gaps`. Returns how many rows were written or deleted."""
    gaps = _gaps(scope)
    clock_of = clocks(gaps) if gaps else {}
    want = {
        cid: (clock_of[cid], gap, clock_of[cid] + dt.timedelta(days=gap))
        for cid, gap in gaps.items()
        if cid in clock_of
    }
    have = {
        cid: (clock, gap, due)
        for cid, clock, gap, due in TouchDue.objects.filter(scope).values_list(
            "customer_id", "clock", "gap_days", "due_on"
        )
    }
    gone = [cid for cid in have if cid not in want]
    if gone:
        TouchDue.objects.filter(customer_id__in=gone).delete()
    changed = [
        TouchDue(customer_id=cid, clock=clock, gap_days=gap, due_on=due)
        for cid, (clock, gap, due) in want.items()
        if have.get(cid) != (clock, gap, due)
    ]
    # An upsert, not delete-then-insert: a rep's contact and the nightly rebuild may write
    # the same customer at the same time, and neither may fail on the other's row.
    TouchDue.objects.bulk_create(
        changed,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["customer"],
        update_fields=["clock", "gap_days", "due_on"],
    )
    return len(gone) + len(changed)


def touch_due_refresh(*, customer_ids: Iterable[int] | None = None, batch: int = BATCH) -> int:
    """Recomputes the next contact deadline of these customers, or of every customer when
    `customer_ids` is None. Returns how many rows were written or deleted.

    With ids: call it in the transaction that changed their contact logs, claims or
    enrollments; a few queries per 5,000. Without: one range of `batch` customer ids per
    transaction (pages keep reading the ranges not yet done); about 15 s at a million."""
    if customer_ids is None:
        return _rebuild(batch=batch)
    return _refresh(sorted(set(customer_ids)))


def touch_due_contact_logs_changed(customer_ids: Sequence[int]) -> None:
    """customers.extensions' contact-log hook: a contact logged, edited, moved or removed
    moves the customer's next contact deadline (called in that write's transaction)."""
    touch_due_refresh(customer_ids=customer_ids)


@transaction.atomic
def _refresh(ids: list[int]) -> int:
    written = 0
    for start in range(0, len(ids), BATCH):
        written += _sync(Q(customer_id__in=ids[start : start + BATCH]), touch_clock_starts)
    return written


# A range whose rows a rep's call changed while it was being recomputed is done again.
RANGE_ATTEMPTS = 5


def _rebuild_range(lo: int, hi: int) -> int:
    """Recomputes customers [lo, hi) in one transaction. On PostgreSQL it reads one snapshot
    (REPEATABLE READ): if a call logged meanwhile rewrote one of the range's rows, writing
    the older value over it fails with a serialization error instead of silently undoing the
    call's deadline until the next night, and the range is recomputed with the call."""
    # Inside a caller's transaction (tests) the isolation is the caller's.
    own_snapshot = postgresql_autocommit()
    for attempt in range(1, RANGE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                if own_snapshot:
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                return _sync(
                    Q(customer_id__gte=lo, customer_id__lt=hi),
                    lambda _gaps: touch_clock_starts_between(lo, hi),
                )
        except OperationalError as exc:
            if attempt == RANGE_ATTEMPTS or not _serialization_failure(exc):
                raise
            log.info("touch due range %s-%s changed while rebuilt; again (%s)", lo, hi, attempt)
    return 0  # not reached


def _serialization_failure(exc: OperationalError) -> bool:
    return getattr(getattr(exc, "__cause__", None), "pgcode", None) in ("40001", "40P01")


def _rebuild(*, batch: int) -> int:
    """Every customer, one range of customer ids per transaction."""
    t0 = time.perf_counter()
    bounds = Customer.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    written = 0
    if bounds["lo"] is not None:
        for lo in range(bounds["lo"], bounds["hi"] + 1, batch):
            written += _rebuild_range(lo, lo + batch)
    # Rows of customers outside the current id range cannot exist (the foreign key cascades),
    # so the ranges above cover the whole table.
    log.info("touch due rebuilt in %.1f s: %s rows changed", time.perf_counter() - t0, written)
    return written


__all__ = ["touch_due_contact_logs_changed", "touch_due_refresh"]
