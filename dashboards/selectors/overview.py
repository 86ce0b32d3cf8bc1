"""Overview: per dimension, customers and revenue share per class with the change since the
previous run and since about a month ago; headline numbers. Four queries whatever the data
size: the runs, and one aggregate read per compared run."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from segmentation.dimensions import BUILTIN, dimension_specs

from ..scope import Scope
from .common import label, money, pct, run_trio

# Dimensions shown on the overview, in this order (RFM scores have their own grid page).
ACTIVE_LIFECYCLES = ("new", "repeat", "loyal")
FLAG_DIMENSIONS = ("churn_warning", "payment_risk", "problem_customer")


def _index(rows: list[dict]) -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for row in rows:
        out[row["dimension"]][row["code"]] = row
    return out


# Long on purpose: one page's data: the per-dimension tables and headline figures share three
# grouped reads.
def overview_data(*, scope: Scope) -> dict:
    trio = run_trio()
    specs = {
        s.key: s
        for s in (dimension_specs(run=trio.current) if trio.current else BUILTIN)
        if s.overview
    }
    shown = tuple(specs)
    now = _index(scope.class_rows(run=trio.current, dimensions=shown))
    prev = _index(scope.class_rows(run=trio.previous, dimensions=shown))
    month = _index(scope.class_rows(run=trio.month_ago, dimensions=shown))
    dimensions = []
    for dim in shown:
        classes = now.get(dim, {})
        total_n = sum(r["customers"] for r in classes.values())
        total_rev = sum(r["revenue_window"] or 0 for r in classes.values())
        order = specs[dim].codes()
        dim_label = specs[dim].label
        rows = []
        # Classes empty now but filled before still show (0, with the drop).
        codes = set(classes) | set(prev.get(dim, {})) | set(month.get(dim, {}))
        empty = {"customers": 0, **{s: 0.0 for s in ("revenue_window", "overdue_amount")}}
        for code in sorted(codes, key=lambda c: order.index(c) if c in order else 99):
            r = classes.get(code, empty)
            rows.append(
                {
                    "code": code,
                    "label": label(dim, code),
                    "customers": r["customers"],
                    "customers_pct": pct(r["customers"], total_n),
                    "revenue": money(r["revenue_window"]),
                    "revenue_pct": pct(r["revenue_window"] or 0, total_rev),
                    "delta_previous": _delta(r, prev, dim, code),
                    "delta_month": _delta(r, month, dim, code),
                    **_delta_view("delta_previous", _delta(r, prev, dim, code)),
                    **_delta_view("delta_month", _delta(r, month, dim, code)),
                    "url": (
                        scope.customers_url(**{dim: code})
                        if specs[dim].list_filter
                        else scope.customers_url(in_class=f"{dim}:{code}")
                    ),
                }
            )
        dimensions.append(
            {
                "dimension": dim,
                "label": dim_label,
                "rows": rows,
                "customers": total_n,
                "chart": {
                    "title": dim_label,
                    "labels": {
                        "customers": _("Customers"),
                        "revenue": _("Revenue share (%)"),
                    },
                    "items": [
                        {
                            "name": r["label"],
                            "value": r["customers"],
                            "revenue_pct": r["revenue_pct"] or 0,
                            "url": r["url"],
                        }
                        for r in rows
                    ],
                },
            }
        )
    lifecycle = now.get("lifecycle", {})
    all_rows = list(lifecycle.values())
    headline = {
        "customers": sum(r["customers"] for r in all_rows),
        "customers_url": scope.customers_url(),
        "active": sum(lifecycle[c]["customers"] for c in ACTIVE_LIFECYCLES if c in lifecycle),
        "active_url": scope.customers_url(active="yes"),
        "revenue_window": money(sum(r["revenue_window"] or 0 for r in all_rows)),
        "churn_warnings": now.get("churn_warning", {}).get("yes", {}).get("customers", 0),
        "churn_url": scope.customers_url(churn_warning="yes"),
        "overdue_amount": money(sum(r["overdue_amount"] or 0 for r in all_rows)),
        "payment_url": scope.customers_url(payment_risk="yes"),
    }
    return {
        "runs": trio,
        "headline": headline,
        "dimensions": dimensions,
        "has_previous": bool(prev),
        "has_month": bool(month),
    }


def _delta(row: dict, other: dict, dim: str, code: str) -> int | None:
    """Customers now minus then; None when the compared run has no data for this scope."""
    if not other:
        return None
    then = other.get(dim, {}).get(code)
    return row["customers"] - (then["customers"] if then else 0)


def _delta_view(name: str, value: int | None) -> dict[str, str]:
    """Text and CSS class of a change (rendered in the row; an include per cell was slow)."""
    if value is None:
        return {f"{name}_text": "—", f"{name}_class": "muted"}
    if value > 0:
        return {f"{name}_text": f"+{value:,}", f"{name}_class": "delta-up"}
    if value < 0:
        return {f"{name}_text": f"{value:,}", f"{name}_class": "delta-down"}
    return {f"{name}_text": "0", f"{name}_class": "muted"}


def overview_export(data: dict) -> tuple[list[str], list[list]]:
    headers = [
        "dimension",
        "class",
        "customers",
        "customers_pct",
        "revenue_window",
        "revenue_pct",
        "change_since_previous_run",
        "change_since_month_ago",
    ]
    rows = [
        [
            d["dimension"],
            r["code"],
            r["customers"],
            r["customers_pct"],
            r["revenue"],
            r["revenue_pct"],
            r["delta_previous"],
            r["delta_month"],
        ]
        for d in data["dimensions"]
        for r in d["rows"]
    ]
    return headers, rows
