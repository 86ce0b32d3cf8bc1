"""The one definition of "last contact" every contact rule reads (overdue touch on the task
list and the customer page — the lists through TouchDue, which services.touch builds with
these functions — and the pool's release clock).

A customer's touch clock starts at the latest of: the last logged contact, the last time a
rep claimed it from the pool, and — for a customer nobody has contacted yet — the day it was
created. Starting a playbook is not a contact: on the first night, a customer nobody has
spoken to for months is overdue at once rather than "contacted in time" until the new
playbook's gap has passed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Max, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate

from customers.models import ContactLog, Customer

from ..models import PoolEvent, PoolEventKind


def last_contact_subquery(ref: str = "customer_id") -> Subquery:
    """The latest logged contact of the customer `ref` points at (NULL when none)."""
    return Subquery(
        ContactLog.objects.filter(customer_id=OuterRef(ref))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )


def touch_clock_starts(customer_ids: Iterable[int]) -> dict[int, dt.date]:
    """customer → the date its "no contact" clock started (see the module docstring).
    Three queries, whatever the number of customers."""
    ids = list(customer_ids)
    if not ids:
        return {}
    return _touch_clocks(Q(pk__in=ids), Q(customer_id__in=ids))


def touch_clock_starts_between(lo: int, hi: int) -> dict[int, dt.date]:
    """The same for every customer with lo <= id < hi (the nightly rebuild of TouchDue reads
    the customers range by range: a range is cheaper to filter than a list of ids)."""
    return _touch_clocks(Q(pk__gte=lo, pk__lt=hi), Q(customer_id__gte=lo, customer_id__lt=hi))


def _touch_clocks(customers: Q, related: Q) -> dict[int, dt.date]:
    # Dates are taken in the database, in the current time zone (as timezone.localdate
    # would): a million conversions in Python took longer than the queries.
    out = dict(
        Customer.objects.filter(customers)
        .annotate(d=TruncDate("created_at"))
        .values_list("pk", "d")
    )
    logs = (
        ContactLog.objects.filter(related)
        .values("customer_id")
        .annotate(m=Max(TruncDate("occurred_at")))
        .values_list("customer_id", "m")
    )
    for cid, last in logs:
        if cid in out:
            out[cid] = max(out[cid], last)
    claims = (
        PoolEvent.objects.filter(related, kind=PoolEventKind.CLAIM)
        .values("customer_id")
        .annotate(m=Max("on"))
        .values_list("customer_id", "m")
    )
    for cid, on in claims:
        if cid in out:
            out[cid] = max(out[cid], on)
    return out
