"""Every call the API makes into segmentation, in one module. Dimensions come from the
dimension registry (built-in and admin-defined alike); reads go through segmentation's public
selectors (never the class columns directly); a run is started through the run pipeline, as
the admin's "run now" does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, QuerySet

from segmentation import selectors as seg
from segmentation.dimensions import BUILTIN, class_label, dimension_label, dimension_specs
from segmentation.models import ClassAggregate, ClassChange, Run, RunStatus


def dimensions() -> tuple[str, ...]:
    """Every dimension the next run computes (admin-defined ones are added at runtime)."""
    return tuple(spec.key for spec in dimension_specs())


def builtin_dimensions() -> tuple[str, ...]:
    """The dimensions written in code (known at import, e.g. for the schema's description)."""
    return tuple(spec.key for spec in BUILTIN)


def classes_of(customer_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """{customer id: {dimension: class code}} of the current run, one query for the batch."""
    rows = seg.classes_for_export(customer_ids)
    dims = list(dimensions())
    return {cid: dict(zip(dims, values[: len(dims)], strict=True)) for cid, values in rows.items()}


def customer_classes(*, customer_id: int, history_limit: int = 50) -> dict[str, Any]:
    """One customer's classes with reasons (in the active language), pins and history."""
    data = seg.customer_classes_get(customer_id=customer_id, history_limit=history_limit)
    run = data["run"]
    return {
        "run": {"id": run.pk, "as_of": run.as_of.isoformat()} if run else None,
        "classes": [
            {
                "dimension": c.dimension,
                "dimension_label": c.dimension_label,
                "code": c.code,
                "label": c.label,
                "reason": c.reason,
                "pinned": c.pin is not None,
                "pin_reason": c.pin.reason if c.pin else "",
                "pin_expires_on": c.pin.expires_on.isoformat() if c.pin else None,
                "computed_label": c.computed_label,
            }
            for c in data["classes"]
        ],
        "history": [
            {
                "as_of": h["change"].as_of.isoformat(),
                "dimension": h["change"].dimension,
                "dimension_label": h["dimension_label"],
                "from_code": h["change"].from_code,
                "from_label": h["from_label"],
                "to_code": h["change"].to_code,
                "to_label": h["to_label"],
            }
            for h in data["history"]
        ],
    }


# Runs -------------------------------------------------------------------------------------


def runs_list() -> QuerySet[Run]:
    return Run.objects.select_related("rule_set").order_by("-as_of", "-id")


def run_get(run_id: int) -> Run | None:
    return runs_list().filter(pk=run_id).first()


def run_as_dict(run: Run) -> dict[str, Any]:
    return {
        "id": run.pk,
        "as_of": run.as_of.isoformat(),
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "is_current": run.is_current,
        "phase": run.phase,
        "progress_pct": run.progress_pct,
        "customers_total": run.customers_total,
        "changes_total": run.changes_total,
        "triggered_by": run.triggered_by,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "error": run.error,
    }


def run_start(*, as_of: dt.date, actor_username: str) -> Run:
    """Starts a run like the admin's "run now" (forced: a finished run of that day is redone).
    Raises RunStartRefused with the reason (another run in progress, no rule set, no queue)."""
    from crm.queue import QueueUnavailable
    from segmentation.pipeline.executors import run_start as pipeline_run_start
    from segmentation.services import RunInProgress, RunRefused

    try:
        return pipeline_run_start(as_of=as_of, force=True, triggered_by=f"api:{actor_username}")
    except (RunInProgress, RunRefused, QueueUnavailable) as exc:
        raise RunStartRefused(str(exc)) from exc


class RunStartRefused(Exception):
    pass


def run_succeeded(run: Run) -> bool:
    return run.status == RunStatus.SUCCEEDED


# Counts per team and rep -----------------------------------------------------------------


def class_counts(
    *, dimension: str, team_ids: Sequence[int] | None, owner_id: int | None
) -> tuple[Run | None, list[dict[str, Any]]]:
    """Customers per class of the current run, per team and rep, from the run's aggregates
    (a few hundred rows, never the class table). `team_ids` None: every team; `owner_id`:
    that rep's book only."""
    run = seg.run_current()
    if run is None:
        return None, []
    qs = ClassAggregate.objects.filter(run=run, grain="owner", dimension=dimension)
    if team_ids is not None:
        qs = qs.filter(team_id__in=list(team_ids))
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    rows = qs.values("team_id", "owner_id", "code", "customers").order_by(
        "team_id", "owner_id", "code"
    )
    return run, [{**r, "label": class_label(dimension, r["code"])} for r in rows if r["customers"]]


# Class-changed events ---------------------------------------------------------------------


def run_changes_summary(run_id: int) -> dict[str, Any]:
    """What moved in a run, per dimension: {dimension: {"label", "moves": [{from, to,
    labels, customers, by_team: {team_id: n}, core: n}]}}. `core` counts the movers that were
    core/VIP (value tier) in that run, so a chat message can say "3 VIP customers turned
    dormant". Two grouped queries, whatever the size of the run."""
    from segmentation.models import CustomerClasses

    run = Run.objects.filter(pk=run_id).first()
    if run is None:
        return {}
    core_ids = CustomerClasses.objects.filter(run=run, value_tier="core").values("customer_id")
    rows = (
        ClassChange.objects.filter(run_id=run_id)
        .values("dimension", "from_code", "to_code", "customer__team_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    core_rows = (
        ClassChange.objects.filter(run_id=run_id, customer_id__in=core_ids)
        .values("dimension", "from_code", "to_code", "customer__team_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    core = {
        (r["dimension"], r["from_code"], r["to_code"], r["customer__team_id"]): r["n"]
        for r in core_rows
    }
    out: dict[str, Any] = {}
    for r in rows:
        dim = r["dimension"]
        entry = out.setdefault(dim, {"label": dimension_label(dim), "moves": {}})
        move = entry["moves"].setdefault(
            (r["from_code"], r["to_code"]),
            {
                "from": r["from_code"],
                "from_label": class_label(dim, r["from_code"]),
                "to": r["to_code"],
                "to_label": class_label(dim, r["to_code"]),
                "customers": 0,
                "core": 0,
                "by_team": {},
            },
        )
        team = r["customer__team_id"]
        move["customers"] += r["n"]
        move["by_team"][team] = move["by_team"].get(team, 0) + r["n"]
        c = core.get((dim, r["from_code"], r["to_code"], team), 0)
        move["core"] += c
        move["by_team_core"] = move.get("by_team_core", {})
        move["by_team_core"][team] = move["by_team_core"].get(team, 0) + c
    for entry in out.values():
        entry["moves"] = sorted(entry["moves"].values(), key=lambda m: -m["customers"])
    return {"run": {"id": run.pk, "as_of": run.as_of.isoformat()}, "dimensions": out}
