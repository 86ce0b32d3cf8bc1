"""The model's inputs from the nightly run's metrics frame (no second pass over transactions).

The published models count purchase *occasions*: several orders on one day are one purchase.
So, per customer with at least one counted purchase on or before the run date (days throughout):

* frequency = distinct purchase days − 1 (repeat purchase days);
* recency (t_x) = days from the first to the last purchase = tenure_days − recency_days;
* T = days from the first purchase to the run date = tenure_days;
* monetary_value = revenue_total / distinct purchase days for repeat buyers, 0 otherwise.

The last one is the mean value of a purchase day *including* the first: the metrics frame does
not separate the first day's revenue, and a second aggregate over 20M transactions for it would
cost more than the whole fit. The difference only shifts each repeat buyer's average towards
their first day; `history.py` (the report card) uses the exact repeat-only mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

INPUT_COLUMNS = ("purchase_days", "recency_days", "tenure_days", "revenue_total")


def summary_from_metrics(frame: pd.DataFrame) -> pd.DataFrame:
    """frequency, recency, T, monetary_value for the rows of `frame` with a purchase, indexed
    like `frame`; customers without a purchase (no tenure) are left out."""
    bought = frame[frame["tenure_days"].notna() & (frame["purchase_days"] > 0)]
    days = bought["purchase_days"].to_numpy(dtype=np.float64)
    tenure = bought["tenure_days"].to_numpy(dtype=np.float64).clip(min=0)
    since_last = bought["recency_days"].to_numpy(dtype=np.float64).clip(min=0)
    revenue = bought["revenue_total"].to_numpy(dtype=np.float64).clip(min=0)
    frequency = days - 1
    return pd.DataFrame(
        {
            "frequency": frequency,
            # With a single purchase day first = last, so recency is 0 by construction.
            "recency": np.where(frequency > 0, (tenure - since_last).clip(min=0), 0.0),
            "T": tenure,
            "monetary_value": np.where(frequency > 0, revenue / days, 0.0),
        },
        index=bought.index,
    )
