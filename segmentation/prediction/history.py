"""Selector: per-customer purchase summary split at a date, aggregated in the database.

One SQL statement (the same on SQLite and PostgreSQL): transactions are first summed per
customer and day — several orders on one day are one purchase occasion, as in the published
models — then per customer. Paid and open orders count; refunded and cancelled do not. Rows are
streamed in chunks, never one query per customer.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.db import connection

from customers.models import Transaction
from customers.models.choices import TransactionStatus

from .predict import HORIZON_DAYS

COUNTED_STATUSES = (TransactionStatus.PAID.value, TransactionStatus.OPEN.value)
_CHUNK = 50_000  # rows per fetch: ~50,000 x 7 values keeps a chunk to a few MB


def _sql(sample_every: int = 1) -> str:
    qn = connection.ops.quote_name
    table = qn(Transaction._meta.db_table)
    customer = qn(Transaction._meta.get_field("customer").column)
    date = qn(Transaction._meta.get_field("date").column)
    amount = qn(Transaction._meta.get_field("amount").column)
    status = qn(Transaction._meta.get_field("status").column)
    # A systematic sample by id (every k-th customer) keeps the backtest's pass cheap at 1M;
    # "%%" is the modulo operator once the driver has substituted the parameters.
    sample = f" AND {customer} %% {int(sample_every)} = 0" if sample_every > 1 else ""
    # Named parameters are not portable between the SQLite and psycopg drivers; %s in order.
    return f"""
        SELECT days.customer_id,
               MIN(CASE WHEN days.d <= %s THEN days.d END),
               MAX(CASE WHEN days.d <= %s THEN days.d END),
               COUNT(CASE WHEN days.d <= %s THEN 1 END),
               SUM(CASE WHEN days.d <= %s AND days.d > days.first_day
                        THEN days.amount ELSE 0 END),
               COUNT(CASE WHEN days.d > %s THEN 1 END),
               COUNT(CASE WHEN days.d > %s AND days.d <= %s THEN 1 END)
        FROM (
            SELECT {customer} AS customer_id, {date} AS d, SUM({amount}) AS amount,
                   MIN({date}) OVER (PARTITION BY {customer}) AS first_day
            FROM {table}
            WHERE {status} IN (%s, %s) AND {date} <= %s{sample}
            GROUP BY {customer}, {date}
        ) days
        GROUP BY days.customer_id
        HAVING MIN(days.d) <= %s
        ORDER BY days.customer_id
    """  # noqa: S608 — identifiers come from model metadata, values are parameters


def purchase_history_summarise(
    *, as_of: dt.date, horizon_days: int = int(HORIZON_DAYS), sample_every: int = 1
) -> pd.DataFrame:
    """One row per customer with a counted purchase on or before `as_of`, indexed by customer id:
    frequency, recency, T (days), monetary_value (mean repeat purchase-day value), and
    actual_orders (purchase days in the `horizon_days` after `as_of`), last_year_orders
    (purchase days in the `horizon_days` up to and including `as_of`)."""
    end = as_of + dt.timedelta(days=horizon_days)
    year_before = as_of - dt.timedelta(days=horizon_days)
    # Order of the %s placeholders in _sql(): four × as_of, as_of, year window, statuses, end,
    # as_of.
    params = (as_of, as_of, as_of, as_of, as_of, year_before, as_of, *COUNTED_STATUSES, end, as_of)
    chunks: list[list[tuple]] = []
    with connection.cursor() as cursor:
        cursor.execute(_sql(sample_every), params)
        while rows := cursor.fetchmany(_CHUNK):
            chunks.append(list(rows))
    raw = pd.DataFrame(
        [row for chunk in chunks for row in chunk],
        columns=[
            "customer_id",
            "first",
            "last",
            "purchase_days",
            "repeat_amount",
            "actual_orders",
            "last_year_orders",
        ],
    )
    as_of_ts = pd.Timestamp(as_of)
    first = pd.to_datetime(raw["first"])
    last = pd.to_datetime(raw["last"])
    frequency = raw["purchase_days"].astype(np.float64) - 1.0
    repeat_amount = raw["repeat_amount"].astype(np.float64)
    frame = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first).dt.days.astype(np.float64),
            "T": (as_of_ts - first).dt.days.astype(np.float64),
            "monetary_value": np.divide(
                repeat_amount.to_numpy(),
                frequency.to_numpy(),
                out=np.zeros(len(raw)),
                where=frequency.to_numpy() > 0,
            ),
            "actual_orders": raw["actual_orders"].astype(np.int64),
            "last_year_orders": raw["last_year_orders"].astype(np.int64),
        }
    )
    frame.index = pd.Index(raw["customer_id"].astype(np.int64), name="customer_id")
    return frame


def backtest_history(
    *, as_of: dt.date, span_days: int | None = None, customers: int | None = None
) -> pd.DataFrame:
    """The backtest's input for a run on `as_of`: each customer's summary at the split date
    as_of − H with `actual_orders` = purchase days in (split, as_of], where H comes from
    `backtest.holdout_days_for(span)` (span = days from the first counted purchase, or
    `span_days` when the caller knows it, e.g. the largest T of the run's summary).

    The frame carries `attrs["holdout_days"]` (None: the history is too short to hold any part
    out; the frame is then empty) and `attrs["span"]`. One SQL statement as in
    `purchase_history_summarise` (plus one MIN() when the span is not given). With
    `customers` (how many have a purchase) above the backtest's sample size, only every k-th
    customer id is read: 1M customers → every 10th, ~100,000."""
    from .backtest import MAX_BACKTEST_CUSTOMERS, holdout_days_for

    if span_days is None:
        first = (
            Transaction.objects.filter(status__in=COUNTED_STATUSES, date__lte=as_of)
            .order_by("date")
            .values_list("date", flat=True)
            .first()
        )
        span_days = (as_of - first).days if first is not None else 0
    holdout = holdout_days_for(span_days)
    if holdout is None:
        frame = pd.DataFrame(columns=["frequency", "recency", "T", "monetary_value"])
        frame["actual_orders"] = pd.Series(dtype=np.float64)
    else:
        every = -(-int(customers) // MAX_BACKTEST_CUSTOMERS) if customers else 1
        frame = purchase_history_summarise(
            as_of=as_of - dt.timedelta(days=holdout),
            horizon_days=holdout,
            sample_every=max(every, 1),
        ).drop(columns=["last_year_orders"])
    frame.attrs["holdout_days"] = holdout
    frame.attrs["span"] = int(span_days)
    return frame


def backtest_for_run(*, as_of: dt.date, summary: pd.DataFrame) -> pd.DataFrame | None:
    """What the nightly run passes as `predict_customer_value(backtest=…)`: None without
    customers, else `backtest_history` with the span and size read off the run's summary."""
    if summary.empty:
        return None
    return backtest_history(as_of=as_of, span_days=int(summary["T"].max()), customers=len(summary))
