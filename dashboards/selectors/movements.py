"""Class movements: for one dimension and two runs, how many customers moved from each class
to each other class (transition matrix / Sankey). Reads TransitionAggregate summed over the
runs after the first and up to the second: for two consecutive runs this is the exact
transition matrix; over several runs a customer who moved twice counts in both moves.
Three queries: the runs, the transitions, the class counts of the later run."""

from __future__ import annotations

from django.utils.translation import gettext as _

from segmentation.filters import moved_value
from segmentation.models import CLASS_CHOICES, Dimension, Run

from ..scope import Scope
from .common import label, runs_succeeded

MOVEMENT_DIMENSIONS = (
    "lifecycle",
    "value_tier",
    "loyalty",
    "potential",
    "value_potential",
    "frequency",
    "rfm_segment",
    "churn_warning",
    "payment_risk",
    "problem_customer",
)
NEW_CODE = ""  # from_code of a customer new since the previous run


def movement_runs(
    *, from_id: int | None, to_id: int | None
) -> tuple[list[Run], Run | None, Run | None]:
    """(runs newest first, the earlier run, the later run); defaults: current vs previous."""
    runs = runs_succeeded()
    by_id = {r.pk: r for r in runs}
    to_run = (by_id.get(to_id) if to_id is not None else None) or next(
        (r for r in runs if r.is_current), None
    )
    if to_run is None:
        return runs, None, None
    older = [r for r in runs if r.as_of < to_run.as_of]
    from_run = by_id.get(from_id) if from_id in by_id else None
    if from_run is None or from_run.as_of >= to_run.as_of:
        from_run = older[0] if older else None
    return runs, from_run, to_run


# Long on purpose: builds one page's matrix, Sankey and export rows from the same grouped read;
# pieces would pass half-built dicts around.
def movements_data(
    *, scope: Scope, dimension: str, from_id: int | None = None, to_id: int | None = None
) -> dict:
    runs, from_run, to_run = movement_runs(from_id=from_id, to_id=to_id)
    base = {
        "dimension": dimension,
        "dimension_label": str(Dimension(dimension).label),
        "runs": runs,
        "from_run": from_run,
        "to_run": to_run,
        "rows": [],
        "total": 0,
    }
    if from_run is None or to_run is None:
        return base
    span = [r.pk for r in runs if from_run.as_of < r.as_of <= to_run.as_of]
    moves = scope.transition_rows(runs=span, dimension=dimension)
    order = list(CLASS_CHOICES[dimension].values)

    def key(code: str) -> int:
        return -1 if code == NEW_CODE else (order.index(code) if code in order else 99)

    def name(code: str) -> str:
        return _("(new customer)") if code == NEW_CODE else label(dimension, code)

    rows = []
    for m in sorted(moves, key=lambda m: (key(m["from_code"]), key(m["to_code"]))):
        url = scope.customers_url(
            moved=moved_value(
                dimension=dimension,
                from_code=m["from_code"],
                to_code=m["to_code"],
                after=from_run.as_of,
                until=to_run.as_of,
            )
        )
        rows.append(
            {
                "from_code": m["from_code"],
                "to_code": m["to_code"],
                "from_label": name(m["from_code"]),
                "to_label": name(m["to_code"]),
                "customers": m["customers"],
                "url": url,
            }
        )
    froms = sorted({r["from_code"] for r in rows}, key=key)
    tos = sorted({r["to_code"] for r in rows}, key=key)
    heat = {
        "x": [name(c) for c in tos],
        "y": [name(c) for c in froms],
        "labels": {"from": _("From"), "to": _("To"), "customers": _("Customers")},
        "cells": [
            {
                "value": [tos.index(r["to_code"]), froms.index(r["from_code"]), r["customers"]],
                "url": r["url"],
            }
            for r in rows
        ],
        "max": max((r["customers"] for r in rows), default=0),
    }
    before, after = _("before"), _("after")
    sankey = {
        "nodes": [{"name": f"{name(c)} ({before})"} for c in froms]
        + [{"name": f"{name(c)} ({after})"} for c in tos],
        "links": [
            {
                "source": f"{r['from_label']} ({before})",
                "target": f"{r['to_label']} ({after})",
                "value": r["customers"],
                "url": r["url"],
            }
            for r in rows
        ],
    }
    consecutive = len(span) == 1
    return {
        **base,
        "rows": rows,
        "total": sum(r["customers"] for r in rows),
        "heat": heat,
        "sankey": sankey,
        "consecutive": consecutive,
    }


def movements_export(data: dict) -> tuple[list[str], list[list]]:
    headers = ["dimension", "from_run", "to_run", "from_class", "to_class", "customers"]
    rows = [
        [
            data["dimension"],
            data["from_run"].as_of if data["from_run"] else "",
            data["to_run"].as_of if data["to_run"] else "",
            r["from_code"],
            r["to_code"],
            r["customers"],
        ]
        for r in data["rows"]
    ]
    return headers, rows
