"""Adherence buckets, defined once: how a playbook task due in a period is counted.

- due: every playbook task due in the period (pool notices are not playbook steps and are
  never counted);
- on time: done, closed on or before its due date; late: done after it;
- missed: marked missed (open past `missed_after_days`);
- still open: open or snoozed;
- not applicable: closed without being asked for (the customer left the class, a
  higher-priority playbook took the slot); left out of the on-time share.

The live table (selectors.adherence), the dashboard (selectors.adherence_dashboard) and the
nightly rollup (services.outcomes, raw SQL) all count with the builders below: `counts()`
for the ORM, `sums_sql()` for SQL."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q

from .models import TaskKind, TaskStatus


@dataclass(frozen=True)
class Bucket:
    name: str
    statuses: tuple[str, ...]
    # How the close date compares with the due date ("<=" / ">"), or None for any.
    closed: str | None = None

    def q(self) -> Q:
        cond = Q(status__in=self.statuses)
        if self.closed == "<=":
            cond &= Q(closed_on__lte=F("due_on"))
        elif self.closed == ">":
            cond &= Q(closed_on__gt=F("due_on"))
        return cond

    def sql(self, alias: str) -> tuple[str, list[str]]:
        """`SUM(CASE WHEN … THEN 1 ELSE 0 END)` over the task table aliased `alias`."""
        marks = ", ".join(["%s"] * len(self.statuses))
        cond = f"{alias}.status IN ({marks})"
        if self.closed is not None:
            cond += f" AND {alias}.closed_on {self.closed} {alias}.due_on"
        return f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)", list(self.statuses)


ON_TIME = Bucket("on_time", (TaskStatus.DONE.value,), "<=")
LATE = Bucket("late", (TaskStatus.DONE.value,), ">")
MISSED = Bucket("missed", (TaskStatus.MISSED.value,))
STILL_OPEN = Bucket("still_open", (TaskStatus.OPEN.value, TaskStatus.SNOOZED.value))
NOT_APPLICABLE = Bucket("not_applicable", (TaskStatus.NOT_APPLICABLE.value,))
BUCKETS = (ON_TIME, LATE, MISSED, STILL_OPEN, NOT_APPLICABLE)

# Every count, in the order AdherenceRollup stores them: "due" (all) first.
COUNT_NAMES = ("due", *(b.name for b in BUCKETS))

# Task kinds that are not playbook steps and never count.
EXCLUDED_KINDS = (TaskKind.POOL_NOTICE.value,)


def counts() -> dict[str, Count]:
    """Annotations for `.annotate(**counts())` over a task queryset: one per COUNT_NAMES."""
    return {"due": Count("id"), **{b.name: Count("id", filter=b.q()) for b in BUCKETS}}


def sums_sql(alias: str = "t") -> tuple[list[str], list[str]]:
    """SELECT expressions (one per COUNT_NAMES) and their parameters, in order, over the
    task table aliased `alias`."""
    exprs, params = ["COUNT(*)"], []
    for bucket in BUCKETS:
        expr, values = bucket.sql(alias)
        exprs.append(expr)
        params += values
    return exprs, params


def counted(queryset):
    """The tasks that count: playbook steps, not pool notices."""
    return queryset.exclude(kind__in=EXCLUDED_KINDS)


__all__ = ["BUCKETS", "COUNT_NAMES", "EXCLUDED_KINDS", "Bucket", "counted", "counts", "sums_sql"]
