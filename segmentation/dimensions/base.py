"""A dimension is one object: its classes and labels, where its class is stored, how the run
computes it and how its reason reads. The run, reasons, labels, pins, history, list filters,
aggregates, export columns, dashboards and playbook triggers iterate these objects and never
ask how a dimension came to exist.

Two kinds of storage sit behind the same methods (chosen for the nightly write at 1M
customers, see docs/architecture.md): a built-in dimension has a column of its own in the
wide class row (`<key>` and `<key>_why`); a dimension an admin defines lives in the row's
`custom` JSON object (`{code: class}`), its pins in `custom_why`, because admins add
dimensions without a migration."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import F, Q
from django.db.models.fields.json import KeyTextTransform

from crm.db import is_postgresql
from segmentation.models.choices import UNCLASSIFIED

# (class codes, why codes[, thresholds applied per row]) — object arrays of the frame's length.
Result = tuple[np.ndarray, ...]

PINNED = "pinned"  # the why code of a class set by hand, in every dimension


@dataclass(frozen=True)
class ClassifyContext:
    """What a classifier may read besides the metrics: the frozen rules of the run's
    rule-set version and the run's global cut points."""

    rules: Any
    cuts: Mapping[str, Any]
    # What several classifiers of one partition share (e.g. the rules' converted inputs).
    memo: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReasonContext:
    """What a reason may read: the customer's stored row (metrics and classes), its numbers
    and labels under rule field names (`values`, attributes and tags included), the run's
    rules, cut points and the dwell rule's pending classes."""

    rules: Any
    cuts: Mapping[str, Any]
    row: Mapping[str, Any]
    values: Mapping[str, Any]
    pending: Mapping[str, Any] | None = None
    # What several reasons of one customer share (e.g. the rule catalog), loaded once.
    memo: dict[str, Any] = field(default_factory=dict)

    def shared(self, name: str, load: Callable[[], Any]) -> Any:
        if name not in self.memo:
            self.memo[name] = load()
        return self.memo[name]


# ---- storage ------------------------------------------------------------------------------


class ColumnStorage:
    """The class in its own column `<key>`, the why code in `<key>_why`."""

    def __init__(self, key: str):
        self.key = key
        self.why_column = f"{key}_why"

    def in_class(self, code: str) -> Q:
        return Q(**{self.key: code})

    def in_classes(self, codes: list[str]) -> Q:
        return Q(**{f"{self.key}__in": codes})

    def read(self, row: Mapping[str, Any]) -> tuple[str, str]:
        return row.get(self.key) or "", row.get(self.why_column) or ""

    def columns(self) -> list[str]:
        return [self.key, self.why_column]

    def class_expr(self) -> Any:
        """An expression of the class on class rows (for GROUP BY)."""
        return F(self.key)

    @staticmethod
    def pack(classes: pd.DataFrame, specs: list[DimensionSpec]) -> dict[str, pd.Series]:
        """The row's columns for these dimensions: each class and why code as it is."""
        out: dict[str, pd.Series] = {}
        for spec in specs:
            out[spec.key] = classes[spec.key]
            out[f"{spec.key}_why"] = classes[f"{spec.key}_why"]
        return out

    @staticmethod
    def unpack(rows: pd.DataFrame, specs: list[DimensionSpec]) -> dict[str, pd.Series]:
        return {spec.key: rows[spec.key] for spec in specs if spec.key in rows}


class JsonStorage:
    """The class under `code` in the JSON object `custom`; `custom_why` holds {code: "p"}
    for pinned classes only (whether a class came from its rule or is the default follows
    from the class)."""

    RULE, DEFAULT, PIN = "r", "d", "p"

    def __init__(self, code: str, default: Callable[[], str | None]):
        self.code = code
        self._default = default

    def in_class(self, code: str) -> Q:
        # Containment on PostgreSQL, which the GIN index (jsonb_path_ops) answers.
        if is_postgresql():
            return Q(custom__contains={self.code: code})
        return Q(**{f"custom__{self.code}": code})

    def in_classes(self, codes: list[str]) -> Q:
        q = Q(pk__in=[])
        for code in codes:
            q |= self.in_class(code)
        return q

    def read(self, row: Mapping[str, Any]) -> tuple[str, str]:
        code = (row.get("custom") or {}).get(self.code) or ""
        stored = (row.get("custom_why") or {}).get(self.code)
        if stored == self.PIN:
            return code, PINNED
        if stored in (self.RULE, self.DEFAULT):  # rows written before only pins were stored
            return code, stored
        return code, self.DEFAULT if code and code == self._default() else self.RULE

    def columns(self) -> list[str]:
        return ["custom", "custom_why"]

    def class_expr(self) -> Any:
        return KeyTextTransform(self.code, "custom")

    @staticmethod
    def pack(classes: pd.DataFrame, specs: list[DimensionSpec]) -> dict[str, pd.Series]:
        """`custom` as JSON text ({code: class}) and `custom_why` ({code: "p"} where a pin set
        the class, NULL elsewhere). Rows share few combinations, so each distinct one is
        formatted once and spread with one take. Codes are validated slugs ([a-z0-9_]), so
        they need no escaping."""
        index = classes.index
        if not specs:
            return {}
        keys = np.zeros(len(index), dtype=np.int64)
        parts = []
        for spec in specs:
            codes, uniques = pd.factorize(classes[spec.key].to_numpy(dtype=object))
            keys = keys * (len(uniques) + 1) + codes
            parts.append((_code(spec), codes, uniques))
        distinct, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        texts = np.empty(len(distinct), dtype=object)
        for k, row in enumerate(first):
            texts[k] = "{" + ",".join(f'"{code}":"{u[c[row]]}"' for code, c, u in parts) + "}"
        custom = pd.Series(texts[inverse.ravel()], index=index, dtype=object)
        pinned = {_code(spec): (classes[f"{spec.key}_why"] == PINNED).to_numpy() for spec in specs}
        why = np.full(len(index), None, dtype=object)
        any_pin = np.logical_or.reduce(list(pinned.values()))
        for row in np.flatnonzero(any_pin):
            why[row] = json.dumps(
                {code: JsonStorage.PIN for code, hit in pinned.items() if hit[row]}
            )
        return {"custom": custom, "custom_why": pd.Series(why, index=index, dtype=object)}

    @staticmethod
    def unpack(rows: pd.DataFrame, specs: list[DimensionSpec]) -> dict[str, pd.Series]:
        """Each dimension's class per row from `custom_text` (the JSON as text; "" where the
        row or its dimension is missing). Rows share a few hundred combinations, so each
        distinct text is parsed once: no JSON extraction per row and dimension in SQL."""
        if "custom_text" not in rows or not specs:
            return {}
        values = rows["custom_text"].to_numpy(dtype=object)
        keys, uniques = pd.factorize(values, use_na_sentinel=True)
        parsed = [json.loads(u) if isinstance(u, str) else (u or {}) for u in uniques]
        out = {}
        for spec in specs:
            code = _code(spec)
            table = np.array([str(d.get(code) or "") for d in parsed] + [""], dtype=object)
            out[spec.key] = pd.Series(table[keys], index=rows.index)  # -1 (NULL) takes ""
        return out


Storage = ColumnStorage | JsonStorage


def _code(spec: DimensionSpec) -> str:
    if not isinstance(spec.storage, JsonStorage):
        raise TypeError(f"{spec.key} is not stored in the JSON document")
    return spec.storage.code


# ---- the dimension ------------------------------------------------------------------------


@dataclass(eq=False)
class DimensionSpec:
    """One dimension. `classify` (None for a dimension that is only labelled, e.g. a retired
    admin dimension still shown in history) maps the run's frame to classes; `stage` 1 reads
    metrics, stage 2 also reads the effective (dwell- and pin-applied) classes of stage 1.
    `inputs` names the fields beyond the metrics frame it reads (customer attributes, tags),
    which the run and the customer page load for it."""

    key: str
    name: Callable[[], str]
    classes: Callable[[], tuple[tuple[str, str], ...]]  # (code, translated label), in order
    storage: Storage
    classify: Callable[[pd.DataFrame, ClassifyContext, dict[str, Result]], Result] | None
    reason: Callable[[str, str, ReasonContext], str]
    stage: int = 1
    dwell: bool = True
    # Has a customer-list filter of its own (`?<key>=<class>`); every dimension can also be
    # filtered with `?in_class=<key>:<class>`.
    list_filter: bool = True
    # Shown as a class table on the dashboards' overview (the RFM scores have their grid).
    overview: bool = True
    export_column: str = ""
    active: bool = True
    inputs: frozenset[str] = field(default_factory=frozenset)
    # Codes never set by hand (the "unclassified" of built-in dimensions).
    not_pinnable: frozenset[str] = frozenset({UNCLASSIFIED})

    @property
    def label(self) -> str:
        return self.name()

    def codes(self) -> list[str]:
        return [code for code, _label in self.classes()]

    def class_label(self, code: str) -> str:
        if not code:
            return ""
        return dict(self.classes()).get(code, code)

    def choices(self) -> list[tuple[str, str]]:
        return list(self.classes())

    def pin_choices(self) -> list[tuple[str, str]]:
        return [(c, label) for c, label in self.classes() if c not in self.not_pinnable]

    def in_class(self, code: str) -> Q:
        """A Q on CustomerClasses rows: "in class `code` of this dimension"."""
        return self.storage.in_class(code)

    def in_classes(self, codes: list[str]) -> Q:
        return self.storage.in_classes(codes)

    def read(self, row: Mapping[str, Any]) -> tuple[str, str]:
        """(class, why code) of a stored class row (a dict of CustomerClasses values)."""
        return self.storage.read(row)

    def class_expr(self) -> Any:
        """The class as an expression on class rows (to group or annotate by)."""
        return self.storage.class_expr()

    def in_run(self, run: Any) -> bool:
        """Whether `run` computed this dimension: a finished run counted its classes."""
        return self.key in (run.counts or {})

    @property
    def export_header(self) -> str:
        return self.export_column or self.key
