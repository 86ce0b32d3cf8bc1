"""Value × potential (value tier × purchase potential heat map, and the four quadrant classes)
and the Pareto curve of revenue concentration.

The Pareto curve is stored per run for the whole base, per team and per rep (ParetoCurve):
buyers (revenue in window > 0) sorted by revenue, in 100 equal groups. With an attribute
filter there is no stored curve; the page says so rather than drawing another scope's.
Three queries: runs, the class counts, the curve."""

from __future__ import annotations

from django.utils.translation import gettext as _

from segmentation.models import ParetoCurve
from segmentation.models.aggregates import PAIR_SEPARATOR

from ..scope import Scope
from .common import label, money, pct, run_trio

TIERS = ("core", "important", "ordinary", "potential")
POTENTIALS = ("high", "medium", "low")
# The prospect cell: never-bought customers, placed by potential alone (docs/classification.md).
QUADRANTS = ("star", "cash_cow", "potential", "long_tail", "prospect")
PARETO_SHARE = 80.0


def share_of_customers_for(points: list[list[float]], revenue_share: float) -> float | None:
    """The customer share (%) whose revenue first reaches `revenue_share` %, interpolated
    linearly between the stored points."""
    prev: tuple[float, float] | None = None  # the previous (customer %, revenue %) point
    for x, y in points:
        if y >= revenue_share:
            if prev is None:
                return round(x, 1)
            px, py = prev
            if y == py:
                return round(x, 1)
            return round(px + (x - px) * (revenue_share - py) / (y - py), 1)
        prev = (x, y)
    return None


# Long on purpose: one page's data: the matrix, the Pareto curve and their links share the same
# reads.
def value_data(*, scope: Scope) -> dict:
    trio = run_trio()
    run = trio.current
    rows = scope.class_rows(run=run, dimensions=["value_x_potential", "value_potential"])
    pairs = {r["code"]: r for r in rows if r["dimension"] == "value_x_potential"}
    quads = {r["code"]: r for r in rows if r["dimension"] == "value_potential"}
    total = sum(r["customers"] for r in quads.values())
    cells = []
    for yi, tier in enumerate(TIERS):
        for xi, pot in enumerate(POTENTIALS):
            r = pairs.get(f"{tier}{PAIR_SEPARATOR}{pot}")
            n = r["customers"] if r else 0
            cells.append(
                {
                    "tier": tier,
                    "potential": pot,
                    "tier_label": label("value_tier", tier),
                    "potential_label": label("potential", pot),
                    "customers": n,
                    "revenue": money(r["revenue_window"] if r else 0),
                    "url": scope.customers_url(value_tier=tier, potential=pot),
                    "value": [xi, yi, n],
                }
            )
    quadrants = [
        {
            "code": q,
            "label": label("value_potential", q),
            "customers": quads[q]["customers"] if q in quads else 0,
            "customers_pct": pct(quads[q]["customers"] if q in quads else 0, total),
            "revenue": money(quads[q]["revenue_window"] if q in quads else 0),
            "url": scope.customers_url(value_potential=q),
        }
        for q in QUADRANTS
    ]
    curve = None
    if run is not None and scope.grain in ("all", "team", "owner"):
        found = list(scope.aggregate_filter(ParetoCurve, run=run))
        # A rep's customers sit in one team (one curve); if ever in several, show the largest.
        curve = max(found, key=lambda c: c.customers, default=None)
    pareto = None
    if curve is not None and curve.customers:
        share = share_of_customers_for(curve.points, PARETO_SHARE)
        pareto = {
            "customers": curve.customers,
            "revenue": money(curve.revenue),
            "share_for_80": share,
            "top_customers_for_80": round(curve.customers * share / 100) if share else None,
            "chart": {
                "labels": {
                    "x": _("Share of buying customers (%)"),
                    "y": _("Share of revenue (%)"),
                    "line": _("Cumulative revenue"),
                    "even": _("Even spread"),
                },
                "points": curve.points,
                "mark": [share, PARETO_SHARE] if share is not None else None,
            },
        }
    return {
        "run": run,
        "heat": {
            "x": [label("potential", p) for p in POTENTIALS],
            "y": [label("value_tier", t) for t in TIERS],
            "labels": {
                "x": _("Purchase potential"),
                "y": _("Value tier"),
                "customers": _("Customers"),
            },
            "cells": [{"value": c["value"], "url": c["url"]} for c in cells],
            "max": max((c["customers"] for c in cells), default=0),
        },
        "cells": cells,
        "quadrants": quadrants,
        "quadrant_chart": {
            "items": [
                {"name": q["label"], "value": q["customers"], "url": q["url"]} for q in quadrants
            ]
        },
        "pareto": pareto,
        "pareto_unavailable": run is not None and scope.grain not in ("all", "team", "owner"),
    }


def value_export(data: dict) -> tuple[list[str], list[list]]:
    headers = ["value_tier", "potential", "customers", "revenue_window"]
    rows = [[c["tier"], c["potential"], c["customers"], c["revenue"]] for c in data["cells"]]
    rows += [
        [f"quadrant: {q['code']}", "", q["customers"], q["revenue"]] for q in data["quadrants"]
    ]
    return headers, rows
