"""The playbook dashboards — adherence, effectiveness and the rep's book of business.

The figures come from strategies' selectors (strategies.selectors.adherence_dashboard,
.effectiveness, .rep_book), which read the totals written after each run; this module turns
them into chart data and tables where every number carries the URL of the list behind it
(the customer list filtered by the scope plus `playbook=`, `outcome=`, a class or `moved=`;
or the task page of one rep)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from segmentation.filters import moved_value
from strategies.filters import outcome_value
from strategies.models import OUTCOME_WINDOWS
from strategies.selectors.adherence_dashboard import WEEK_CHOICES, adherence_chart
from strategies.selectors.effectiveness import ALL_PLAYBOOKS, playbook_effectiveness
from strategies.selectors.rep_book import rep_book_get, reps_for_book

from ..scope import Scope

STEP_GROUPS = ("kept", "not_kept", "none_due")


def _filters(scope: Scope) -> dict:
    return {"team": scope.team_id, "owner": scope.owner_id, **scope.attrs}


def _tasks_url(owner_id: int | None) -> str:
    base = reverse("strategies:tasks")
    return f"{base}?{urlencode({'owner': owner_id})}" if owner_id else base


def _choice(value, choices, default):
    try:
        value = type(default)(value)
    except (TypeError, ValueError):
        return default
    return value if value in choices else default


# ---------------------------------------------------------------- adherence


def adherence_options(params) -> dict:
    return {
        "weeks": _choice(params.get("weeks"), WEEK_CHOICES, WEEK_CHOICES[0]),
        "group": _choice(params.get("group"), ("rep", "playbook"), "rep"),
    }


def adherence_data(*, scope: Scope, user, weeks: int, group: str) -> dict:
    """Tasks on time / late / missed / open per rep or playbook and the weekly on-time
    trend. A bar of a rep opens that rep's tasks; a bar of a playbook the customers
    following it; a week of the trend the live adherence table of that week."""
    if scope.nothing:
        chart = None
        rows = []
    else:
        chart = adherence_chart(user=user, weeks=weeks, group_by=group, filters=_filters(scope))
        rows = chart.rows
    table: list[dict[str, Any]] = []
    for r in rows:
        if group == "rep":
            url = _tasks_url(r.key)
        else:
            url = scope.customers_url(playbook=r.code) if r.code else ""
        table.append({"row": r, "url": url})
    live = reverse("strategies:adherence")
    series = [
        ("on_time", _("On time")),
        ("late", _("Late")),
        ("missed", _("Missed")),
        ("still_open", _("Still open")),
    ]
    bars = {
        "categories": [t["row"].label for t in table],
        "series": [
            {
                "name": str(name),
                "key": key,
                "data": [{"value": getattr(t["row"], key), "url": t["url"]} for t in table],
            }
            for key, name in series
        ],
    }
    trend = {
        "name": _("On time (%)"),
        "points": [
            {
                "label": f"{start:%m-%d}–{end:%m-%d}",
                "value": pct,
                "url": f"{live}?"
                + urlencode(
                    {"date_from": start.isoformat(), "date_to": end.isoformat(), "group_by": group}
                ),
            }
            for start, end, pct in (chart.trend if chart else [])
        ],
    }
    live_url = live
    if chart and chart.as_of and chart.date_from:
        live_url += "?" + urlencode(
            {
                "date_from": chart.date_from.isoformat(),
                "date_to": chart.as_of.isoformat(),
                "group_by": group,
            }
        )
    return {
        "chart": chart,
        "tasks_url": _tasks_url(scope.owner_id),
        "table": table,
        "bars": bars,
        "trend": trend,
        "live_url": live_url,
        "weeks": weeks,
        "group": group,
        "week_choices": WEEK_CHOICES,
    }


def adherence_export(data: dict) -> tuple[list[str], list[list]]:
    headers = ["group", "name", "due", "on_time", "late", "missed", "still_open",
               "not_applicable", "on_time_pct"]  # fmt: skip
    rows = [
        [data["group"], t["row"].label, t["row"].due, t["row"].on_time, t["row"].late,
         t["row"].missed, t["row"].still_open, t["row"].not_applicable, t["row"].on_time_pct]
        for t in data["table"]
    ]  # fmt: skip
    return headers, rows


# ---------------------------------------------------------------- effectiveness


def effectiveness_options(params) -> dict:
    return {
        "window": _choice(params.get("window"), OUTCOME_WINDOWS, OUTCOME_WINDOWS[0]),
        "group": _choice(params.get("group"), ("playbook", "rep"), "playbook"),
        "result": _choice(params.get("result"), ("improved", "slipped"), "improved"),
    }


def effectiveness_data(*, scope: Scope, user, window: int, group: str, result: str) -> dict:
    """Per playbook (= class) or per rep: of the customers who started a playbook, the share
    that improved (or slipped) within `window` days, steps kept vs not kept. Each number
    opens the customers behind it (`outcome=` filter)."""
    if scope.nothing:
        eff = None
        rows = []
    else:
        eff = playbook_effectiveness(
            user=user, window=window, group_by=group, filters=_filters(scope)
        )
        rows = eff.rows
    table: list[dict[str, Any]] = []
    for r in rows:
        code = r.code or ALL_PLAYBOOKS
        extra = {"owner": str(r.key)} if group == "rep" and r.key else {}

        def url(steps: str, res: str, code=code, extra=extra) -> str:
            value = outcome_value(playbook_code=code, window=window, steps=steps, result=res)
            return _customers_url(scope, extra, outcome=value)

        cells: dict[str, Any] = {}
        for steps in STEP_GROUPS:
            cell = getattr(r, steps)
            cells[steps] = {
                "cell": cell,
                "url": url(steps, "all"),
                "improved_url": url(steps, "improved"),
                "slipped_url": url(steps, "slipped"),
            }
        table.append({"row": r, "cells": cells, "url": url("all", "all")})

    def value(cell, row):
        if result == "improved" and not row.can_improve:
            return None
        if result == "slipped" and not row.can_slip:
            return None
        return cell.improved_pct if result == "improved" else cell.slipped_pct

    names = {"kept": _("Steps kept"), "not_kept": _("Steps not kept")}
    bars = {
        "categories": [
            f"{t['row'].label}" + (f" · {t['row'].class_label}" if t["row"].class_label else "")
            for t in table
        ],
        "unit": "%",
        "series": [
            {
                "name": str(names[steps]),
                "key": steps,
                "data": [
                    {
                        "value": value(t["cells"][steps]["cell"], t["row"]),
                        "n": t["cells"][steps]["cell"].entered,
                        "url": t["cells"][steps][f"{result}_url"],
                    }
                    for t in table
                ],
            }
            for steps in ("kept", "not_kept")
        ],
    }
    total = outcome_value(playbook_code=ALL_PLAYBOOKS, window=window)
    return {
        "eff": eff,
        "total_url": scope.customers_url(outcome=total),
        "table": table,
        "bars": bars,
        "window": window,
        "group": group,
        "result": result,
        "windows": OUTCOME_WINDOWS,
    }


def _customers_url(scope: Scope, extra: dict, **classes: str) -> str:
    """scope.customers_url with the row's own narrowing (a rep row adds its owner)."""
    if not extra:
        return scope.customers_url(**classes)
    params = {**scope.chosen, **extra, **classes}
    return f"{reverse('customers:list')}?{urlencode(params)}"


def effectiveness_export(data: dict) -> tuple[list[str], list[list]]:
    headers = ["group", "name", "dimension", "class", "window_days"]
    for steps in STEP_GROUPS:
        headers += [f"{steps}_customers", f"{steps}_improved", f"{steps}_slipped"]
    headers += ["lift_points"]
    rows = []
    for t in data["table"]:
        r = t["row"]
        line = [data["group"], r.label, r.dimension_label, r.class_label, data["window"]]
        for steps in STEP_GROUPS:
            c = t["cells"][steps]["cell"]
            line += [c.entered, c.improved, c.slipped]
        line.append(r.lift)
        rows.append(line)
    return headers, rows


# ---------------------------------------------------------------- rep book


def rep_book_data(*, scope: Scope, user, today: dt.date) -> dict:
    """The book of the rep chosen in the filter bar (a rep: their own). Without a rep, the
    list of reps whose book the user may open."""
    if scope.nothing:
        return {"book": None, "reps": []}
    if not scope.owner_id:
        reps = list(reps_for_book(user=user))
        base = {k: v for k, v in scope.chosen.items() if k != "owner"}
        return {
            "book": None,
            "reps": [{"rep": r, "url": "?" + urlencode({**base, "owner": r.pk})} for r in reps],
        }
    book = rep_book_get(user=user, rep_id=scope.owner_id, today=today, attrs=scope.attrs)
    until = book.run.as_of if book.run else today
    dims = []
    for d in book.dimensions:
        classes = [
            {
                "label": c.label,
                "code": c.code,
                "customers": c.customers,
                "revenue": c.revenue,
                "url": scope.customers_url(**{d.dimension: c.code}),
            }
            for c in d.classes
        ]
        dims.append(
            {
                "dimension": d.dimension,
                "label": d.label,
                "classes": classes,
                "chart": {
                    "items": [
                        {"name": c["label"], "value": c["customers"], "url": c["url"]}
                        for c in classes
                    ]
                },
            }
        )
    moves = []
    for m in book.movements:
        moved = moved_value(
            dimension=m.dimension, from_code=m.from_code, to_code=m.to_code,
            after=book.since, until=until,
        )  # fmt: skip
        moves.append({"move": m, "url": scope.customers_url(moved=moved)})
    return {
        "book": book,
        "dimensions": dims,
        "movements": moves,
        "tasks_url": _tasks_url(book.rep.pk),
        "customers_url": scope.customers_url(),
        "reps": [],
    }


def rep_book_export(data: dict) -> tuple[list[str], list[list]]:
    headers = ["section", "dimension", "class_from", "class_to", "customers", "revenue_window"]
    rows: list[list] = []
    for d in data.get("dimensions", []):
        for c in d["classes"]:
            rows.append(["classes", d["label"], "", c["label"], c["customers"], c["revenue"]])
    for item in data.get("movements", []):
        m = item["move"]
        rows.append(["movements", m.dimension_label, m.from_label, m.to_label, m.customers, ""])
    book = data.get("book")
    if book is not None:
        rows.append(["tasks_open", "", "", "", book.tasks.open, ""])
        rows.append(["tasks_overdue", "", "", "", book.tasks.overdue, ""])
        rows.append(["tasks_due_today", "", "", "", book.tasks.due_today, ""])
        rows.append(["overdue_touch", "", "", "", book.overdue_touch_count, ""])
    return headers, rows
