"""Evaluating custom dimensions: vectorised over a frame (one boolean mask per rule, first
matching class wins, the default class takes the rest), a plain per-row reference evaluator
the tests compare it with, and the nightly run's step per partition.

Semantics shared by both evaluators: a comparison with an empty value (NaN number, "" or
missing label) is false — ``≠`` included; ``empty`` is true exactly for empty values."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import QuerySet

from segmentation.models import (
    CUSTOM_PREFIX,
    CustomDimension,
    CustomDimensionStatus,
    Run,
)
from segmentation.writers import frame_insert

from .schema import ATTRIBUTE_COLUMNS, Catalog, Cmp, DimensionSpec, Group, Node, dimension_errors

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
    spec: DimensionSpec, frame: pd.DataFrame | Columns
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


def reference_classify(spec: DimensionSpec, row: Mapping[str, Any]) -> tuple[str, str]:
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


def spec_from_dimension(dimension: CustomDimension, catalog: Catalog) -> DimensionSpec:
    """Compiles a stored version. A version that no longer validates (e.g. a tag it used was
    deleted) raises ValueError naming the mistakes."""
    classes = [
        {"code": c.code, "order": c.order, "rule": c.rule, "is_default": c.is_default}
        for c in dimension.classes.all()
    ]
    errors, spec = dimension_errors(classes=classes, catalog=catalog)
    if spec is None:
        raise ValueError(f"custom dimension {dimension.code} v{dimension.version}: {errors}")
    return DimensionSpec(dimension.pk, dimension.code, spec.classes, spec.default)


@dataclass
class Plan:
    dimensions: list[DimensionSpec]
    fields: set[str] = field(default_factory=set)
    # Dimensions also evaluated by the baseline run (only those get history rows).
    in_baseline: set[str] = field(default_factory=set)


_plans: dict[tuple, Plan] = {}


def custom_versions_record(run: Run) -> dict[str, int]:
    """Records on the run which custom dimension versions it evaluates (the active ones now).
    Called once when a run starts; the partitions read the record.

    An active version that no longer validates (a tag it reads was deleted or switched off
    since it was activated) is left out and logged: one broken custom dimension must not
    stop the nightly classification of every customer."""
    from .schema import catalog_load

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


def plan_for(run: Run, baseline: Run | None) -> Plan:
    """The compiled dimensions `run` recorded (cached per process, one per run/attempt)."""
    versions = run.custom_versions or {}
    key = (run.pk, run.attempts, tuple(sorted(versions.items())))
    if key in _plans:
        return _plans[key]
    catalog = None
    specs = []
    if versions:
        from .schema import catalog_load

        catalog = catalog_load()
        dims = CustomDimension.objects.filter(pk__in=versions.values()).prefetch_related("classes")
        specs = [spec_from_dimension(d, catalog) for d in sorted(dims, key=lambda d: d.code)]
    plan = Plan(dimensions=specs)
    for spec in specs:
        plan.fields |= spec.fields
    baseline_versions = (baseline.custom_versions or {}) if baseline is not None else {}
    plan.in_baseline = {s.code for s in specs if s.code in baseline_versions}
    _plans.clear()  # one run at a time per process
    _plans[key] = plan
    return plan


# ---- the run's step per partition ---------------------------------------------------------


@dataclass
class PartitionResult:
    custom: pd.Series  # JSON text per customer ({code: class}), None without dimensions
    custom_why: pd.Series  # {code: "p"} for the dimensions a pin set, else None
    codes: dict[str, np.ndarray]
    counts: dict[str, Counter]
    before: dict[str, np.ndarray]
    index: pd.Index

    def history_write(self, run: Run) -> int:
        """ClassChange rows (dimension custom_<code>) for customers whose class differs from
        the baseline run's, for dimensions the baseline also evaluated."""
        parts = []
        for code, before in self.before.items():
            after = self.codes[code]
            changed = before != after
            if changed.any():
                parts.append(
                    pd.DataFrame(
                        {
                            "customer_id": self.index[changed],
                            "dimension": f"{CUSTOM_PREFIX}{code}",
                            "from_code": before[changed],
                            "to_code": after[changed],
                        }
                    )
                )
        if not parts:
            return 0
        from segmentation.models import ClassChange

        changes = pd.concat(parts, ignore_index=True)
        changes["run_id"] = run.pk
        changes["as_of"] = run.as_of.isoformat()
        return frame_insert(
            table=ClassChange._meta.db_table,
            frame=changes,
            columns=["customer_id", "dimension", "from_code", "to_code", "run_id", "as_of"],
            integer_columns=["customer_id", "run_id"],
            text_columns=["from_code"],  # a customer new since the baseline comes from ""
        )


def _json_column(index: pd.Index, values: dict[str, np.ndarray]) -> pd.Series:
    """'{"a":"x","b":"y"}' per row. Rows share few combinations, so each distinct one is
    formatted once and spread with one take. Codes are validated slugs ([a-z0-9_]), so they
    need no escaping."""
    if not values:
        return pd.Series([None] * len(index), index=index, dtype=object)
    keys = np.zeros(len(index), dtype=np.int64)
    parts = []
    for code, arr in values.items():
        codes, uniques = pd.factorize(arr)
        keys = keys * (len(uniques) + 1) + codes
        parts.append((code, codes, uniques))
    distinct, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    texts = np.empty(len(distinct), dtype=object)
    for k, row in enumerate(first):
        texts[k] = "{" + ",".join(f'"{code}":"{u[c[row]]}"' for code, c, u in parts) + "}"
    return pd.Series(texts[inverse.ravel()], index=index, dtype=object)


def baseline_codes(texts: pd.Series, codes: list[str]) -> dict[str, np.ndarray]:
    """Each dimension's class per row from the baseline run's `custom` column as JSON text
    ("" where the row, or its dimension, is missing). Rows share a few hundred combinations,
    so each distinct text is parsed once: no JSON extraction per row and dimension in SQL."""
    values = texts.to_numpy(dtype=object)
    keys, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = [json.loads(u) if isinstance(u, str) else (u or {}) for u in uniques]
    out = {}
    for code in codes:
        table = np.array([str(d.get(code) or "") for d in parsed] + [""], dtype=object)
        out[code] = table[keys]  # -1 (no row / NULL) takes the trailing ""
    return out


def _pinned_column(index: pd.Index, pinned: dict[str, np.ndarray]) -> pd.Series:
    """{"<code>": "p", …} for rows where a pin set the class, None elsewhere (most rows: the
    rule-or-default reason follows from the class itself, see `why_of`)."""
    out = np.full(len(index), None, dtype=object)
    if pinned:
        any_pin = np.logical_or.reduce(list(pinned.values()))
        for row in np.flatnonzero(any_pin):
            out[row] = json.dumps({code: PINNED for code, hit in pinned.items() if hit[row]})
    return pd.Series(out, index=index, dtype=object)


def why_of(spec_default: str | None, code: str, stored: str | None) -> str:
    """Why a stored class was given: "p" when the run recorded a pin, else "d" for the
    default class and "r" (its rule matched) for any other. Rows written before the run
    stored only pins carry "r"/"d" themselves, which agree."""
    if stored:
        return stored
    return DEFAULT if spec_default is not None and code == spec_default else RULE


def custom_partition(
    *,
    run: Run,
    frame: pd.DataFrame,
    classes: pd.DataFrame,
    pins: pd.DataFrame | None,
    baseline: Run | None,
    baseline_custom: pd.Series | None = None,
    timings: dict[str, float] | None = None,
) -> PartitionResult | None:
    """Classifies one partition in every custom dimension the run recorded. `frame` holds the
    metrics and `classes` the effective built-in classes (after dwell and pins), both indexed
    by customer id; `baseline_custom` the baseline run's `custom` column as JSON text by
    customer id (read with its built-in classes). Returns None when no custom dimension is
    active."""
    plan = plan_for(run, baseline)
    if not plan.dimensions or frame.empty:
        return None
    clock = time.perf_counter()
    lo, hi = int(frame.index.min()), int(frame.index.max())
    base = frame.join(classes[[c for c in classes.columns if c not in frame.columns]])
    inputs = inputs_frame(base=base, fields=plan.fields, lo=lo, hi=hi).reindex(frame.index)
    codes: dict[str, np.ndarray] = {}
    pinned: dict[str, np.ndarray] = {}
    custom_pins = (
        pins[pins["dimension"].str.startswith(CUSTOM_PREFIX)]
        if pins is not None and not pins.empty
        else None
    )
    columns = Columns(inputs)
    for spec in plan.dimensions:
        code_arr, _why = classify_dimension(spec, columns)
        if custom_pins is not None and not custom_pins.empty:
            mine = custom_pins[custom_pins["dimension"] == f"{CUSTOM_PREFIX}{spec.code}"]
            allowed = {c.code for c in spec.classes} | {spec.default}
            mine = mine[mine["code"].isin(allowed)]
            if not mine.empty:
                positions = frame.index.get_indexer(mine["customer_id"].to_numpy())
                ok = positions >= 0
                code_arr[positions[ok]] = mine["code"].to_numpy()[ok]
                hit = np.zeros(len(frame.index), dtype=bool)
                hit[positions[ok]] = True
                pinned[spec.code] = hit
        codes[spec.code] = code_arr
    before: dict[str, np.ndarray] = {}
    if plan.in_baseline:
        if baseline_custom is None:
            baseline_custom = pd.Series(dtype=object)
        before = baseline_codes(baseline_custom.reindex(frame.index), sorted(plan.in_baseline))
    counts = {
        f"{CUSTOM_PREFIX}{code}": Counter(pd.Series(arr).value_counts().to_dict())
        for code, arr in codes.items()
    }
    result = PartitionResult(
        custom=_json_column(frame.index, codes),
        custom_why=_pinned_column(frame.index, pinned),
        codes=codes,
        counts=counts,
        before=before,
        index=frame.index,
    )
    if timings is not None:
        timings["custom"] = timings.get("custom", 0.0) + time.perf_counter() - clock
    return result
