"""Evaluating custom dimensions: vectorised over a frame (one boolean mask per rule, first
matching class wins, the default class takes the rest), a plain per-row reference evaluator
the tests compare it with, and the nightly run's step per partition.

Semantics shared by both evaluators: a comparison with an empty value (NaN number, "" or
missing label) is false — ``≠`` included; ``empty`` is true exactly for empty values."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import QuerySet

from segmentation.models import (
    CustomDimension,
    CustomDimensionStatus,
    Run,
)

from .catalog import ATTRIBUTE_COLUMNS, Catalog
from .schema import (
    Cmp,
    CompiledDimension,
    Group,
    Node,
    dimension_errors,
)

log = logging.getLogger(__name__)

RULE = "r"  # the class's own rule matched
DEFAULT = "d"  # no rule matched: the default class
PINNED = "p"  # set by hand


# ---- vectorised --------------------------------------------------------------------------


class Columns:
    """The evaluation frame's columns, converted once and shared by every rule of every
    dimension: numbers as float arrays (NaN = empty), labels factorized to integer codes
    (-1 = empty, "" included), so each comparison is one numpy operation on integers."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.n = len(frame)
        self._numbers: dict[str, np.ndarray] = {}
        self._labels: dict[str, tuple[np.ndarray, dict[str, int]]] = {}

    def number(self, name: str) -> np.ndarray:
        if name not in self._numbers:
            if name not in self.frame:
                self._numbers[name] = np.full(self.n, np.nan)
            else:
                self._numbers[name] = pd.to_numeric(self.frame[name], errors="coerce").to_numpy(
                    dtype="float64", na_value=np.nan
                )
        return self._numbers[name]

    def labels(self, name: str) -> tuple[np.ndarray, dict[str, int]]:
        if name not in self._labels:
            if name not in self.frame:
                self._labels[name] = (np.full(self.n, -1, dtype=np.int64), {})
            else:
                values = self.frame[name].to_numpy(dtype=object)
                codes, uniques = pd.factorize(values, use_na_sentinel=True)
                codes = codes.astype(np.int64, copy=False)
                lookup = {}
                for i, u in enumerate(uniques):
                    if u == "":
                        codes[codes == i] = -1
                    else:
                        lookup[str(u)] = i
                self._labels[name] = (codes, lookup)
        return self._labels[name]


def mask(node: Node, frame: pd.DataFrame | Columns) -> np.ndarray:
    """Boolean array: which rows of `frame` satisfy `node`."""
    cols = frame if isinstance(frame, Columns) else Columns(frame)
    if isinstance(node, Group):
        if node.op == "not":
            return ~mask(node.children[0], cols)
        parts = [mask(c, cols) for c in node.children]
        combine = np.logical_and if node.op == "all" else np.logical_or
        return combine.reduce(parts) if len(parts) > 1 else parts[0]
    if node.kind == "number":
        x = cols.number(node.field)
        present = ~np.isnan(x)
        with np.errstate(invalid="ignore"):
            if node.op == "empty":
                return ~present
            if node.op == "between":
                low, high = node.value
                return present & (x >= low) & (x <= high)
            if node.op == "in":
                return present & np.isin(x, np.array(sorted(node.value), dtype="float64"))
            v = node.value
            return (
                present
                & {
                    "eq": lambda: x == v,
                    "ne": lambda: x != v,
                    "lt": lambda: x < v,
                    "le": lambda: x <= v,
                    "gt": lambda: x > v,
                    "ge": lambda: x >= v,
                }[node.op]()
            )
    codes, lookup = cols.labels(node.field)
    present = codes >= 0
    if node.op == "empty":
        return ~present
    if node.op == "in":
        wanted = [lookup[v] for v in node.value if v in lookup]
        return (
            np.isin(codes, np.array(wanted, dtype=np.int64)) if wanted else ~np.ones(cols.n, bool)
        )
    code = lookup.get(node.value)
    if node.op == "eq":
        return codes == code if code is not None else np.zeros(cols.n, dtype=bool)
    return present & (codes != code) if code is not None else present


def classify_dimension(
    spec: CompiledDimension, frame: pd.DataFrame | Columns
) -> tuple[np.ndarray, np.ndarray]:
    """(class codes, why codes) per row: the first class whose rule matches, else default."""
    cols = frame if isinstance(frame, Columns) else Columns(frame)
    n = cols.n
    chosen = np.full(n, -1, dtype=np.int64)
    for i, cls in enumerate(spec.classes):
        open_ = chosen < 0
        if not open_.any():
            break
        if cls.rule is None:
            continue
        hit = mask(cls.rule, cols) & open_
        chosen[hit] = i
    codes = np.array([c.code for c in spec.classes] + [spec.default], dtype=object)
    matched = chosen >= 0
    picked = np.where(matched, chosen, len(spec.classes))
    return codes[picked], np.where(matched, RULE, DEFAULT).astype(object)


# ---- reference (one row at a time; tests and reasons) -------------------------------------


def _row_value(row: Mapping[str, Any], cmp: Cmp) -> Any:
    value = row.get(cmp.field)
    if cmp.kind == "number":
        if value is None or isinstance(value, str):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return None if number != number else number  # NaN → empty
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return None
    return str(value)


def reference_match(node: Node, row: Mapping[str, Any]) -> bool:
    """The same semantics as `mask`, written plainly for one row."""
    if isinstance(node, Group):
        if node.op == "not":
            return not reference_match(node.children[0], row)
        results = [reference_match(c, row) for c in node.children]
        return all(results) if node.op == "all" else any(results)
    value = _row_value(row, node)
    if node.op == "empty":
        return value is None
    if value is None:
        return False
    if node.op == "between":
        return node.value[0] <= value <= node.value[1]
    if node.op == "in":
        return value in node.value
    v = node.value
    if node.op == "eq":
        return value == v
    if node.op == "ne":
        return value != v
    if node.op == "lt":
        return value < v
    if node.op == "le":
        return value <= v
    if node.op == "gt":
        return value > v
    return value >= v


def reference_classify(spec: CompiledDimension, row: Mapping[str, Any]) -> tuple[str, str]:
    for cls in spec.classes:
        if cls.rule is not None and reference_match(cls.rule, row):
            return cls.code, RULE
    return spec.default, DEFAULT


# ---- inputs beyond the metrics frame ------------------------------------------------------


def _fetch(qs: QuerySet, columns: list[str]) -> pd.DataFrame:
    """Rows of a values_list queryset through a plain cursor (no per-value converters)."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pd.DataFrame.from_records(rows, columns=columns)


def attributes_frame(*, lo: int, hi: int, fields: set[str]) -> pd.DataFrame:
    """The customer attributes `fields` names for ids in [lo, hi], indexed by customer id."""
    from customers.models import Customer

    wanted = sorted(f for f in fields if f in ATTRIBUTE_COLUMNS)
    if not wanted:
        return pd.DataFrame()
    columns = [ATTRIBUTE_COLUMNS[f] for f in wanted]
    qs = Customer.objects.filter(id__gte=lo, id__lte=hi).values_list("id", *columns).order_by()
    df = _fetch(qs, ["customer_id", *wanted]).set_index("customer_id")
    for name in wanted:
        if name in ("owner", "team"):
            ids = pd.to_numeric(df[name], errors="coerce").astype("Int64")
            df[name] = ids.astype(str).where(ids.notna(), None).astype(object)
        elif name in ("annual_budget", "annual_revenue", "employees", "growth_rate"):
            df[name] = pd.to_numeric(df[name], errors="coerce").astype("float64")
    return df


def tags_frame(*, lo: int, hi: int, keys: set[str]) -> pd.DataFrame:
    """Columns "tag.<key>" (the value code) for customers in [lo, hi] that have any."""
    from customers.models import CustomerTag

    if not keys:
        return pd.DataFrame()
    qs = (
        CustomerTag.objects.filter(customer_id__gte=lo, customer_id__lte=hi, tag__key__in=keys)
        .values_list("customer_id", "tag__key", "value")
        .order_by()
    )
    rows = _fetch(qs, ["customer_id", "key", "value"])
    if rows.empty:
        return pd.DataFrame()
    wide = rows.pivot(index="customer_id", columns="key", values="value")
    wide.columns = [f"tag.{k}" for k in wide.columns]
    return wide


def inputs_frame(*, base: pd.DataFrame, fields: set[str], lo: int, hi: int) -> pd.DataFrame:
    """`base` (metrics and built-in classes, indexed by customer id) with the attributes and
    tags the rules read joined on. Attributes always come from the customer table, so a run
    and a preview read the same values."""
    keep = [f for f in fields if f in base.columns and f not in ATTRIBUTE_COLUMNS]
    out = base[keep]
    attrs = attributes_frame(lo=lo, hi=hi, fields=fields)
    if not attrs.empty:
        out = out.join(attrs, how="left")
    tags = tags_frame(lo=lo, hi=hi, keys={f[4:] for f in fields if f.startswith("tag.")})
    if not tags.empty:
        out = out.join(tags, how="left")
    return out


# ---- the plan of a run --------------------------------------------------------------------


def spec_from_dimension(dimension: CustomDimension, catalog: Catalog) -> CompiledDimension:
    """Compiles a stored version. A version that no longer validates (e.g. a tag it used was
    deleted) raises ValueError naming the mistakes."""
    classes = [
        {"code": c.code, "order": c.order, "rule": c.rule, "is_default": c.is_default}
        for c in dimension.classes.all()
    ]
    errors, spec = dimension_errors(classes=classes, catalog=catalog)
    if spec is None:
        raise ValueError(f"custom dimension {dimension.code} v{dimension.version}: {errors}")
    return CompiledDimension(dimension.pk, dimension.code, spec.classes, spec.default)


def custom_versions_record(run: Run) -> dict[str, int]:
    """Records on the run which custom dimension versions it evaluates (the active ones now).
    Called once when a run starts; the partitions read the record.

    An active version that no longer validates (a tag it reads was deleted or switched off
    since it was activated) is left out and logged: one broken custom dimension must not
    stop the nightly classification of every customer."""
    from .catalog import catalog_load

    catalog = catalog_load()
    versions: dict[str, int] = {}
    for dim in (
        CustomDimension.objects.filter(status=CustomDimensionStatus.ACTIVE)
        .prefetch_related("classes")
        .order_by("code")
    ):
        try:
            spec_from_dimension(dim, catalog)
        except ValueError:
            log.exception("custom dimension %s skipped in run %s", dim.code, run.as_of)
            continue
        versions[dim.code] = dim.pk
    Run.objects.filter(pk=run.pk).update(custom_versions=versions)
    run.custom_versions = versions
    return versions
