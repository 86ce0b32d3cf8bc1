"""A rep's book of business on one screen (what a manager opens in a one-on-one): the rep's
customers by class in every listed dimension, who moved better or worse since last month, the
open and overdue playbook tasks and the customers past their longest allowed contact gap.

A constant number of queries whatever the size of the book; each reads only the rep's own
customers through indexed lookups (owner → customers → the current run's rows / changes /
tasks), never a scan of the whole customer base."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from customers.models import Customer
from customers.selectors import users_assignable_by
from segmentation.dimensions import class_label
from segmentation.models import (
    CLASS_CHOICES,
    ClassChange,
    CustomerClasses,
    Dimension,
    Run,
    class_move,
    class_rank,
)

from ..models import OPEN_STATUSES, Task, TaskKind, TouchDue

if TYPE_CHECKING:
    from crm.models import User

# The dimensions of the book, each a filter of the customer list (its drill-down). The RFM
# scores are left out: the RFM segment sums them up for a one-on-one.
BOOK_DIMENSIONS = (
    "lifecycle",
    "value_tier",
    "loyalty",
    "potential",
    "value_potential",
    "frequency",
    "rfm_segment",
    "churn_warning",
    "payment_risk",
    "problem_customer",
)
# "Since last month": changes of the runs in the last 30 days.
MOVEMENT_DAYS = 30
# Customers past their contact gap listed by name (all of them are counted).
TOUCH_LIST = 10


def _best_first(dimension: str, codes: list[str]) -> list[str]:
    """Best class first, unranked ("unclassified") last."""

    def rank(code: str) -> int:
        found = class_rank(dimension, code)
        return found if found is not None else -1

    return sorted(codes, key=lambda code: -rank(code))


@dataclass
class _Tally:
    customers: int = 0
    revenue: float = 0.0


@dataclass
class ClassCount:
    code: str
    label: str
    customers: int = 0
    revenue: float = 0.0


@dataclass
class DimensionBook:
    dimension: str
    label: str
    classes: list[ClassCount] = field(default_factory=list)

    @property
    def customers(self) -> int:
        return sum(c.customers for c in self.classes)


@dataclass
class Movement:
    dimension: str
    dimension_label: str
    from_code: str
    to_code: str
    from_label: str
    to_label: str
    customers: int
    direction: int  # +1 better, −1 worse, 0 neither (segmentation.models.CLASS_ORDER)


@dataclass
class TaskFigures:
    open: int = 0
    overdue: int = 0
    due_today: int = 0


@dataclass
class RepBook:
    rep: User
    run: Run | None
    since: dt.date
    customers: int
    revenue_window: float
    dimensions: list[DimensionBook]
    movements: list[Movement]
    tasks: TaskFigures
    overdue_touch: list[Customer]
    overdue_touch_count: int
    improved: int = 0
    slipped: int = 0


def reps_for_book(*, user: User) -> QuerySet:
    """Whose book `user` may open: a rep their own, a manager the team's reps and managers,
    a director or admin every sales user (the owners `user` may assign customers to)."""
    return users_assignable_by(user=user)


# Customer attributes the book can be narrowed to (the dashboards' filter bar).
ATTRIBUTES = ("industry", "region", "size", "kind")


# Long on purpose: one rep's book: classes, movements and task figures from a fixed set of grouped
# reads.
def rep_book_get(
    *, user: User, rep_id: int | str, today: dt.date, attrs: dict[str, str] | None = None
) -> RepBook:
    """The book of `rep_id` as `user` may see it, optionally narrowed to customers with the
    given attributes (industry, region, size, kind); 404 alike for a missing user and one
    outside the user's scope (another team's rep, or another rep for a rep)."""
    attrs = {k: v for k, v in (attrs or {}).items() if v}
    if set(attrs) - set(ATTRIBUTES):
        raise ValueError(f"unknown attributes {sorted(set(attrs) - set(ATTRIBUTES))}")
    try:
        pk = int(rep_id)
    except (TypeError, ValueError):
        raise Http404("No such rep") from None
    rep = reps_for_book(user=user).filter(pk=pk).first()
    if rep is None:
        raise Http404("No such rep")
    # The book's ids first (a few thousand at most): every later query then looks them up
    # by index, whatever the planner's statistics say about the big tables (right after a
    # bulk load they can be far off, and a hash join over the whole run costs seconds).
    own = list(
        Customer.objects.filter(owner_id=rep.pk, **attrs).order_by().values_list("pk", flat=True)
    )
    run = Run.objects.filter(is_current=True).first()
    since = today - dt.timedelta(days=MOVEMENT_DAYS)

    # Classes: one GROUP BY over the rep's rows of the current run, by every listed dimension
    # at once (at most one row per customer), tallied per dimension here.
    tallies: dict[str, dict[str, _Tally]] = {d: defaultdict(_Tally) for d in BOOK_DIMENSIONS}
    customers, revenue = 0, 0.0
    if run is not None:
        combos = (
            CustomerClasses.objects.filter(run=run, customer_id__in=own)
            .values(*BOOK_DIMENSIONS)
            .annotate(n=Count("id"), revenue=Sum("revenue_window"))
            .order_by()
        )
        for combo in combos:
            n, rev = combo["n"], float(combo["revenue"] or 0)
            customers += n
            revenue += rev
            for dim in BOOK_DIMENSIONS:
                cell = tallies[dim][combo[dim]]
                cell.customers += n
                cell.revenue += rev
    dimensions = []
    for dim in BOOK_DIMENSIONS:
        codes = _best_first(dim, [c for c in CLASS_CHOICES[dim].values if c in tallies[dim]])
        dimensions.append(
            DimensionBook(
                dimension=dim,
                label=str(Dimension(dim).label),
                classes=[
                    ClassCount(
                        code=c,
                        label=class_label(dim, c),
                        customers=tallies[dim][c].customers,
                        revenue=round(tallies[dim][c].revenue, 2),
                    )
                    for c in codes
                ],
            )
        )

    movements = []
    for row in (
        ClassChange.objects.filter(
            customer_id__in=own, as_of__gt=since, dimension__in=BOOK_DIMENSIONS
        )
        .values("dimension", "from_code", "to_code")
        .annotate(n=Count("customer_id", distinct=True))
        .order_by()
    ):
        dim = row["dimension"]
        movements.append(
            Movement(
                dimension=dim,
                dimension_label=str(Dimension(dim).label),
                from_code=row["from_code"],
                to_code=row["to_code"],
                from_label=class_label(dim, row["from_code"]) or "—",
                to_label=class_label(dim, row["to_code"]),
                customers=row["n"],
                direction=class_move(dim, row["from_code"], row["to_code"]),
            )
        )
    order = {d: i for i, d in enumerate(BOOK_DIMENSIONS)}
    movements.sort(key=lambda m: (order[m.dimension], -m.customers))

    tasks = Task.objects.filter(customer_id__in=own, status__in=OPEN_STATUSES).exclude(
        kind=TaskKind.POOL_NOTICE
    )
    figures = tasks.aggregate(
        open=Count("id"),
        overdue=Count("id", filter=Q(due_on__lt=today, snoozed_until__isnull=True))
        + Count("id", filter=Q(snoozed_until__lt=today)),
        due_today=Count("id", filter=Q(due_on=today, snoozed_until__isnull=True))
        + Count("id", filter=Q(snoozed_until=today)),
    )
    touch = _overdue_touch(own, today)
    return RepBook(
        rep=rep,
        run=run,
        since=since,
        customers=customers,
        revenue_window=round(revenue, 2),
        dimensions=dimensions,
        movements=movements,
        tasks=TaskFigures(**figures),
        overdue_touch=_named(touch[:TOUCH_LIST]),
        overdue_touch_count=len(touch),
        improved=sum(m.customers for m in movements if m.direction > 0),
        slipped=sum(m.customers for m in movements if m.direction < 0),
    )


def _overdue_touch(own: list[int], today: dt.date) -> list[tuple[dt.date, int]]:
    """(touch due date, customer) of the book's customers past the longest contact gap of a
    playbook they follow, the longest overdue first — the rule of
    strategies.selectors.tasks.overdue_touch_for, read from the same next contact deadlines
    (TouchDue), counted in full."""
    return list(
        TouchDue.objects.filter(customer_id__in=own, due_on__lt=today)
        .order_by("due_on", "customer_id")
        .values_list("due_on", "customer_id")
    )


def _named(late: list[tuple[dt.date, int]]) -> list[Customer]:
    customers = Customer.objects.in_bulk([cid for _d, cid in late])
    out = []
    for when, cid in late:
        if cid in customers:
            customers[cid].touch_due_on = when  # type: ignore[attr-defined]
            out.append(customers[cid])
    return out


__all__ = ["ATTRIBUTES", "RepBook", "rep_book_get", "reps_for_book"]
