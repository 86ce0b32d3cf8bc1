"""RFM grid: recency score × frequency score, cell = customers (colour) and average monetary
(label: revenue in window per customer); the named RFM segments with counts. Two queries."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from segmentation.models import CLASS_CHOICES
from segmentation.models.aggregates import PAIR_SEPARATOR

from ..scope import Scope
from .common import label, money, run_trio

SCORES = ("1", "2", "3", "4", "5")


def rfm_data(*, scope: Scope) -> dict:
    run = run_trio().current
    rows = scope.class_rows(run=run, dimensions=["rfm_rf", "rfm_segment"])
    pairs = {r["code"]: r for r in rows if r["dimension"] == "rfm_rf"}
    segments = {r["code"]: r for r in rows if r["dimension"] == "rfm_segment"}
    cells: list[dict[str, Any]] = []
    for xi, f in enumerate(SCORES):
        for yi, r_score in enumerate(SCORES):
            row = pairs.get(f"{r_score}{PAIR_SEPARATOR}{f}")
            n = row["customers"] if row else 0
            avg = money((row["revenue_window"] or 0) / n) if row and n else None
            cells.append(
                {
                    "r": r_score,
                    "f": f,
                    "customers": n,
                    "avg_monetary": avg,
                    "url": scope.customers_url(rfm_r=r_score, rfm_f=f),
                    "value": [xi, yi, n],
                }
            )
    order = list(CLASS_CHOICES["rfm_segment"].values)
    seg_rows = [
        {
            "code": code,
            "label": label("rfm_segment", code),
            "customers": segments[code]["customers"],
            "avg_monetary": money(
                (segments[code]["revenue_window"] or 0) / segments[code]["customers"]
            )
            if segments[code]["customers"]
            else None,
            "url": scope.customers_url(rfm_segment=code),
        }
        for code in sorted(segments, key=lambda c: order.index(c) if c in order else 99)
    ]
    return {
        "run": run,
        "cells": cells,
        "segments": seg_rows,
        "grid": {
            "x": list(SCORES),
            "y": list(SCORES),
            "labels": {
                "x": _("Frequency score (F)"),
                "y": _("Recency score (R)"),
                "customers": _("Customers"),
                "avg": _("Average revenue"),
            },
            "cells": [
                {
                    "value": c["value"],
                    "avg": float(c["avg_monetary"]) if c["avg_monetary"] is not None else None,
                    "url": c["url"],
                }
                for c in cells
            ],
            "max": max((c["customers"] for c in cells), default=0),
        },
        "segment_chart": {
            "items": [
                {"name": s["label"], "value": s["customers"], "url": s["url"]} for s in seg_rows
            ]
        },
    }


def rfm_export(data: dict) -> tuple[list[str], list[list]]:
    headers = ["r_score", "f_score", "customers", "average_revenue_window"]
    rows = [[c["r"], c["f"], c["customers"], c["avg_monetary"]] for c in data["cells"]]
    rows += [
        [f"segment: {s['code']}", "", s["customers"], s["avg_monetary"]] for s in data["segments"]
    ]
    return headers, rows
