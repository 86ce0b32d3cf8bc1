"""Classes of a partition of customers in every dimension, and the history diff — the run's
one classification path over the specs (built-in and admin-defined alike).

`classify` computes stage 1 (classes from metrics); `apply_dwell` holds changes back until
they persisted for the rule set's minimum number of runs (anti-flapping); `apply_pins` lets
hand-set classes win; `partition_classes` runs the whole sequence, stage 2 (classes that
also read stage 1's effective classes) included. Pure pandas/numpy: the pipeline reads the
inputs and writes the output."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from segmentation.classifiers.dimensions import potential_score
from segmentation.models.choices import UNCLASSIFIED

from . import builtin
from .base import PINNED, ClassifyContext, ColumnStorage, DimensionSpec, JsonStorage, Result

# Changes out of these lifecycle classes are facts (a first order, shown interest), never
# held back by the dwell rule.
_DWELL_EXEMPT_FROM = {"lifecycle": {"prospect", "intent"}}

# Loads the fields beyond the metrics that stage-2 dimensions read (customer attributes,
# tags), for the frame's customer ids: (base frame, field names) → frame indexed like base.
InputsLoader = Callable[[pd.DataFrame, set[str]], pd.DataFrame]


def _stage(specs: list[DimensionSpec] | None, stage: int) -> list[DimensionSpec]:
    chosen = builtin.BUILTIN if specs is None else specs
    return [s for s in chosen if s.stage == stage and s.classify]


def classify(
    df: pd.DataFrame, rules, cuts: Mapping, specs: list[DimensionSpec] | None = None
) -> pd.DataFrame:
    """Stage 1: columns `<key>` and `<key>_why` for every stage-1 dimension, plus
    `potential_score`, indexed like `df`."""
    df = df.copy()
    df["potential_score"] = potential_score(df, rules)
    ctx = ClassifyContext(rules=rules, cuts=cuts)
    got: dict[str, Result] = {}
    out = pd.DataFrame(index=df.index)
    for spec in _stage(specs, 1):
        if spec.classify is None:
            continue
        got[spec.key] = spec.classify(df, ctx, got)
        out[spec.key] = got[spec.key][0]
        out[f"{spec.key}_why"] = got[spec.key][1]
    out["potential_score"] = df["potential_score"]
    return out


def apply_dwell(
    new: pd.DataFrame,
    prev: pd.DataFrame | None,
    *,
    min_runs: int,
    specs: list[DimensionSpec] | None = None,
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
    for spec in builtin.BUILTIN if specs is None else specs:
        dim = spec.key
        if not spec.dwell or dim not in new or dim not in prev:
            continue
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


def apply_pins(
    classes: pd.DataFrame, pins: pd.DataFrame, specs: list[DimensionSpec] | None = None
) -> pd.DataFrame:
    """`pins` has customer_id, dimension, code (active pins only): a pin to a class of its
    dimension replaces the class, and its reason becomes "pinned"."""
    if pins.empty:
        return classes
    out = classes.copy()
    by_key = {s.key: s for s in (builtin.BUILTIN if specs is None else specs)}
    for dim, group in pins.groupby("dimension"):
        spec = by_key.get(str(dim))
        if spec is None or spec.key not in out.columns:
            continue
        group = group[group["code"].isin(spec.codes())]
        ids = group["customer_id"].to_numpy()
        present = np.isin(ids, out.index.to_numpy())
        ids = ids[present]
        out.loc[ids, spec.key] = group["code"].to_numpy()[present]
        out.loc[ids, f"{spec.key}_why"] = PINNED
    return out


def partition_classes(
    frame: pd.DataFrame,
    *,
    specs: list[DimensionSpec],
    rules,
    cuts: Mapping,
    prev: pd.DataFrame | None,
    pins: pd.DataFrame,
    load_inputs: InputsLoader,
) -> tuple[pd.DataFrame, pd.Series]:
    """Every dimension's effective class and why code for the customers of `frame` (indexed
    by customer id): stage 1, the dwell rule, pins; then stage 2 over the metrics and stage
    1's effective classes (plus the attributes and tags its rules read), and its pins.
    Returns (classes with `potential_score`, the dwell rule's pending column)."""
    stage1 = _stage(specs, 1)
    classes = classify(frame, rules, cuts, stage1)
    classes, pending = apply_dwell(classes, prev, min_runs=rules.min_dwell_runs, specs=stage1)
    classes = apply_pins(classes, pins, stage1)
    stage2 = _stage(specs, 2)
    if stage2 and not frame.empty:
        base = frame.join(classes[[c for c in classes.columns if c not in frame.columns]])
        fields: set[str] = set().union(*(s.inputs for s in stage2))
        inputs = load_inputs(base, fields).reindex(frame.index)
        ctx = ClassifyContext(rules=rules, cuts=cuts)
        got: dict[str, Result] = {}
        for spec in stage2:
            if spec.classify is None:
                continue
            codes, whys = spec.classify(inputs, ctx, got)[:2]
            classes[spec.key] = codes
            classes[f"{spec.key}_why"] = whys
        classes = apply_pins(classes, pins, stage2)
    return classes, pending


def class_counts(classes: pd.DataFrame, specs: list[DimensionSpec]) -> dict[str, Counter]:
    return {
        s.key: Counter(classes[s.key].value_counts().to_dict()) for s in specs if s.key in classes
    }


def history_frame(
    classes: pd.DataFrame, prev: pd.DataFrame | None, specs: list[DimensionSpec]
) -> pd.DataFrame:
    """One row per (customer, dimension) whose class differs from the baseline run's, for
    the dimensions the baseline also had (columns customer_id, dimension, from_code,
    to_code). A customer new since the baseline comes from "". Without a baseline (the very
    first run) nothing has changed yet."""
    columns = ["customer_id", "dimension", "from_code", "to_code"]
    if prev is None:
        return pd.DataFrame(columns=columns)
    before_all = prev.reindex(classes.index)
    parts = []
    for spec in specs:
        if spec.key not in before_all or spec.key not in classes:
            continue
        before = before_all[spec.key].fillna("").to_numpy(dtype=object)
        after = classes[spec.key].to_numpy(dtype=object)
        mask = before != after
        if mask.any():
            parts.append(
                pd.DataFrame(
                    {
                        "customer_id": classes.index[mask],
                        "dimension": spec.key,
                        "from_code": before[mask],
                        "to_code": after[mask],
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


def storage_columns(classes: pd.DataFrame, specs: list[DimensionSpec]) -> dict[str, pd.Series]:
    """The class row's columns for these classes, each storage packing its dimensions."""
    out: dict[str, pd.Series] = {}
    for storage in (ColumnStorage, JsonStorage):
        mine = [s for s in specs if isinstance(s.storage, storage) and s.key in classes]
        out.update(storage.pack(classes, mine))
    return out


def storage_read(rows: pd.DataFrame, specs: list[DimensionSpec]) -> pd.DataFrame:
    """Stored class rows (indexed by customer id) → one column per dimension's class."""
    out = pd.DataFrame(index=rows.index)
    for storage in (ColumnStorage, JsonStorage):
        mine = [s for s in specs if isinstance(s.storage, storage)]
        for key, values in storage.unpack(rows, mine).items():
            out[key] = values
    if "pending" in rows:
        out["pending"] = rows["pending"]
    return out


def stored_columns(specs: list[DimensionSpec]) -> list[str]:
    """The columns to read for `storage_read` (the JSON one as text, `custom_text`)."""
    columns: list[str] = []
    for spec in specs:
        if isinstance(spec.storage, ColumnStorage):
            columns.append(spec.key)
        elif "custom_text" not in columns:
            columns.append("custom_text")
    return columns
