"""The one definition of "last contact" every contact rule reads (overdue touch on the task
list and the customer page, the pool's release clock).

A customer's touch clock starts at the latest of: the last logged contact, the last time a
rep claimed it from the pool, and — for a customer nobody has contacted yet — the day it was
created. Starting a playbook is not a contact: on the first night, a customer nobody has
spoken to for months is overdue at once rather than "contacted in time" until the new
playbook's gap has passed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

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
    out = {
        pk: timezone.localdate(created)
        for pk, created in Customer.objects.filter(pk__in=ids).values_list("pk", "created_at")
    }
    logs = (
        ContactLog.objects.filter(customer_id__in=ids)
        .values("customer_id")
        .annotate(m=Max("occurred_at"))
        .values_list("customer_id", "m")
    )
    for cid, last in logs:
        out[cid] = max(out.get(cid, dt.date.min), timezone.localdate(last))
    claims = (
        PoolEvent.objects.filter(customer_id__in=ids, kind=PoolEventKind.CLAIM)
        .values("customer_id")
        .annotate(m=Max("on"))
        .values_list("customer_id", "m")
    )
    for cid, on in claims:
        out[cid] = max(out.get(cid, dt.date.min), on)
    return out
