"""Reads of the task list, next action and overdue touch. Row-level access always starts from
customers.access.customers_visible_to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Exists, Max, Min, OuterRef, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from customers.access import customers_visible_to
from customers.models import ContactLog, Customer

from ..models import OPEN_STATUSES, Enrollment, Playbook, PoolEvent, PoolEventKind, Task
from .contact import last_contact_subquery, touch_clock_starts

if TYPE_CHECKING:
    from crm.models import User

# How far ahead "upcoming" looks, and how many tasks one bucket shows (the page says "more").
UPCOMING_DAYS = 14
BUCKET_SIZE = 50


def tasks_visible_to(user: User) -> QuerySet[Task]:
    """Tasks of the customers the user may see: a rep's own customers, a manager's team.
    Scoped by the customer rather than `Task.owner`, so when a manager reassigns a customer
    its open tasks move with it to the new owner's list (`owner` keeps who was responsible
    when the task was made, for adherence)."""
    return Task.objects.filter(customer_id__in=customers_visible_to(user).values("pk"))


def task_get_for_user(*, user: User, task_id: int | str) -> Task:
    """The task if `user` may see it; 404 alike for missing and not-yours."""
    try:
        pk = int(task_id)
    except (TypeError, ValueError):
        raise Http404("No such task") from None
    task = (
        tasks_visible_to(user)
        .select_related("customer", "step__playbook", "enrollment")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404("No such task")
    return task


def _open_with_when(user: User, owner_id: int | None = None) -> QuerySet[Task]:
    qs = tasks_visible_to(user)
    if owner_id is not None:
        # By the customer's owner, like tasks_visible_to (the tasks follow the customer).
        qs = qs.filter(customer__owner_id=owner_id)
    return (
        qs.filter(status__in=OPEN_STATUSES)
        .annotate(when=Coalesce("snoozed_until", "due_on"))
        .select_related("customer", "owner", "step__playbook")
        .order_by("when", "-priority", "id")
    )


@dataclass
class TaskBuckets:
    overdue: list[Task] = field(default_factory=list)
    today: list[Task] = field(default_factory=list)
    upcoming: list[Task] = field(default_factory=list)
    more_overdue: bool = False
    more_today: bool = False
    more_upcoming: bool = False

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.today or self.upcoming)


def _take(qs: QuerySet[Task], size: int) -> tuple[list[Task], bool]:
    rows = list(qs[: size + 1])
    return rows[:size], len(rows) > size


def task_buckets(
    *, user: User, today: dt.date, size: int = BUCKET_SIZE, owner_id: int | None = None
) -> TaskBuckets:
    """Open tasks: overdue, due today, upcoming (next UPCOMING_DAYS days); `owner_id` narrows
    them to one owner's customers. Three queries, whatever the number of tasks."""
    base = _open_with_when(user, owner_id)
    buckets = TaskBuckets()
    buckets.overdue, buckets.more_overdue = _take(base.filter(when__lt=today), size)
    buckets.today, buckets.more_today = _take(base.filter(when=today), size)
    buckets.upcoming, buckets.more_upcoming = _take(
        base.filter(when__gt=today, when__lte=today + dt.timedelta(days=UPCOMING_DAYS)), size
    )
    return buckets


@dataclass
class NextAction:
    task: Task | None
    enrollments: list[Enrollment]
    last_contact: dt.datetime | None
    max_interval_days: int | None
    touch_due_on: dt.date | None
    overdue_touch: bool


def customer_next_action(*, user: User, customer: Customer, today: dt.date) -> NextAction:
    """The first open task of a customer (by date, then playbook priority), the playbooks it
    follows and why, and whether the longest allowed gap between contacts is exceeded."""
    task = _open_with_when(user).filter(customer_id=customer.pk).first()
    enrollments = list(
        Enrollment.objects.filter(customer_id=customer.pk, ended_on__isnull=True)
        .select_related("playbook")
        .order_by("-playbook__priority", "started_on")
    )
    last = ContactLog.objects.filter(customer_id=customer.pk).aggregate(m=Max("occurred_at"))["m"]
    intervals = [e.playbook.max_interval_days for e in enrollments if e.playbook.max_interval_days]
    gap = min(intervals) if intervals else None
    touch_due = None
    if gap is not None:
        clock = touch_clock_starts([customer.pk]).get(customer.pk, today)
        touch_due = clock + dt.timedelta(days=gap)
    overdue = touch_due is not None and touch_due < today
    return NextAction(task, enrollments, last, gap, touch_due, overdue)


def overdue_touch_for(
    *,
    user: User,
    today: dt.date,
    limit: int = 50,
    owner_id: int | None = None,
    attrs: dict[str, str] | None = None,
) -> list[Customer]:
    """Visible customers past the longest allowed gap between contacts of a playbook they
    follow (for a rep their own, for a manager the team's; `owner_id` narrows that to one
    owner's customers), the longest overdue first. "Last contact" is the one definition of
    selectors.contact (a logged contact, a claim, else the customer's creation; a playbook's
    start is not a contact).

    One query per distinct gap length among active playbooks (a handful): with the gap fixed
    the cutoff is a constant, so "no contact since the cutoff" is a NOT EXISTS on the
    (customer, when) index and no date arithmetic runs in the database."""
    visible_qs = customers_visible_to(user)
    if owner_id is not None:
        visible_qs = visible_qs.filter(owner_id=owner_id)
    if attrs:
        visible_qs = visible_qs.filter(**attrs)
    visible = visible_qs.values("pk")
    gaps = (
        Playbook.objects.filter(active=True, max_interval_days__isnull=False)
        .values_list("max_interval_days", flat=True)
        .distinct()
    )
    candidates: dict[int, int] = {}  # customer → smallest gap it must keep
    for gap in sorted(set(gaps)):
        cutoff = today - dt.timedelta(days=gap)
        since = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
        rows = (
            Enrollment.objects.filter(
                customer_id__in=visible,
                ended_on__isnull=True,
                playbook__active=True,
                playbook__max_interval_days=gap,
                customer__created_at__lt=since,
            )
            .exclude(Exists(ContactLog.objects.filter(
                customer_id=OuterRef("customer_id"), occurred_at__gte=since
            )))
            .exclude(Exists(PoolEvent.objects.filter(
                customer_id=OuterRef("customer_id"), kind=PoolEventKind.CLAIM, on__gte=cutoff
            )))
            .values("customer_id")
            .annotate(clock=Coalesce(last_contact_subquery(), Min("customer__created_at")))
            .order_by("clock", "customer_id")[:limit]
        )  # fmt: skip
        for row in rows:
            cid = row["customer_id"]
            candidates[cid] = min(candidates.get(cid, gap), gap)
    clocks = touch_clock_starts(candidates)
    due: dict[int, dt.date] = {}
    for cid, gap in candidates.items():
        when = clocks[cid] + dt.timedelta(days=gap)
        if when < today:
            due[cid] = when
    late = sorted((d, cid) for cid, d in due.items())[:limit]
    customers = Customer.objects.select_related("owner").in_bulk([cid for _d, cid in late])
    out = []
    for d, cid in late:
        c = customers.get(cid)
        if c is not None:
            c.touch_due_on = d  # type: ignore[attr-defined]
            out.append(c)
    return out
