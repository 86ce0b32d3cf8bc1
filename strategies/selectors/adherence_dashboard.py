"""Adherence for the dashboard: tasks on time / late / missed / open per rep or playbook over
the last 4, 8 or 12 weeks, and the on-time share week by week.

The buckets are those of `adherence_table` (the live page at /strategies/adherence/, which
also measures contact cadence); the figures come from the weekly totals written after the
last run (AdherenceRollup), so the page reads a few thousand rows instead of millions of
tasks. The totals also come per value of each customer attribute (industry, region, size,
type); with two or more of those filtered, the same buckets are counted from the tasks of the
matching customers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import F, Sum

from .. import adherence_buckets as buckets
from ..models import AdherenceRollup, Playbook
from .adherence import AdherenceRow
from .effectiveness import ATTRIBUTE_FILTERS, outcome_scope
from .tasks import tasks_visible_to

if TYPE_CHECKING:
    from crm.models import User

WEEK_CHOICES = (4, 8, 12)
GROUPS = ("rep", "playbook")
BUCKETS = buckets.COUNT_NAMES


@dataclass
class _WeekTally:
    """One week of the on-time trend: tasks done on time, of the tasks that count (due, less
    those no longer applicable)."""

    on_time: int = 0
    counted: int = 0


@dataclass
class AdherenceChart:
    as_of: dt.date | None
    weeks: int
    group_by: str
    rows: list[AdherenceRow]
    total: AdherenceRow
    # (week start, week end, on-time % or None), oldest first.
    trend: list[tuple[dt.date, dt.date, int | None]] = field(default_factory=list)

    @property
    def date_from(self) -> dt.date | None:
        return self.as_of - dt.timedelta(days=7 * self.weeks - 1) if self.as_of else None


def _live(user: User, as_of: dt.date, weeks: int, filters: dict[str, Any], key: str):
    """The buckets counted from the tasks (an attribute filter is set)."""
    qs = buckets.counted(tasks_visible_to(user)).filter(
        due_on__gt=as_of - dt.timedelta(days=7 * weeks), due_on__lte=as_of
    )
    for name in ATTRIBUTE_FILTERS:
        if name in filters:
            qs = qs.filter(**{f"customer__{name}": filters[name]})
    if "team" in filters:
        qs = qs.filter(customer__team_id=filters["team"])
    if "owner" in filters:
        qs = qs.filter(owner_id=filters["owner"])
    if "playbook" in filters:
        qs = qs.filter(step__playbook_id=filters["playbook"])
    field_of = {"owner_id": "owner_id", "playbook_id": "step__playbook_id"}[key]
    return qs.annotate(k=F(field_of)).values("k", "due_on").annotate(**buckets.counts()).order_by()


def adherence_chart(
    *,
    user: User,
    weeks: int = WEEK_CHOICES[0],
    group_by: str = "rep",
    filters: Mapping[str, Any] | None = None,
) -> AdherenceChart:
    """Rows per rep or playbook and the weekly on-time trend (see the module docstring).
    `filters`: team, owner, playbook (ids); industry, region, size, kind (codes)."""
    if weeks not in WEEK_CHOICES:
        raise ValueError(f"weeks must be one of {WEEK_CHOICES}, not {weeks!r}")
    if group_by not in GROUPS:
        raise ValueError(f"unknown grouping {group_by!r}")
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    key = "owner_id" if group_by == "rep" else "playbook_id"
    as_of = AdherenceRollup.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    rows: dict[int | None, AdherenceRow] = {}
    total = AdherenceRow(key=None, label="")
    trend: dict[int, _WeekTally] = {}
    scope = outcome_scope(user)
    if scope is not None and as_of is not None:
        attributes = [k for k in ATTRIBUTE_FILTERS if k in filters]
        if len(attributes) > 1:
            agg = [
                {key: r["k"], "weeks_ago": (as_of - r["due_on"]).days // 7, **r}
                for r in _live(user, as_of, weeks, filters, key)
            ]
        else:
            attribute = attributes[0] if attributes else ""
            qs = AdherenceRollup.objects.filter(
                scope,
                weeks_ago__lt=weeks,
                attribute=attribute,
                value=filters[attribute] if attribute else "",
            )
            for name, column in (("team", "team_id"), ("owner", "owner_id"),
                                 ("playbook", "playbook_id")):  # fmt: skip
                if name in filters:
                    qs = qs.filter(**{column: filters[name]})
            # One query for rows and trend: per key and week, folded here.
            agg = list(
                qs.values(key, "weeks_ago").annotate(**{b: Sum(b) for b in BUCKETS}).order_by()
            )
        for r in agg:
            week = trend.setdefault(r["weeks_ago"], _WeekTally())
            week.on_time += r["on_time"] or 0
            week.counted += (r["due"] or 0) - (r["not_applicable"] or 0)
            row = rows.setdefault(r[key], AdherenceRow(key=r[key], label="—"))
            for target in (row, total):
                for b in BUCKETS:
                    setattr(target, b, getattr(target, b) + (r[b] or 0))
    ids = [k for k in rows if k is not None]
    if group_by == "playbook":
        for pk, pb in Playbook.objects.in_bulk(ids).items():
            rows[pk].label, rows[pk].code = pb.name, pb.code
    else:
        for pk, u in get_user_model().objects.in_bulk(ids).items():
            rows[pk].label = u.display_name
    weekly = []
    if as_of is not None:
        for ago in range(weeks - 1, -1, -1):
            end = as_of - dt.timedelta(days=7 * ago)
            week = trend.get(ago, _WeekTally())
            pct = round(100 * week.on_time / week.counted) if week.counted > 0 else None
            weekly.append((end - dt.timedelta(days=6), end, pct))
    ordered = sorted(rows.values(), key=lambda r: r.label)
    return AdherenceChart(
        as_of=as_of, weeks=weeks, group_by=group_by, rows=ordered, total=total, trend=weekly
    )


__all__ = ["WEEK_CHOICES", "AdherenceChart", "adherence_chart"]
