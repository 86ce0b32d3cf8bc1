"""Adherence: were the playbooks' tasks done on time, and was each customer's contact cadence
kept, over a period — per rep, team or playbook. The dashboards issue draws from
`adherence_table`; the manager page shows it as a table."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import F, Q

from customers.access import contact_logs_visible_to, customers_visible_to

from .. import adherence_buckets as buckets
from ..models import Enrollment, Playbook
from .tasks import tasks_visible_to

if TYPE_CHECKING:
    from crm.models import User

GROUPS = {"rep": "owner", "team": "customer__team", "playbook": "step__playbook"}


@dataclass
class AdherenceRow:
    key: int | None
    label: str
    code: str = ""  # the playbook's code when grouped by playbook (drill-down key)
    due: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0
    still_open: int = 0
    not_applicable: int = 0
    cadence_tracked: int = 0
    cadence_kept: int = 0

    @property
    def on_time_pct(self) -> int | None:
        counted = self.due - self.not_applicable
        return round(100 * self.on_time / counted) if counted > 0 else None

    @property
    def cadence_pct(self) -> int | None:
        if not self.cadence_tracked:
            return None
        return round(100 * self.cadence_kept / self.cadence_tracked)


def cadence_kept(
    *, touches: list[dt.date], start: dt.date, end: dt.date, cadence_days: int
) -> bool:
    """True when no stretch of the period [start, end] went longer than `cadence_days` without
    a contact. The period's first day is the starting point (the customer was either already
    in the playbook or just entered it), so a contact on day start+cadence exactly still keeps
    the cadence and one a day later breaks it; the stretch from the last contact to `end`
    counts too."""
    points = [start, *sorted(d for d in touches if start <= d <= end), end]
    return all((b - a).days <= cadence_days for a, b in itertools.pairwise(points))


# Long on purpose: one grouped read per row kind (rep, playbook, team) of the same buckets,
# assembled into one table.
def adherence_table(
    *, user: User, date_from: dt.date, date_to: dt.date, group_by: str = "rep"
) -> list[AdherenceRow]:
    """One row per rep/team/playbook over the tasks due in [date_from, date_to] that `user`
    may see, plus cadence kept per enrollment active in the period (from contact logs).
    Queries: one aggregate for tasks, one for enrollments, one for contact dates."""
    if group_by not in GROUPS:
        raise ValueError(f"unknown grouping {group_by!r}")
    field = GROUPS[group_by]
    label_field = {
        "rep": "owner__username",
        "team": "customer__team__name",
        "playbook": "step__playbook__name_zh",
    }[group_by]
    agg = (
        buckets.counted(tasks_visible_to(user))
        .filter(due_on__gte=date_from, due_on__lte=date_to)
        .values(field, label_field)
        .annotate(**buckets.counts())
        .order_by(label_field)
    )
    rows: dict[int | None, AdherenceRow] = {}
    for r in agg:
        rows[r[field]] = AdherenceRow(
            key=r[field],
            label=r[label_field] or "—",
            **{name: r[name] for name in buckets.COUNT_NAMES},
        )

    # Cadence: enrollments overlapping the period, for customers the user may see.
    enr_field = {"rep": "customer__owner", "team": "customer__team", "playbook": "playbook"}[
        group_by
    ]
    enr_label = {
        "rep": "customer__owner__username",
        "team": "customer__team__name",
        "playbook": "playbook__name_zh",
    }[group_by]
    # Named rows (customer_id, started_on, ended_on, cadence, key, label); the stubs' row
    # type does not follow the annotations.
    enrollments: list[Any] = list(
        Enrollment.objects.filter(
            customer_id__in=customers_visible_to(user).values("pk"),
            started_on__lte=date_to,
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=date_from))
        .annotate(cadence=F("playbook__cadence_days"), key=F(enr_field), label=F(enr_label))
        .values_list("customer_id", "started_on", "ended_on", "cadence", "key", "label",
                     named=True)
    )  # fmt: skip
    if getattr(user, "is_rep", False):
        enrollments = [e for e in enrollments if e.key == user.pk or group_by != "rep"]
    touches: dict[int, list[dt.date]] = defaultdict(list)
    if enrollments:
        for cid, when in (
            contact_logs_visible_to(user)
            .filter(occurred_at__date__gte=date_from, occurred_at__date__lte=date_to)
            .values_list("customer_id", "occurred_at__date")
        ):
            touches[cid].append(when)
    for e in enrollments:
        start = max(e.started_on, date_from)
        end = min(e.ended_on, date_to) if e.ended_on else date_to
        row = rows.setdefault(e.key, AdherenceRow(key=e.key, label=e.label or "—"))
        row.cadence_tracked += 1
        touched = touches[e.customer_id]
        if cadence_kept(touches=touched, start=start, end=end, cadence_days=e.cadence):
            row.cadence_kept += 1
    if group_by == "playbook":
        # Playbook names in the reader's language.
        names = Playbook.objects.in_bulk([k for k in rows if k is not None])
        for key, row in rows.items():
            if key in names:
                row.label = names[key].name
    elif group_by == "rep":
        # The person, not the login (the username only orders and groups the aggregate).
        people = (
            get_user_model()
            .objects.only("username", "first_name", "last_name")
            .in_bulk([k for k in rows if k is not None])
        )
        for key, row in rows.items():
            if key in people:
                row.label = people[key].display_name
    return sorted(rows.values(), key=lambda r: r.label)
