"""Funnel: prospect → intent → new → repeat → loyal for a period (two runs), with the
conversion of each step beside the reference figures of DOMAIN.md (a sale succeeds with about
6% of prospects, 15% of first-time buyers, 50% of repeat and loyal customers).

Conversion of a step = customers who moved from the step's classes to a later stage in the
runs of the period ÷ customers in the step's classes at the start of the period. Three
queries: runs, the start run's class counts, the period's lifecycle transitions."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from segmentation.filters import moved_value

from ..scope import Scope
from .common import label, pct
from .movements import movement_runs

STAGES = ("prospect", "intent", "new", "repeat", "loyal")
# (from classes, to classes, reference conversion % or None, caption)
STEPS = (
    (("prospect",), ("intent", "new", "repeat", "loyal"), None, gettext_lazy("show interest")),
    (("prospect", "intent"), ("new", "repeat", "loyal"), 6, gettext_lazy("first purchase")),
    (("new",), ("repeat", "loyal"), 15, gettext_lazy("buy again")),
    (("repeat",), ("loyal",), 50, gettext_lazy("become loyal")),
)


def funnel_data(*, scope: Scope, from_id: int | None = None, to_id: int | None = None) -> dict:
    runs, start, end = movement_runs(from_id=from_id, to_id=to_id)
    data: dict[str, Any] = {
        "runs": runs,
        "from_run": start,
        "to_run": end,
        "stages": [],
        "steps": [],
    }
    if end is None:
        return data
    now = {r["code"]: r["customers"] for r in scope.class_rows(run=end, dimensions=["lifecycle"])}
    data["stages"] = [
        {
            "code": code,
            "label": label("lifecycle", code),
            "customers": now.get(code, 0),
            "url": scope.customers_url(lifecycle=code),
        }
        for code in STAGES
    ]
    data["stages_chart"] = {
        "items": [
            {"name": s["label"], "value": s["customers"], "url": s["url"]} for s in data["stages"]
        ]
    }
    if start is None:
        return data
    before = {
        r["code"]: r["customers"] for r in scope.class_rows(run=start, dimensions=["lifecycle"])
    }
    span = [r.pk for r in runs if start.as_of < r.as_of <= end.as_of]
    moves = scope.transition_rows(runs=span, dimension="lifecycle")
    steps = []
    for froms, tos, reference, caption in STEPS:
        base = sum(before.get(c, 0) for c in froms)
        moved = sum(
            m["customers"] for m in moves if m["from_code"] in froms and m["to_code"] in tos
        )
        steps.append(
            {
                "label": " / ".join(label("lifecycle", c) for c in froms) + " → " + str(caption),
                "base": base,
                "moved": moved,
                "rate": pct(moved, base),
                "reference": reference,
                "base_url": scope.customers_url(lifecycle=froms[0]) if len(froms) == 1 else "",
                "url": scope.customers_url(
                    moved=moved_value(
                        dimension="lifecycle",
                        from_code=",".join(froms),
                        to_code=",".join(tos),
                        after=start.as_of,
                        until=end.as_of,
                    )
                ),
            }
        )
    data["steps"] = steps
    data["chart"] = {
        "labels": {
            "actual": _("Conversion in this period (%)"),
            "reference": _("Reference (%)"),
        },
        "steps": [
            {
                "name": s["label"],
                "rate": s["rate"] or 0,
                "reference": s["reference"],
                "url": s["url"],
            }
            for s in steps
        ],
    }
    return data


def funnel_export(data: dict) -> tuple[list[str], list[list]]:
    headers = ["step", "customers_at_start", "moved_on", "conversion_pct", "reference_pct"]
    rows = [[s["label"], s["base"], s["moved"], s["rate"], s["reference"]] for s in data["steps"]]
    rows += [[f"stage: {s['code']}", s["customers"], "", "", ""] for s in data["stages"]]
    return headers, rows
