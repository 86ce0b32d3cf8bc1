"""The plain-language reason behind a prediction, as data first and as a sentence second.

`PredictionReason` carries only numbers, so it can be stored (JSON) and rendered later in the
reader's language; `reason_render` turns it into "bought 7 times, every ~40 days; last 150 days
ago → 23% likely still active" (English) or its zh-Hans translation.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from django.utils.translation import gettext, ngettext


@dataclass(frozen=True)
class PredictionReason:
    orders: int  # purchase days in total (first + repeats)
    every_days: int | None  # average gap between purchases; None with a single purchase
    last_days_ago: int  # days from the last purchase to the run date
    p_alive_pct: int | None  # None when the model could not be fitted
    expected_orders: float
    p_buy_pct: int | None = None  # chance of ≥ 1 order in 365 days; None when not known

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def reason_build(
    *,
    frequency: float,
    recency: float,
    tenure: float,
    p_alive: float,
    expected_orders: float,
    p_buy: float = float("nan"),
) -> PredictionReason:
    x = int(frequency)
    return PredictionReason(
        orders=x + 1,
        every_days=round(recency / x) if x > 0 else None,
        last_days_ago=round(tenure - recency),
        p_alive_pct=None if math.isnan(p_alive) else round(100 * p_alive),
        expected_orders=round(float(expected_orders), 2),
        p_buy_pct=None if math.isnan(p_buy) else round(100 * p_buy),
    )


def reasons_build(*, summary: pd.DataFrame, scores: pd.DataFrame) -> pd.Series:
    """One PredictionReason per customer, aligned with `summary`."""
    columns = zip(
        summary["frequency"].to_numpy(dtype=np.float64),
        summary["recency"].to_numpy(dtype=np.float64),
        summary["T"].to_numpy(dtype=np.float64),
        scores["p_alive"].to_numpy(dtype=np.float64),
        scores["expected_orders_365d"].to_numpy(dtype=np.float64),
        (
            scores["p_buy_365d"].to_numpy(dtype=np.float64)
            if "p_buy_365d" in scores
            else np.full(len(scores), np.nan)
        ),
        strict=True,
    )
    reasons = [
        reason_build(
            frequency=x,
            recency=t_x,
            tenure=t,
            p_alive=alive,
            expected_orders=orders,
            p_buy=buy,
        )
        for x, t_x, t, alive, orders, buy in columns
    ]
    return pd.Series(reasons, index=summary.index, dtype=object)


def reason_render(reason: PredictionReason) -> str:
    """The sentence in the active language."""
    if reason.every_days is None:
        history = ngettext(
            "bought once, %(last)d day ago",
            "bought once, %(last)d days ago",
            reason.last_days_ago,
        ) % {"last": reason.last_days_ago}
    else:
        history = ngettext(
            "bought %(n)d times, every ~%(every)d days; last %(last)d day ago",
            "bought %(n)d times, every ~%(every)d days; last %(last)d days ago",
            reason.last_days_ago,
        ) % {"n": reason.orders, "every": reason.every_days, "last": reason.last_days_ago}
    if reason.p_alive_pct is None:
        outlook = gettext("%(orders)s orders expected in the next 365 days") % {
            "orders": f"{reason.expected_orders:.1f}"
        }
    else:
        outlook = gettext("%(pct)d%% likely still active") % {"pct": reason.p_alive_pct}
    if reason.p_buy_pct is not None:
        outlook = gettext("%(outlook)s, %(pct)d%% chance of an order within 365 days") % {
            "outlook": outlook,
            "pct": reason.p_buy_pct,
        }
    return gettext("%(history)s → %(outlook)s") % {"history": history, "outlook": outlook}
