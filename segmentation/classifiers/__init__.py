"""Pure classification: (metrics DataFrame, rules, cut points) → one class and one reason code
per customer and dimension. No ORM, no settings, no clock; vectorised (no per-customer loop).

`classify` computes the classes; `apply_dwell` holds changes back until they persisted for the
rule set's minimum number of runs (anti-flapping); `apply_pins` lets hand-set classes win."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from segmentation.models.choices import DIMENSIONS, UNCLASSIFIED
from segmentation.rules import Rules

from . import dimensions as d
from .cuts import CUT_COLUMNS, cut_points_compute, value_basis_column

__all__ = [
    "CUT_COLUMNS",
    "apply_dwell",
    "apply_pins",
    "classify",
    "cut_points_compute",
    "value_basis_column",
]

# Changes out of these lifecycle classes are facts (a first order, shown interest), never
# held back by the dwell rule.
_DWELL_EXEMPT_FROM = {"lifecycle": {"prospect", "intent"}}


def classify(df: pd.DataFrame, rules: Rules, cuts: Mapping) -> pd.DataFrame:
    """Columns `<dimension>` and `<dimension>_why` for every dimension, plus
    `potential_score`, indexed like `df`."""
    df = df.copy()
    df["potential_score"] = d.potential_score(df, rules)
    out = pd.DataFrame(index=df.index)
    results: dict[str, d.Result] = {
        "lifecycle": d.lifecycle(df, rules),
        "value_tier": d.value_tier(df, rules, dict(cuts)),
        "loyalty": d.loyalty(df, rules),
        "potential": d.potential(df, rules),
        "frequency": d.frequency(df, rules),
        "payment_risk": d.payment_risk(df, rules),
        "problem_customer": d.problem_customer(df, rules),
    }
    results["value_potential"] = d.value_potential(
        results["value_tier"][0], results["potential"][0]
    )
    results.update(d.rfm(df, dict(cuts)))
    results["churn_warning"] = d.churn_warning(df, rules, results["lifecycle"][0])
    for dim in DIMENSIONS:
        classes, whys = results[dim]
        out[dim] = classes
        out[f"{dim}_why"] = whys
    out["potential_score"] = df["potential_score"]
    return out


def apply_dwell(
    new: pd.DataFrame, prev: pd.DataFrame | None, *, min_runs: int
) -> tuple[pd.DataFrame, pd.Series]:
    """Holds a class change back until the new class was computed on `min_runs` consecutive
    runs. `prev` has the previous run's classes and `pending` ({dim: [class, runs]} or None)
    per customer. Returns the effective classes and the new `pending` column.

    Not held: customers without a previous class, changes to or from "unclassified", and
    lifecycle moves out of prospect/intent."""
    out = new.copy()
    pending = pd.Series([None] * len(new), index=new.index, dtype=object)
    if prev is None or prev.empty or min_runs <= 1:
        return out, pending
    prev = prev.reindex(new.index)
    prev_pending = prev["pending"] if "pending" in prev else pd.Series(None, index=new.index)
    has_pending = prev_pending.notna()
    held_any = np.zeros(len(new), dtype=bool)
    held_info: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for dim in DIMENSIONS:
        before = prev[dim]
        after = new[dim]
        changed = (
            before.notna()
            & (before != "")
            & (before != after)
            & (before != UNCLASSIFIED)
            & (after != UNCLASSIFIED)
        )
        if dim in _DWELL_EXEMPT_FROM:
            changed &= ~before.isin(_DWELL_EXEMPT_FROM[dim])
        if not changed.any():
            continue
        # Runs so far for the same pending class (sparse: only rows that had pending).
        runs_so_far = pd.Series(0, index=new.index)
        rows = prev_pending[has_pending & changed]
        for cid, entry in rows.items():
            item = (entry or {}).get(dim)
            if item and item[0] == after.at[cid]:
                runs_so_far.at[cid] = int(item[1])
        count = runs_so_far + 1
        hold = changed & (count < min_runs)
        if hold.any():
            out.loc[hold, dim] = before[hold]
            out.loc[hold, f"{dim}_why"] = "held"
            held_any |= hold.to_numpy()
            held_info[dim] = (hold.to_numpy(), count.to_numpy())
    if held_any.any():
        for pos in np.flatnonzero(held_any):
            entry = {}
            for dim, (hold, count) in held_info.items():
                if hold[pos]:
                    entry[dim] = [new[dim].iat[pos], int(count[pos])]
            pending.iat[pos] = entry
    return out, pending


def apply_pins(classes: pd.DataFrame, pins: pd.DataFrame) -> pd.DataFrame:
    """`pins` has customer_id, dimension, code (active pins only): they replace the class and
    its reason becomes "pinned"."""
    if pins.empty:
        return classes
    out = classes.copy()
    for dim, group in pins.groupby("dimension"):
        if dim not in out.columns:
            continue  # custom dimensions apply their own pins (segmentation.custom)
        ids = group["customer_id"].to_numpy()
        present = np.isin(ids, out.index.to_numpy())
        ids = ids[present]
        out.loc[ids, dim] = group["code"].to_numpy()[present]
        out.loc[ids, f"{dim}_why"] = "pinned"
    return out
