"""The public pool (公海): neglected customers go back to their team, reps claim them.

A customer is released when its owner has not contacted it for the longest allowed gap of a
playbook it follows plus that playbook's `release_after_days` — or, for a prospect, when it
was created more than `prospect_release_days` ago and never converted. The owner is warned
first (a notice event and a task) and the release happens only `pool_notice_days` after the
notice; any contact in between cancels it. Releases and claims are recorded as PoolEvents and
in the customer's ownership history (admin → History)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.history import OwnerChange, customer_owner_history_write
from customers.models import ContactLog, Customer
from segmentation.models import CustomerClasses, Run

from ..models import (
    OPEN_STATUSES,
    Enrollment,
    PoolEvent,
    PoolEventKind,
    StrategySettings,
    Task,
    TaskKind,
    TaskStatus,
)
from ..selectors.contact import last_contact_subquery
from .generate import BATCH, _chunks
from .touch import touch_due_refresh

if TYPE_CHECKING:
    from crm.models import User

PROSPECT_CLASSES = ("prospect", "intent")
# Stored (untranslated) in PoolEvent.reason and the notice task's note; Task tells the two
# kinds of notice apart by this prefix.
PROSPECT_REASON = "prospect not converted in {days} days"


@dataclass(frozen=True)
class PoolSweepResult:
    noticed: int
    released: int


def _deadlines(as_of: dt.date, cfg: StrategySettings) -> dict[int, tuple[dt.date, str]]:
    """customer → (release date, reason) for every owned customer a rule applies to."""
    # "Last contact" as selectors.contact defines it; the release clock additionally never
    # starts before the playbook that asks for the contact (nobody loses a customer to a rule
    # that did not apply to it yet), so a release notice always comes after overdue touch.
    last_contact = last_contact_subquery()
    out: dict[int, tuple[dt.date, str]] = {}
    rows = (
        Enrollment.objects.filter(
            ended_on__isnull=True,
            playbook__active=True,
            playbook__release_after_days__isnull=False,
            customer__owner__isnull=False,
        )
        .values("customer_id", "playbook__max_interval_days", "playbook__release_after_days")
        .annotate(started=Min("started_on"), last=last_contact)
    )
    for row in rows.iterator(chunk_size=BATCH):
        base = row["started"]
        if row["last"] is not None:
            base = max(base, timezone.localdate(row["last"]))
        days = row["playbook__max_interval_days"] + row["playbook__release_after_days"]
        when = base + dt.timedelta(days=days)
        cid = row["customer_id"]
        if cid not in out or when < out[cid][0]:
            out[cid] = (when, f"no contact for {days} days")
    run = Run.objects.filter(is_current=True).first()
    if cfg.prospect_release_days and run is not None:
        prospects = CustomerClasses.objects.filter(
            run=run, lifecycle__in=PROSPECT_CLASSES, customer__owner__isnull=False
        ).values_list("customer_id", "customer__created_at")
        for cid, created in prospects.iterator(chunk_size=BATCH):
            when = timezone.localdate(created) + dt.timedelta(days=cfg.prospect_release_days)
            if cid not in out or when < out[cid][0]:
                out[cid] = (when, PROSPECT_REASON.format(days=cfg.prospect_release_days))
    return out


# Long on purpose: the pool rules (warn, release, return) applied in one transaction in their
# order.
@transaction.atomic
def pool_sweep(*, as_of: dt.date) -> PoolSweepResult:
    """Nightly: warns owners of customers about to be released, releases those whose notice
    period has run out. Set-based: a handful of queries per batch of customers."""
    cfg = StrategySettings.load()
    # A warning the owner acted on (a contact logged since) is done with: one UPDATE.
    Task.objects.filter(kind=TaskKind.POOL_NOTICE, status__in=OPEN_STATUSES).filter(
        Exists(
            ContactLog.objects.filter(
                customer_id=OuterRef("customer_id"), occurred_at__gte=OuterRef("created_at")
            )
        )
    ).update(status=TaskStatus.NOT_APPLICABLE, closed_on=as_of)
    if not cfg.pool_enabled:
        return PoolSweepResult(0, 0)
    deadlines = {
        cid: v
        for cid, v in _deadlines(as_of, cfg).items()
        if v[0] <= as_of + dt.timedelta(days=cfg.pool_notice_days)
    }
    noticed = released = 0
    for chunk in _chunks(sorted(deadlines)):
        owners = dict(
            Customer.objects.filter(pk__in=chunk, owner__isnull=False).values_list("pk", "owner_id")
        )
        teams = dict(Customer.objects.filter(pk__in=chunk).values_list("pk", "team_id"))
        # The clock restarts at the latest contact or claim: only a notice given since counts.
        last_claim = dict(
            PoolEvent.objects.filter(customer_id__in=chunk, kind=PoolEventKind.CLAIM)
            .values("customer_id")
            .annotate(m=Max("on"))
            .values_list("customer_id", "m")
        )
        last_log = dict(
            ContactLog.objects.filter(customer_id__in=chunk)
            .values("customer_id")
            .annotate(m=Max("occurred_at"))
            .values_list("customer_id", "m")
        )
        notices: dict[int, dt.date] = defaultdict(lambda: dt.date.min)
        for cid, on in PoolEvent.objects.filter(
            customer_id__in=chunk, kind=PoolEventKind.NOTICE
        ).values_list("customer_id", "on"):
            notices[cid] = max(notices[cid], on)
        new_notices, new_tasks, release_ids, release_events = [], [], [], []
        for cid in chunk:
            owner = owners.get(cid)
            if owner is None:
                continue
            when, reason = deadlines[cid]
            since = max(
                last_claim.get(cid, dt.date.min),
                timezone.localdate(last_log[cid]) if cid in last_log else dt.date.min,
            )
            notice_on = notices.get(cid)
            if notice_on is None or notice_on <= since or notice_on == dt.date.min:
                new_notices.append(
                    PoolEvent(customer_id=cid, kind=PoolEventKind.NOTICE, user_id=owner,
                              team_id=teams.get(cid), on=as_of, reason=reason)
                )  # fmt: skip
                new_tasks.append(
                    Task(owner_id=owner, customer_id=cid, kind=TaskKind.POOL_NOTICE,
                         priority=100, due_on=max(when, as_of), note=reason[:300])
                )  # fmt: skip
            elif when <= as_of and notice_on <= as_of - dt.timedelta(days=cfg.pool_notice_days):
                release_ids.append(cid)
                release_events.append(
                    PoolEvent(customer_id=cid, kind=PoolEventKind.RELEASE, user_id=owner,
                              team_id=teams.get(cid), on=as_of, reason=reason)
                )  # fmt: skip
        PoolEvent.objects.bulk_create(new_notices + release_events, batch_size=BATCH)
        Task.objects.bulk_create(new_tasks, batch_size=BATCH)
        if release_ids:
            Customer.objects.filter(pk__in=release_ids).update(owner=None)
            # A bulk update sends no signal: the ownership history is written here (no user:
            # the nightly sweep did it; the PoolEvent names the owner who lost it).
            customer_owner_history_write(
                customer_ids=release_ids, user_id=None, reason=OwnerChange.POOL_RELEASE
            )
            # Open work follows the customer into the pool and on to whoever claims it.
            Task.objects.filter(customer_id__in=release_ids, status__in=OPEN_STATUSES).update(
                owner=None
            )
        noticed += len(new_notices)
        released += len(release_ids)
    return PoolSweepResult(noticed, released)


def pool_customers_for(user: User):
    """Customers in the pool the user may look at: the own team's (a director or admin: all
    teams'). A rep without a team has no pool."""
    qs = Customer.objects.filter(owner__isnull=True)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.sees_all_teams:
        return qs
    if (user.is_manager or user.is_rep) and user.team_id:
        return qs.filter(team_id=user.team_id)
    return qs.none()


def claims_left(*, user: User, today: dt.date) -> int:
    cfg = StrategySettings.load()
    since = today - dt.timedelta(days=cfg.claim_window_days - 1)
    used = PoolEvent.objects.filter(user=user, kind=PoolEventKind.CLAIM, on__gte=since).count()
    return max(cfg.claim_limit - used, 0)


@transaction.atomic
def pool_claim_candidate(*, actor: User, customer_id: int | str) -> Customer:
    """The pool customer `actor` is about to claim (for the confirm step; nothing changes).
    The same refusals as pool_claim: 403 for a non-rep, 404 outside the actor's pool."""
    if not getattr(actor, "is_rep", False):
        raise PermissionDenied(_("Only sales reps claim customers from the pool."))
    customer = (
        pool_customers_for(actor).filter(pk=customer_id).first()
        if str(customer_id).isdigit()
        else None
    )
    if customer is None:
        raise Http404("No such customer in your pool")
    return customer


def pool_claim(*, actor: User, customer_id: int) -> Customer:
    """A rep takes a customer from the team's pool, within the per-rep claim limit."""
    if not getattr(actor, "is_rep", False):
        raise PermissionDenied(_("Only sales reps claim customers from the pool."))
    today = timezone.localdate()
    customer = (
        pool_customers_for(actor).select_for_update().filter(pk=customer_id).first()
        if str(customer_id).isdigit()
        else None
    )
    if customer is None:
        raise Http404("No such customer in your pool")
    cfg = StrategySettings.load()
    if claims_left(user=actor, today=today) <= 0:
        raise ValidationError(
            _(
                "You have already claimed %(n)s customers in the last %(d)s days, the most "
                "allowed. Work those first."
            )
            % {"n": cfg.claim_limit, "d": cfg.claim_window_days}
        )
    Customer.objects.filter(pk=customer.pk).update(
        owner=actor, team_id=actor.team_id, updated_at=timezone.now()
    )
    customer_owner_history_write(
        customer_ids=[customer.pk], user_id=actor.pk, reason=OwnerChange.POOL_CLAIM
    )
    Task.objects.filter(customer_id=customer.pk, status__in=OPEN_STATUSES).update(owner=actor)
    PoolEvent.objects.create(
        customer=customer, kind=PoolEventKind.CLAIM, user=actor, team_id=actor.team_id, on=today
    )
    # A claim restarts the contact clock: the customer is not overdue for its new owner.
    touch_due_refresh(customer_ids=[customer.pk])
    customer.owner = actor
    return customer
