"""Phase 2 of a run: global cut points (RFM quintiles, value-tier amounts) from the metrics of
every customer. Pure: arrays in, a JSON-able dict out, so the run stores what it used."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from segmentation.rules import Rules

QUINTILES = (0.2, 0.4, 0.6, 0.8)
CUT_COLUMNS = ("orders_total", "recency_days", "orders_window", "revenue_window", "profit_window")


def value_basis_column(rules: Rules) -> str:
    return "profit_window" if rules.value_basis == "profit" else "revenue_window"


def _quintiles(values: np.ndarray) -> list[float]:
    if values.size == 0:
        return []
    return [float(x) for x in np.quantile(values, QUINTILES, method="linear")]


def _pareto_cut(desc: np.ndarray, share_pct: float) -> float | None:
    """The smallest amount among the top customers who together reach `share_pct` of the
    total: customers at or above it form that share."""
    total = desc.sum()
    if desc.size == 0 or total <= 0:
        return None
    cum = np.cumsum(desc) / total
    idx = int(np.searchsorted(cum, share_pct / 100 - 1e-12, side="left"))
    return float(desc[min(idx, desc.size - 1)])


def _top_cut(desc: np.ndarray, top_pct: float) -> float | None:
    count = math.ceil(desc.size * top_pct / 100)
    if count == 0:
        return None
    return float(desc[count - 1])


def cut_points_compute(*, frame: pd.DataFrame, rules: Rules) -> dict:
    """Quintile cut points of recency / frequency / monetary among buyers and the amounts
    that separate core, important and ordinary customers under the rule set's method."""
    buyers = frame[frame["orders_total"] > 0]
    basis = buyers[value_basis_column(rules)].to_numpy(dtype="float64")
    positive_desc = np.sort(basis[basis > 0])[::-1]
    if rules.value_method == "pareto":
        core = _pareto_cut(positive_desc, rules.core_share_pct)
        important = _pareto_cut(positive_desc, rules.important_share_pct)
    elif rules.value_method == "percentile":
        core = _top_cut(positive_desc, rules.core_top_pct)
        important = _top_cut(positive_desc, rules.important_top_pct)
    else:
        core, important = rules.core_min_amount, rules.important_min_amount
    return {
        "r": _quintiles(buyers["recency_days"].dropna().to_numpy(dtype="float64")),
        "f": _quintiles(buyers["orders_window"].to_numpy(dtype="float64")),
        "m": _quintiles(buyers["revenue_window"].to_numpy(dtype="float64")),
        "value_core": core,
        "value_important": important,
        "value_total": float(positive_desc.sum()),
        "buyers": len(buyers),
    }
