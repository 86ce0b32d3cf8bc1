"""Shared reads: which runs a page compares, class labels, money."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from segmentation.dimensions import class_label
from segmentation.models import Run, RunStatus

# "Since about a month ago": the latest run at least this many days before the current one.
MONTH_DAYS = 30


@dataclass(frozen=True)
class RunTrio:
    current: Run | None
    previous: Run | None
    month_ago: Run | None


def runs_succeeded(limit: int = 400) -> list[Run]:
    """Succeeded runs, newest first (one query; ~a year of nightly runs)."""
    return list(
        Run.objects.filter(status=RunStatus.SUCCEEDED)
        .order_by("-as_of")
        .only("id", "as_of", "is_current")[:limit]
    )


def run_trio(runs: list[Run] | None = None) -> RunTrio:
    """The current run, the one before it and the latest one ≥ MONTH_DAYS older (one query)."""
    runs = runs if runs is not None else runs_succeeded()
    current = next((r for r in runs if r.is_current), None)
    if current is None:
        return RunTrio(None, None, None)
    older = [r for r in runs if r.as_of < current.as_of]
    previous = older[0] if older else None
    cutoff = current.as_of - dt.timedelta(days=MONTH_DAYS)
    month_ago = next((r for r in older if r.as_of <= cutoff), None)
    return RunTrio(current, previous, month_ago)


def money(value: float | None) -> Decimal:
    return Decimal(str(round(value or 0.0, 2))).quantize(Decimal("0.01"))


def pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def label(dimension: str, code: str) -> str:
    return class_label(dimension, code) or code or "—"


def parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
