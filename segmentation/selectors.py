"""Reads of the segmentation app. Every function here costs a constant number of queries,
whatever the number of customers or dimensions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone

from .custom.evaluate import inputs_frame
from .dimensions import (
    ReasonContext,
    class_label,
    dimension_label,
    dimension_spec,
    dimension_specs,
)
from .models import (
    METRIC_FIELDS,
    ClassChange,
    ClassPin,
    CustomerClasses,
    Run,
)
from .prediction import Notice, reason_build, reason_render
from .rules import rules_from_ruleset

# Export columns: the class code per dimension, then the main metrics (stable English names).
EXPORT_METRICS = (
    "recency_days",
    "orders_total",
    "orders_window",
    "revenue_total",
    "revenue_window",
    "profit_total",
    "margin_pct",
    "avg_order_value",
    "categories",
    "tenure_days",
    "active_months",
    "interval_days",
    "on_time_pct",
    "overdue_amount",
    "spend_trend_pct",
    "net_value",
    "potential_score",
    # Predicted value (issue 10): exactly these three names.
    "p_alive",
    "expected_orders_365d",
    "expected_revenue_365d",
)


def run_current() -> Run | None:
    return Run.objects.select_related("rule_set").filter(is_current=True).first()


@dataclass(frozen=True)
class ClassView:
    dimension: str
    dimension_label: str
    code: str
    label: str
    reason: str
    pin: ClassPin | None
    computed_label: str  # what the engine computed, when a pin overrides it


def customer_classes_get(*, customer_id: int, history_limit: int = 10) -> dict[str, Any]:
    """All current classes of one customer with reasons, active pins and recent changes.
    Four queries: the current run (+ rule set), the customer's row, pins, history."""
    run = run_current()
    today = timezone.localdate()
    pins = {
        p.dimension: p
        for p in ClassPin.objects.filter(
            customer_id=customer_id, expires_on__gte=today
        ).select_related("created_by")
    }
    history = list(
        ClassChange.objects.filter(customer_id=customer_id).order_by("-as_of", "-id")[
            :history_limit
        ]
    )
    row: dict[str, Any] | None = None
    if run is not None:
        found = CustomerClasses.objects.filter(run=run, customer_id=customer_id).values().first()
        row = dict(found) if found else None
    classes: list[ClassView] = []
    if run is not None and row is not None:
        classes = class_views(run=run, row=row, customer_id=customer_id, pins=pins)
    return {
        "run": run,
        "classes": classes,
        "prediction": _prediction_view(run, row),
        "metrics": {k: row[k] for k in METRIC_FIELDS} if row else {},
        "pins": [
            {
                "pin": p,
                "label": class_label(p.dimension, p.code),
                "dimension_label": dimension_label(p.dimension),
            }
            for p in pins.values()
        ],
        "history": [
            {
                "change": c,
                "dimension_label": dimension_label(c.dimension),
                "from_label": class_label(c.dimension, c.from_code),
                "to_label": class_label(c.dimension, c.to_code),
            }
            for c in history
        ],
    }


def class_views(
    *, run: Run, row: dict[str, Any], customer_id: int, pins: dict[str, ClassPin]
) -> list[ClassView]:
    """Every class `run` computed for the customer, with its reason in the active language.
    Dimensions whose rules read attributes or tags get them in two more queries."""
    specs = dimension_specs(run=run)
    fields: set[str] = set().union(*(s.inputs for s in specs))
    values: dict[str, Any] = dict(row)
    if fields:
        base = pd.DataFrame([row]).set_index(pd.Index([customer_id]))
        extra = inputs_frame(base=base, fields=fields, lo=customer_id, hi=customer_id)
        if not extra.empty:
            values.update(
                {k: (None if pd.isna(v) else v) for k, v in extra.iloc[0].to_dict().items()}
            )
    ctx = ReasonContext(
        rules=rules_from_ruleset(run.rule_set),
        cuts=run.cut_points,
        row=row,
        values=values,
        pending=row.get("pending"),
    )
    views = []
    for spec in specs:
        code, why = spec.read(row)
        if not code:
            continue  # a dimension the customer's row predates
        pin = pins.get(spec.key)
        shown = pin.code if pin else code
        views.append(
            ClassView(
                dimension=spec.key,
                dimension_label=spec.label,
                code=shown,
                label=spec.class_label(shown),
                reason=spec.reason(code, why, ctx),
                pin=pin,
                computed_label=spec.class_label(code) if pin and pin.code != code else "",
            )
        )
    return views


def _prediction_view(run: Run | None, row: dict[str, Any] | None) -> dict[str, Any] | None:
    """The three predicted figures of one customer with the plain-language reason (in the
    active language) and the fit's notices; None without a purchase or a prediction."""
    if run is None or row is None or row.get("expected_orders_365d") is None:
        return None
    if not row.get("purchase_days") or row.get("tenure_days") is None:
        return None
    alive = row["p_alive"]
    tenure = float(row["tenure_days"])
    reason = reason_build(
        frequency=float(row["purchase_days"] - 1),
        recency=tenure - float(row["recency_days"] or 0),
        tenure=tenure,
        p_alive=float("nan") if alive is None else float(alive),
        expected_orders=float(row["expected_orders_365d"]),
    )
    fit = run.prediction or {}
    notices = [
        Notice(n["code"], n.get("params") or {}).message
        for n in fit.get("notices", [])
        if n.get("code")
    ]
    return {
        "p_alive_pct": None if alive is None else round(100 * alive),
        "expected_orders": row["expected_orders_365d"],
        "expected_revenue": row["expected_revenue_365d"],
        "reason": reason_render(reason),
        "notices": notices,
    }


def customers_in_class(
    queryset: QuerySet, *, dimension: str, code: str, run: Run | None = None
) -> QuerySet:
    """Narrows a customer queryset to those whose current class in `dimension` is `code`
    (one semi-join on the current run; no current run or unknown dimension → none)."""
    run = run or run_current()
    spec = dimension_spec(dimension)
    if run is None or spec is None:
        return queryset.none()
    ids = CustomerClasses.objects.filter(spec.in_class(code), run=run).values("customer_id")
    return queryset.filter(pk__in=ids)


def class_changes_list(
    *, dimension: str, to_code: str, since: dt.date, customer_ids: QuerySet | None = None
) -> QuerySet[ClassChange]:
    """E.g. who became dormant since Monday (one indexed query)."""
    qs = ClassChange.objects.filter(dimension=dimension, to_code=to_code, as_of__gte=since)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    return qs


def export_headers() -> list[str]:
    """The export's class and metric columns: one per current dimension (its stable key),
    then the main metrics. Called once per export (admins add dimensions at runtime)."""
    return [*(spec.export_header for spec in dimension_specs()), *EXPORT_METRICS]


def classes_for_export(customer_ids: Sequence[int]) -> dict[int, list[Any]]:
    """{customer id: [class per dimension…, metric…]} for one batch of an export, in the
    order of `export_headers()`: one query."""
    run = run_current()
    if run is None:
        return {}
    specs = dimension_specs()
    columns = list(dict.fromkeys(c for s in specs for c in s.storage.columns()))
    rows = CustomerClasses.objects.filter(run=run, customer_id__in=list(customer_ids)).values(
        "customer_id", *columns, *EXPORT_METRICS
    )
    return {
        row["customer_id"]: [
            *(spec.read(row)[0] for spec in specs),
            *(row[m] for m in EXPORT_METRICS),
        ]
        for row in rows
    }
