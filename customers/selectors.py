"""Reads for the rep's workspace. Every read starts from customers.access."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    CharField,
    Count,
    DateField,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, TruncDate

from crm.models import Team, User
from crm.pagination import COUNT_CAP

from .access import customers_visible_to
from .filters import CustomerFilter, search_branches, uses_character_index
from .models import (
    ContactLog,
    Customer,
    SatisfactionSurvey,
    ServiceCase,
    Transaction,
    TransactionStatus,
)
from .paging import KeysetPage, SortOption, capped_count, keyset_page

SORT_OPTIONS = {
    o.key: o
    for o in (
        SortOption("name", "name"),
        SortOption("-name", "name", descending=True),
        SortOption("code", "external_code"),
        SortOption("-code", "external_code", descending=True),
        SortOption("-updated", "updated_at", descending=True),
        SortOption("updated", "updated_at"),
        SortOption("-created", "created_at", descending=True),
        SortOption("created", "created_at"),
    )
}
DEFAULT_SORT = "name"
PER_PAGE = 50
# A search counts its matches up to 1,000 ("more than 1,000"), not the list's 10,000: a term
# is looked up in an index and every match counted costs a visit to its table row (LIKE
# checks the name), so 10,000 cost ~8,000 random page reads — 100-250 ms for a manager's
# "科技" on a million customers, ~15 ms at 1,000. Beyond a thousand a search has not found
# what someone looks for; the figure only says "refine the search".
SEARCH_COUNT_CAP = 1_000
# Orders that count as revenue: refunded and cancelled ones stay on record but earned nothing.
REVENUE_STATUSES = (TransactionStatus.PAID, TransactionStatus.OPEN)


def users_assignable_by(*, user: User) -> QuerySet[User]:
    """Who `user` may pick as a customer's owner: a manager their team, a director or admin
    every active sales user, a rep nobody but themselves."""
    qs = User.objects.filter(is_active=True).select_related("team").order_by("username")
    if user.sees_all_teams:
        return qs.filter(role__in=["rep", "manager"])
    if user.is_manager and user.team_id:
        return qs.filter(team_id=user.team_id, role__in=["rep", "manager"])
    return qs.filter(pk=user.pk)


def teams_visible_to(*, user: User) -> QuerySet[Team]:
    if user.sees_all_teams:
        return Team.objects.all()
    return Team.objects.filter(pk=user.team_id) if user.team_id else Team.objects.none()


def customer_list(
    *, user: User, params, per_page: int = PER_PAGE
) -> tuple[CustomerFilter, KeysetPage]:
    """The filtered, sorted page of customers `user` may see, plus the bound filterset."""
    base = customers_visible_to(user).select_related("owner", "team")
    filterset = CustomerFilter(params, queryset=base, user=user)
    qs, term = filterset.split_search() if filterset.is_valid() else (base.none(), "")
    search = search_branches(term)
    names_found = 0
    if len(term) == 2 and uses_character_index(term):
        # PostgreSQL cannot tell how common a two-character term is: it multiplies the
        # characters' frequencies (科 and 技 are rare alone, 科技 is in 8% of the names),
        # expects a few dozen matches and sorts them all — 18,000 for a manager's 科技, 45
        # ms. Counting the name matches first (up to the cap, from the index) tells: a common
        # term walks the name order instead (a page in ~5 ms; at worst the scope's index,
        # when the matches sort late) and needs no other count. (One character is estimated
        # right.)
        names_found = capped_count(qs, any_of=search[:1], cap=SEARCH_COUNT_CAP)
        if names_found > SEARCH_COUNT_CAP:
            search = search_branches(term, common=True)
    sort = SORT_OPTIONS.get(params.get("sort") or DEFAULT_SORT, SORT_OPTIONS[DEFAULT_SORT])
    page = keyset_page(
        qs,
        sort=sort,
        after=params.get("after"),
        before=params.get("before"),
        per_page=per_page,
        any_of=search or None,
        count_cap=SEARCH_COUNT_CAP if search else COUNT_CAP,
        counted_at_least=names_found,
    )
    return filterset, page


def customer_filtered_queryset(*, user: User, params) -> QuerySet[Customer]:
    """Every customer matching the list's filters (for exports), in a stable order."""
    base = customers_visible_to(user)
    filterset = CustomerFilter(params, queryset=base, user=user)
    qs = filterset.qs if filterset.is_valid() else base.none()
    return qs.order_by("pk")


@dataclass(frozen=True)
class KeyFigures:
    revenue_this_year: Decimal
    revenue_last_year: Decimal
    revenue_total: Decimal
    orders: int
    last_purchase: dt.date | None


def key_figures_aggregates(today: dt.date) -> dict[str, Any]:
    """The aggregate expressions shared by the customer page and exports."""
    this_year = dt.date(today.year, 1, 1)
    last_year = dt.date(today.year - 1, 1, 1)
    counted = Q(status__in=REVENUE_STATUSES)
    return {
        "revenue_this_year": Sum("amount", filter=counted & Q(date__gte=this_year)),
        "revenue_last_year": Sum(
            "amount", filter=counted & Q(date__gte=last_year, date__lt=this_year)
        ),
        "revenue_total": Sum("amount", filter=counted),
        "orders": Count("pk", filter=counted),
        "last_purchase": Max("date", filter=counted),
    }


def customer_key_figures(*, customer: Customer, today: dt.date) -> KeyFigures:
    row = Transaction.objects.filter(customer=customer).aggregate(**key_figures_aggregates(today))
    return KeyFigures(
        revenue_this_year=row["revenue_this_year"] or Decimal(0),
        revenue_last_year=row["revenue_last_year"] or Decimal(0),
        revenue_total=row["revenue_total"] or Decimal(0),
        orders=row["orders"] or 0,
        last_purchase=row["last_purchase"],
    )


def key_figures_for_ids(*, ids: list[int], today: dt.date) -> dict[int, dict[str, Any]]:
    """Key figures of many customers in one grouped query (exports)."""
    rows = (
        Transaction.objects.filter(customer_id__in=ids)
        .values("customer_id")
        .annotate(**key_figures_aggregates(today))
        .order_by()
    )
    return {r["customer_id"]: r for r in rows}


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # transaction | log | case | survey
    when: dt.date
    obj: Any


TIMELINE_PER_PAGE = 20


def customer_timeline(
    *, customer: Customer, page: int = 1, per_page: int = TIMELINE_PER_PAGE
) -> tuple[list[TimelineEntry], bool]:
    """Transactions, contact logs, service cases and surveys, newest first.

    One UNION query picks the page's (kind, id) pairs; one query per kind loads them — five
    queries whatever the page size. OFFSET is fine here: it is bounded by one customer's
    history, not by the table."""
    page = max(1, page)

    def part(qs, kind: str, when):
        return (
            qs.filter(customer=customer)
            .annotate(k=Value(kind, output_field=CharField()), w=when)
            .values_list("k", "pk", "w")
            .order_by()
        )

    union = part(Transaction.objects, "transaction", Cast("date", DateField())).union(
        part(ContactLog.objects, "log", TruncDate("occurred_at")),
        part(ServiceCase.objects, "case", Cast("opened_on", DateField())),
        part(SatisfactionSurvey.objects, "survey", Cast("surveyed_on", DateField())),
        all=True,
    )
    start = (page - 1) * per_page
    keys = list(union.order_by("-w", "-pk")[start : start + per_page + 1])
    has_more = len(keys) > per_page
    keys = keys[:per_page]
    wanted: dict[str, list[int]] = {}
    for kind, pk, _when in keys:
        wanted.setdefault(kind, []).append(pk)
    loaders = {
        "transaction": Transaction.objects.select_related("category", "product"),
        "log": ContactLog.objects.select_related("rep", "contact"),
        "case": ServiceCase.objects.all(),
        "survey": SatisfactionSurvey.objects.all(),
    }
    loaded = {kind: loaders[kind].in_bulk(pks) for kind, pks in wanted.items()}
    entries = [
        TimelineEntry(kind=kind, when=when, obj=loaded[kind][pk])
        for kind, pk, when in keys
        if pk in loaded.get(kind, {})
    ]
    return entries, has_more


def customer_duplicates(
    *,
    user: User,
    name: str = "",
    phone: str = "",
    tax_number: str = "",
    exclude_id: int | None = None,
) -> tuple[list[Customer], int]:
    """Customers sharing the name, phone or tax number: the ones `user` may open, and how
    many more exist that belong to someone else (counted, never shown)."""
    cond = Q()
    if name.strip():
        cond |= Q(name=name.strip())  # exact: served by the (name, id) index
    if phone.strip():
        cond |= Q(phone=phone.strip())
    if tax_number.strip():
        cond |= Q(tax_number=tax_number.strip())
    if not cond:
        return [], 0
    matches = Customer.objects.filter(cond)
    if exclude_id:
        matches = matches.exclude(pk=exclude_id)
    visible_qs = customers_visible_to(user).filter(pk__in=matches.values("pk"))
    visible = list(visible_qs.select_related("owner").order_by("name", "pk")[:10])
    hidden = matches.count() - visible_qs.count()
    return visible, max(hidden, 0)


@dataclass
class MyDay:
    overdue: list[ContactLog]
    due_today: list[ContactLog]
    recent: list[Customer]


MY_DAY_LIMIT = 50


def my_day(*, user: User, today: dt.date) -> MyDay:
    """Follow-ups the user promised (the customer's latest log sets the next date, so logging
    a new contact closes the old follow-up) and the customers they touched lately."""
    newer = ContactLog.objects.filter(
        customer_id=OuterRef("customer_id"), occurred_at__gt=OuterRef("occurred_at")
    )
    due = list(
        ContactLog.objects.filter(
            rep=user,
            next_follow_up__lte=today,
            customer__in=customers_visible_to(user).values("pk"),
        )
        .filter(~Exists(newer))
        .select_related("customer")
        .order_by("next_follow_up", "pk")[: MY_DAY_LIMIT * 2]
    )
    recent_logs = (
        ContactLog.objects.filter(rep=user)
        .select_related("customer")
        .order_by("-occurred_at", "-pk")[:MY_DAY_LIMIT]
    )
    seen: set[int] = set()
    recent: list[Customer] = []
    for log in recent_logs:
        if log.customer_id not in seen and len(recent) < 10:
            seen.add(log.customer_id)
            customer = log.customer
            customer.last_touched = log.occurred_at  # type: ignore[attr-defined]
            recent.append(customer)
    return MyDay(
        # `due` only holds logs with a follow-up date (filtered above).
        overdue=[log for log in due if log.next_follow_up and log.next_follow_up < today][
            :MY_DAY_LIMIT
        ],
        due_today=[log for log in due if log.next_follow_up == today][:MY_DAY_LIMIT],
        recent=recent,
    )
