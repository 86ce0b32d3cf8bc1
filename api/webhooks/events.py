"""Turning what happened into deliveries: one delivery per event and subscription, batched
(one class-changed event per dimension and run; task and pool events collected per sweep),
never one per customer."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from crm.models import User

from .. import classes
from ..models import EventCursor, EventKind, WebhookDelivery, WebhookSubscription

# Codes listed in a claimed-customers event at most (the count is always complete).
MAX_LISTED = 200


def _envelope(event: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "event": event,
        "created_at": timezone.now().isoformat(),
        "data": data,
    }


def _subscriptions(event: str) -> list[WebhookSubscription]:
    return [s for s in WebhookSubscription.objects.filter(is_active=True) if s.wants(event)]


def _deliveries(rows: list[WebhookDelivery]) -> list[int]:
    created = WebhookDelivery.objects.bulk_create(rows)
    ids = [d.pk for d in created if d.pk]
    if len(ids) != len(created):  # backends without RETURNING
        ids = list(
            WebhookDelivery.objects.filter(uid__in=[d.uid for d in created]).values_list(
                "pk", flat=True
            )
        )
    return ids


def _send_on_commit(ids: list[int]) -> None:
    from ..tasks import webhook_deliver_task

    for pk in ids:
        transaction.on_commit(lambda pk=pk: webhook_deliver_task.delay(delivery_id=pk))


@transaction.atomic
def class_change_events(*, run_id: int) -> int:
    """One class.changed delivery per dimension (that moved) and subscription; a subscription
    for one team gets that team's figures only. Returns the deliveries queued."""
    subs = _subscriptions(EventKind.CLASS_CHANGED)
    if not subs:
        return 0
    summary = classes.run_changes_summary(run_id)
    rows: list[WebhookDelivery] = []
    for dimension, entry in summary.get("dimensions", {}).items():
        for sub in subs:
            if not sub.wants(EventKind.CLASS_CHANGED, dimension):
                continue
            moves = []
            for m in entry["moves"]:
                if sub.team_id is None:
                    n, core = m["customers"], m["core"]
                else:
                    n = m["by_team"].get(sub.team_id, 0)
                    core = m.get("by_team_core", {}).get(sub.team_id, 0)
                if n:
                    moves.append(
                        {k: m[k] for k in ("from", "from_label", "to", "to_label")}
                        | {"customers": n, "core": core}
                    )
            if not moves:
                continue
            data = {
                "run": summary["run"],
                "dimension": dimension,
                "dimension_label": str(entry["label"]),
                "team_id": sub.team_id,
                "moves": moves,
            }
            rows.append(
                WebhookDelivery(
                    subscription=sub,
                    event=EventKind.CLASS_CHANGED,
                    payload=_envelope(EventKind.CLASS_CHANGED, data),
                )
            )
    ids = _deliveries(rows)
    _send_on_commit(ids)
    return len(ids)


def _cursor(name: str, start_at=None) -> tuple[EventCursor, bool]:
    """The cursor, locked; a new one starts at `start_at()` (the newest row now), so the
    first sweep after installing announces what happens from then on, not all history."""
    cursor, created = EventCursor.objects.select_for_update().get_or_create(name=name)
    if created and start_at is not None:
        cursor.last_id = start_at() or 0
        cursor.save(update_fields=["last_id"])
    return cursor, created


def _by_owner(rows: list[tuple[int | None, int | None, int]], team_id: int | None) -> list[dict]:
    """[(owner id, team id, count)] → [{owner_id, username, count}] for one team (or all)."""
    counts: Counter = Counter()
    for owner, team, n in rows:
        if team_id is None or team == team_id:
            counts[owner] += n
    names = dict(User.objects.filter(pk__in=[o for o in counts if o]).values_list("pk", "username"))
    return [
        {"owner_id": owner, "username": names.get(owner) if owner else None, "count": n}
        for owner, n in counts.most_common()
    ]


def _per_owner_deliveries(
    event: str, counted: list[tuple[int | None, int | None, int]], extra: dict[str, Any]
) -> list[WebhookDelivery]:
    """One delivery per subscription of `event` whose team has any of the counted tasks:
    the count and the counts per owner (`counted`: (owner id, team id, count) rows)."""
    out = []
    for sub in _subscriptions(event):
        by_owner = _by_owner(counted, sub.team_id)
        if by_owner:
            data = {
                **extra,
                "count": sum(r["count"] for r in by_owner),
                "team_id": sub.team_id,
                "by_owner": by_owner,
            }
            out.append(
                WebhookDelivery(subscription=sub, event=event, payload=_envelope(event, data))
            )
    return out


@transaction.atomic
def events_sweep(*, today: dt.date | None = None) -> dict[str, int]:
    """Tasks created and pool claims since the last sweep, and yesterday's newly overdue
    tasks (once a day): one delivery per event kind and subscription. The cursors move in the
    same transaction as the deliveries are written, so nothing is announced twice."""
    from strategies.models import OPEN_STATUSES, PoolEvent, PoolEventKind, Task

    today = today or timezone.localdate()
    out = {"task.created": 0, "task.overdue": 0, "customer.claimed": 0}
    rows: list[WebhookDelivery] = []

    def newest(model):
        return lambda: model.objects.order_by("-pk").values_list("pk", flat=True).first()

    cursor, _new = _cursor("task.created", newest(Task))
    top = newest(Task)() or 0
    if top > cursor.last_id:
        # Counted in the database per owner and team: a nightly run can create 100,000s.
        created = list(
            Task.objects.filter(pk__gt=cursor.last_id, pk__lte=top)
            .values_list("owner_id", "customer__team_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        cursor.last_id = top
        cursor.save(update_fields=["last_id"])
        rows.extend(_per_owner_deliveries(EventKind.TASK_CREATED, created, {}))

    cursor, _new = _cursor("task.overdue")
    day = today - dt.timedelta(days=1)
    if cursor.last_date is None or cursor.last_date < day:
        # Open tasks that became overdue yesterday (due then, still open today).
        overdue = list(
            Task.objects.filter(status__in=OPEN_STATUSES, due_on=day)
            .values_list("owner_id", "customer__team_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        cursor.last_date = day
        cursor.save(update_fields=["last_date"])
        if overdue:
            rows.extend(
                _per_owner_deliveries(EventKind.TASK_OVERDUE, overdue, {"day": day.isoformat()})
            )

    cursor, _new = _cursor("customer.claimed", newest(PoolEvent))
    claims = list(
        PoolEvent.objects.filter(pk__gt=cursor.last_id, kind=PoolEventKind.CLAIM)
        .values_list("pk", "customer__external_code", "user__username", "team_id", "on")
        .order_by("pk")[:50_000]
    )
    if claims:
        cursor.last_id = claims[-1][0]
        cursor.save(update_fields=["last_id"])
        for sub in _subscriptions(EventKind.CUSTOMER_CLAIMED):
            mine = [c for c in claims if sub.team_id is None or c[3] == sub.team_id]
            if mine:
                data = {
                    "count": len(mine),
                    "team_id": sub.team_id,
                    "claims": [
                        {"code": code, "username": user, "on": on.isoformat()}
                        for _pk, code, user, _team, on in mine[:MAX_LISTED]
                    ],
                }
                rows.append(
                    WebhookDelivery(
                        subscription=sub,
                        event=EventKind.CUSTOMER_CLAIMED,
                        payload=_envelope(EventKind.CUSTOMER_CLAIMED, data),
                    )
                )
    for d in rows:
        out[d.event] += 1
    _send_on_commit(_deliveries(rows))
    return out
