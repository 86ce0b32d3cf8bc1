"""Reads of the task list, next action and overdue touch. Row-level access always starts from
customers.access.customers_visible_to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Max, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from customers.access import customers_visible_to
from customers.models import ContactLog, Customer

from ..models import OPEN_STATUSES, Enrollment, Task, TouchDue
from .contact import touch_clock_starts

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


def _open_with_when(user: User, owner_id: int | None = None) -> QuerySet[Any]:
    """Open tasks annotated with `when` (the snooze date, else the due date), in list
    order. (QuerySet[Any]: the stubs cannot follow the annotation into later filters.)"""
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


def _one_book(user: User, owner_id: int | None) -> bool:
    """Whether a list covers one owner's customers (a rep's own, or a manager looking at one
    rep): a few thousand customers at most, whose rows are read whole and cut here. Asked
    for "the first 50" of so few, PostgreSQL would rather walk the whole company's rows in
    date order looking for them (0.4 s at a million customers). A team or the company is
    the opposite case: its rows are read in date order along an index, and the read stops
    at the first 50."""
    return owner_id is not None or not (user.is_manager or user.sees_all_teams)


def task_buckets(
    *, user: User, today: dt.date, size: int = BUCKET_SIZE, owner_id: int | None = None
) -> TaskBuckets:
    """Open tasks: overdue, due today, upcoming (next UPCOMING_DAYS days); `owner_id` narrows
    them to one owner's customers. At most three queries, whatever the number of tasks."""
    base = _open_with_when(user, owner_id)
    horizon = today + dt.timedelta(days=UPCOMING_DAYS)
    buckets = TaskBuckets()
    if _one_book(user, owner_id):
        # The book's open tasks up to the horizon as narrow keys, in list order; then the
        # ones shown, in full.
        overdue: list[int] = []
        due_today: list[int] = []
        upcoming: list[int] = []
        for pk, when in base.filter(when__lte=horizon).values_list("id", "when"):
            part = overdue if when < today else due_today if when == today else upcoming
            if len(part) <= size:
                part.append(pk)
        shown = base.in_bulk(overdue + due_today + upcoming)

        def first(part: list[int]) -> tuple[list[Task], bool]:
            return [shown[pk] for pk in part[:size] if pk in shown], len(part) > size

        buckets.overdue, buckets.more_overdue = first(overdue)
        buckets.today, buckets.more_today = first(due_today)
        buckets.upcoming, buckets.more_upcoming = first(upcoming)
        return buckets
    buckets.overdue, buckets.more_overdue = _take(base.filter(when__lt=today), size)
    buckets.today, buckets.more_today = _take(base.filter(when=today), size)
    buckets.upcoming, buckets.more_upcoming = _take(
        base.filter(when__gt=today, when__lte=horizon), size
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
    # A switched-off playbook asks for no contact (as on the task list and for the pool).
    intervals = [
        e.playbook.max_interval_days
        for e in enrollments
        if e.playbook.active and e.playbook.max_interval_days
    ]
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
    owner's customers), the longest overdue first, at most `limit`. "Last contact" is the
    one definition of selectors.contact (a logged contact, a claim, else the customer's
    creation; a playbook's start is not a contact).

    Read from TouchDue, each customer's next contact deadline kept by services.touch (a
    logged call or a claim updates it in the same transaction): two queries, whatever the
    number of customers."""
    visible_qs = customers_visible_to(user)
    if owner_id is not None:
        visible_qs = visible_qs.filter(owner_id=owner_id)
    if attrs:
        visible_qs = visible_qs.filter(**attrs)
    late_qs = (
        TouchDue.objects.filter(customer__in=visible_qs.values("pk"), due_on__lt=today)
        .order_by("due_on", "customer_id")
        .values_list("due_on", "customer_id")
    )
    # One owner's book is read whole and cut here (see _one_book).
    late = list(late_qs)[:limit] if _one_book(user, owner_id) else list(late_qs[:limit])
    customers = Customer.objects.select_related("owner").in_bulk([cid for _d, cid in late])
    out = []
    for d, cid in late:
        c = customers.get(cid)
        if c is not None:
            c.touch_due_on = d  # type: ignore[attr-defined]
            out.append(c)
    return out
