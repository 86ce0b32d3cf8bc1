"""Metrics per customer as of a date, built set-based.

For one customer id range, a handful of GROUP BY queries (transactions, service cases, contact
logs, surveys, referrals, the customers themselves) return one row per customer each; pandas
joins them and derives the ratios. Never one query per customer: the number of queries per
range is constant, and ranges stream through memory one at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Count, F, FloatField, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from customers.models import (
    ContactLog,
    Customer,
    Referral,
    SatisfactionSurvey,
    ServiceCase,
    Transaction,
)
from customers.models.choices import (
    ContactOutcome,
    Direction,
    ServiceCaseKind,
    TransactionStatus,
)

from .rules import Rules

# 50,000 customers ≈ 1M transactions per GROUP BY at 20 per customer: big enough that the
# per-query overhead vanishes, small enough that a chunk's frames stay near 50 MB.
DEFAULT_PARTITION_SIZE = 50_000
ACTIVE_MONTHS = 12  # "active months in the last 12" (calendar months, as_of's included)
PEAK_YEARS = 10  # value at its best: the best of the last ten calendar years (as_of's included)

_COUNTED = ~Q(status__in=[TransactionStatus.REFUNDED, TransactionStatus.CANCELLED])
_SIZE_SCORE = {"large": 1.0, "medium": 0.5, "small": 0.2}
_OUTLOOK_SCORE = {"growing": 1.0, "stable": 0.5, "declining": 0.0}


@dataclass(frozen=True)
class Partition:
    index: int
    lo: int  # inclusive
    hi: int  # exclusive


def partitions_plan(*, size: int = DEFAULT_PARTITION_SIZE) -> list[Partition]:
    """Customer id ranges covering every customer, in primary-key order."""
    bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return []
    out: list[Partition] = []
    lo = bounds["lo"]
    while lo <= bounds["hi"]:
        out.append(Partition(index=len(out), lo=lo, hi=lo + size))
        lo += size
    return out


def duplicates_map() -> dict[str, int]:
    """tax number → the oldest customer id, for tax numbers shared by several customers.
    The younger records are suspected duplicates of the oldest one."""
    rows = (
        Customer.objects.exclude(tax_number="")
        .values("tax_number")
        .annotate(n=Count("id"), first=Min("id"))
        .filter(n__gt=1)
        .values_list("tax_number", "first")
    )
    return dict(rows)


def _fsum(expr, condition: Q):
    return Cast(Sum(expr, filter=condition), FloatField())


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    """A frame from a values_list queryset, fetched with a plain cursor: the ORM's per-value
    converters cost more than the query on a million rows, and pandas converts in bulk."""
    if isinstance(rows, QuerySet):
        sql, params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    df = pd.DataFrame.from_records(list(rows), columns=columns)
    return df.set_index("customer_id")


def _month_starts(as_of: dt.date) -> list[dt.date]:
    """First days of the 12 calendar months up to as_of's, newest first."""
    out, year, month = [], as_of.year, as_of.month
    for _ in range(ACTIVE_MONTHS):
        out.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def _days_between(as_of: dt.date, dates: pd.Series) -> pd.Series:
    """Whole days from each date to as_of (NaN where the date is missing)."""
    values = pd.to_datetime(dates, errors="coerce")
    return (pd.Timestamp(as_of) - values).dt.days.astype("float64")


# Long on purpose: builds the metrics' set-based SQL for one id range: one aggregate per record
# kind, joined once.
def metrics_for_range(
    *, lo: int, hi: int, as_of: dt.date, rules: Rules, duplicates: dict[str, int] | None = None
) -> pd.DataFrame:
    """One row per customer with id in [lo, hi): raw inputs and derived metrics."""
    window_start = as_of - dt.timedelta(days=rules.window_days)
    prev_start = window_start - dt.timedelta(days=rules.window_days)
    in_range = Q(customer_id__gte=lo, customer_id__lt=hi)

    customers = _frame(
        Customer.objects.filter(id__gte=lo, id__lt=hi)
        .annotate(
            budget=Cast("annual_budget", FloatField()),
            growth=Cast("growth_rate", FloatField()),
            acq=Cast("acquisition_cost", FloatField()),
        )
        .values_list(
            "id",
            "created_at",
            "interest_since",
            "size",
            "budget",
            "industry_outlook",
            "growth",
            "acq",
            "tax_number",
        )
        .order_by(),
        [
            "customer_id",
            "created_at",
            "interest_since",
            "size",
            "annual_budget",
            "industry_outlook",
            "growth_rate",
            "acquisition_cost",
            "tax_number",
        ],
    )
    if customers.empty:
        return customers

    # Refunded and cancelled orders count nowhere, so they are filtered once in WHERE and the
    # FILTER clauses below only carry the window conditions (fewer evaluations per row).
    in_window = Q(date__gt=window_start)
    in_prev = Q(date__gt=prev_start, date__lte=window_start)
    with_cost = Q(cost__isnull=False)
    due = Q(due_date__isnull=False, due_date__lte=as_of)
    overdue = Q(status=TransactionStatus.OPEN, paid_date__isnull=True, due_date__lt=as_of)
    paid_on_time = Q(paid_date__isnull=False, paid_date__lte=F("due_date"))
    # One plain COUNT per calendar month instead of COUNT(DISTINCT month): distinct aggregates
    # sort inside every group and cost PostgreSQL several times the scan itself.
    starts = _month_starts(as_of)
    ends = [as_of + dt.timedelta(days=1), *starts[:-1]]
    month_counts = {
        f"m{k}": Count("id", filter=Q(date__gte=start, date__lt=end))
        for k, (start, end) in enumerate(zip(starts, ends, strict=True))
    }
    month_cols = list(month_counts)
    # Value at its best (docs/classification.md): the best calendar year of the last
    # PEAK_YEARS, in the rule set's basis, as FILTERed sums of this same pass; a second
    # GROUP BY (customer, year) over every order cost ~20 s at 1M customers.
    year_value = (F("amount") - F("cost"), with_cost) if rules.value_basis == "profit" else None
    year_sums = {
        f"y{k}": _fsum(
            year_value[0] if year_value else "amount",
            Q(date__gte=dt.date(as_of.year - k, 1, 1), date__lt=dt.date(as_of.year - k + 1, 1, 1))
            & (year_value[1] if year_value else Q()),
        )
        for k in range(PEAK_YEARS)
    }
    year_cols = list(year_sums)
    txn_columns = [
        "customer_id",
        "orders_total",
        "orders_window",
        "orders_prev_window",
        "first_date",
        "last_date",
        "revenue_total",
        "revenue_window",
        "revenue_prev_window",
        "costed_revenue",
        "profit_total",
        "profit_window",
        "categories",
        "purchase_days",
        *month_cols,
        *year_cols,
        "due_orders",
        "on_time",
        "overdue_amount",
        "oldest_due",
    ]
    txn = _frame(
        Transaction.objects.filter(in_range, _COUNTED, date__lte=as_of)
        .values("customer_id")
        .annotate(
            orders_total=Count("id"),
            orders_window=Count("id", filter=in_window),
            orders_prev_window=Count("id", filter=in_prev),
            first_date=Min("date"),
            last_date=Max("date"),
            revenue_total=Cast(Sum("amount"), FloatField()),
            revenue_window=_fsum("amount", in_window),
            revenue_prev_window=_fsum("amount", in_prev),
            costed_revenue=_fsum("amount", with_cost),
            profit_total=_fsum(F("amount") - F("cost"), with_cost),
            profit_window=_fsum(F("amount") - F("cost"), in_window & with_cost),
            # Distinct categories sort within each small group: cheap, unlike distinct months.
            categories=Count("category", distinct=True),
            # Purchase occasions for the prediction model (several orders a day are one).
            purchase_days=Count("date", distinct=True),
            **month_counts,
            **year_sums,
            due_orders=Count("id", filter=due),
            on_time=Count("id", filter=due & paid_on_time),
            overdue_amount=_fsum("amount", overdue),
            oldest_due=Min("due_date", filter=overdue),
        )
        .order_by()
        .values_list(*txn_columns),
        txn_columns,
    )

    txn["active_months"] = (txn[month_cols] > 0).sum(axis=1)
    txn["peak_year_value"] = txn[year_cols].apply(pd.to_numeric, errors="coerce").max(axis=1)
    txn = txn.drop(columns=[*month_cols, *year_cols])

    cases = _frame(
        ServiceCase.objects.filter(in_range, opened_on__lte=as_of)
        .values("customer_id")
        .annotate(
            complaints=Count(
                "id", filter=Q(kind=ServiceCaseKind.COMPLAINT, opened_on__gt=window_start)
            ),
            returns=Count("id", filter=Q(kind=ServiceCaseKind.RETURN, opened_on__gt=window_start)),
            repairs=Count("id", filter=Q(kind=ServiceCaseKind.REPAIR, opened_on__gt=window_start)),
            service_cost=Cast(Sum("service_cost"), FloatField()),
        )
        .order_by()
        .values_list("customer_id", "complaints", "returns", "repairs", "service_cost"),
        ["customer_id", "complaints", "returns", "repairs", "service_cost"],
    )

    day_end = _day_end(as_of)
    contacts = _frame(
        ContactLog.objects.filter(
            in_range,
            occurred_at__lt=day_end,
            occurred_at__gte=day_end - dt.timedelta(days=rules.contact_window_days),
        )
        .values("customer_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("customer_id", "n"),
        ["customer_id", "contacts_window"],
    )

    # Interest shown in contacts (docs/classification.md, "intent comes from contact"): the
    # latest logged contact with outcome interested or follow-up agreed, and the latest
    # inbound enquiry (any outcome but not interested or a complaint), within the intent
    # window. One GROUP BY with three filtered MAX; the newest wins in derive_metrics.
    intent_start = day_end - dt.timedelta(days=rules.intent_window_days + 1)
    recent = Q(occurred_at__lt=day_end, occurred_at__gte=intent_start)
    interest = _frame(
        ContactLog.objects.filter(in_range, recent)
        .filter(
            Q(outcome__in=[ContactOutcome.INTERESTED, ContactOutcome.FOLLOW_UP])
            | Q(direction=Direction.INBOUND)
        )
        .values("customer_id")
        .annotate(
            interested_at=Max("occurred_at", filter=Q(outcome=ContactOutcome.INTERESTED)),
            follow_up_at=Max("occurred_at", filter=Q(outcome=ContactOutcome.FOLLOW_UP)),
            inbound_at=Max(
                "occurred_at",
                filter=Q(direction=Direction.INBOUND)
                & ~Q(outcome__in=[ContactOutcome.NOT_INTERESTED, ContactOutcome.COMPLAINT]),
            ),
        )
        .order_by()
        .values_list("customer_id", "interested_at", "follow_up_at", "inbound_at"),
        ["customer_id", "interested_at", "follow_up_at", "inbound_at"],
    )

    surveys = pd.DataFrame.from_records(
        list(
            SatisfactionSurvey.objects.filter(in_range, surveyed_on__lte=as_of)
            .order_by("customer_id", "surveyed_on", "id")
            .values_list("customer_id", "score")
        ),
        columns=["customer_id", "satisfaction"],
    )
    surveys = surveys.drop_duplicates("customer_id", keep="last").set_index("customer_id")

    referrals = _frame(
        Referral.objects.filter(referrer_id__gte=lo, referrer_id__lt=hi, referred_on__lte=as_of)
        .values("referrer_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("referrer_id", "n"),
        ["customer_id", "referrals"],
    )

    df = customers.join([txn, cases, contacts, interest, surveys, referrals], how="left")
    return derive_metrics(
        df, as_of=as_of, duplicates=duplicates or {}, value_basis=rules.value_basis
    )


def _day_end(as_of: dt.date) -> dt.datetime:
    """The first instant after `as_of` in the installation's time zone."""
    return timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()))


def _local_date_days(as_of: dt.date, moments: pd.Series) -> pd.Series:
    """Whole days from each moment's local date to as_of (NaN where missing)."""
    values = pd.to_datetime(moments, utc=True, errors="coerce")
    local = values.dt.tz_convert(timezone.get_current_timezone()).dt.tz_localize(None)
    return (pd.Timestamp(as_of) - local.dt.normalize()).dt.days.astype("float64")


INTEREST_SOURCES = ("interested", "follow_up", "inbound")
_CONTACT_AND_PEAK_INPUTS = ("interested_at", "follow_up_at", "inbound_at", "peak_year_value")


def _interest(df: pd.DataFrame, as_of: dt.date) -> None:
    """interest_days = days since the freshest sign of interest: the hand-typed
    interest_since or the latest interested / follow-up / inbound contact; interest_source
    names which ("form" for interest_since; NaN without interest)."""
    days = {"form": _days_between(as_of, df["interest_since"])}
    for source in INTEREST_SOURCES:
        col = f"{source}_at"
        moments = df[col] if col in df else pd.Series(np.nan, index=df.index)
        days[source] = _local_date_days(as_of, moments)
    frame = pd.DataFrame(days, index=df.index)
    df["interest_days"] = frame.min(axis=1)
    # idxmin over the sources, newest contact first on ties (a contact beats the form).
    ordered = frame[[*INTEREST_SOURCES, "form"]]
    known = ordered.notna().any(axis=1)
    df["interest_source"] = np.where(known, ordered.fillna(np.inf).idxmin(axis=1), None)


def derive_metrics(
    df: pd.DataFrame,
    *,
    as_of: dt.date,
    duplicates: dict[str, int],
    value_basis: str = "revenue",
) -> pd.DataFrame:
    """Ratios, day counts and scores from the raw aggregates (vectorised)."""
    zero_fill = [
        "orders_total",
        "orders_window",
        "orders_prev_window",
        "revenue_total",
        "revenue_window",
        "revenue_prev_window",
        "categories",
        "purchase_days",
        "active_months",
        "due_orders",
        "on_time",
        "overdue_amount",
        "complaints",
        "returns",
        "repairs",
        "service_cost",
        "contacts_window",
        "referrals",
        "profit_total",
        "profit_window",
        "costed_revenue",
        "acquisition_cost",
    ]
    for col in zero_fill:
        df[col] = pd.to_numeric(df[col], errors="coerce").fillna(0.0).astype("float64")
    df["satisfaction"] = pd.to_numeric(df["satisfaction"], errors="coerce").astype("float64")
    for col in ("annual_budget", "growth_rate"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")

    orders = df["orders_total"]
    df["recency_days"] = _days_between(as_of, df["last_date"])
    df["tenure_days"] = _days_between(as_of, df["first_date"])
    _interest(df, as_of)
    # The best 365 days: the better of the last 365 days and the best calendar year.
    window_value = df["profit_window"] if value_basis == "profit" else df["revenue_window"]
    year_peak = (
        pd.to_numeric(df["peak_year_value"], errors="coerce")
        if "peak_year_value" in df
        else pd.Series(np.nan, index=df.index)
    )
    df["peak_value"] = np.fmax(window_value.to_numpy(), year_peak.to_numpy(dtype="float64"))
    df["peak_value"] = df["peak_value"].where(orders > 0)
    created = pd.to_datetime(df["created_at"], utc=True).dt.tz_convert(None).dt.normalize()
    df["customer_days"] = (pd.Timestamp(as_of) - created).dt.days.clip(lower=0).astype("float64")
    span = df["tenure_days"] - df["recency_days"]  # first → last purchase
    df["interval_days"] = np.where(orders >= 2, span / (orders - 1).where(orders >= 2), np.nan)
    df["margin_pct"] = _ratio(df["profit_total"], df["costed_revenue"]) * 100
    df["avg_order_value"] = _ratio(df["revenue_total"], orders)
    df["on_time_pct"] = _ratio(df["on_time"], df["due_orders"]) * 100
    df["overdue_days"] = _days_between(as_of, df["oldest_due"])
    prev = df["revenue_prev_window"]
    df["spend_trend_pct"] = _ratio(df["revenue_window"] - prev, prev) * 100
    df["net_value"] = df["profit_total"] - df["acquisition_cost"] - df["service_cost"]
    first = df["tax_number"].map(duplicates)
    df["duplicate_of"] = np.where(first.notna() & (first != df.index), first, np.nan)
    df["size_score"] = df["size"].map(_SIZE_SCORE).fillna(0.0).astype("float64")
    df["outlook_score"] = df["industry_outlook"].map(_OUTLOOK_SCORE).fillna(0.5).astype("float64")
    return df.drop(
        columns=[
            "created_at",
            "first_date",
            "last_date",
            "interest_since",
            *[c for c in _CONTACT_AND_PEAK_INPUTS if c in df],
            "oldest_due",
            "on_time",
            "costed_revenue",
            "tax_number",
        ]
    )


def _ratio(a: pd.Series, b: pd.Series) -> pd.Series:
    b = b.where(b != 0)
    return (a / b).astype("float64")


def metrics_stream(
    *, as_of: dt.date, rules: Rules, partitions: list[Partition]
) -> Iterator[tuple[Partition, pd.DataFrame]]:
    duplicates = duplicates_map()
    for part in partitions:
        yield (
            part,
            metrics_for_range(
                lo=part.lo, hi=part.hi, as_of=as_of, rules=rules, duplicates=duplicates
            ),
        )
