"""Playbook effectiveness for the dashboard: of the customers who started a playbook, the
share that reached a better (or worse) class within N days, split by whether the playbook's
steps were kept — per playbook (= class) or per rep.

Reads the figures `playbook_outcomes_refresh` wrote after the last run (definitions there):
the rollup when at most one customer attribute (industry, region, size, type) is filtered, the
per-enrollment table when two or more are. A constant number of queries either way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet, Sum

from segmentation.dimensions import class_label
from segmentation.models import Dimension, better_classes, worse_classes

from ..models import (
    OUTCOME_ATTRIBUTES,
    OUTCOME_WINDOWS,
    Playbook,
    PlaybookOutcome,
    PlaybookOutcomeRollup,
    StepsKept,
)

if TYPE_CHECKING:
    from crm.models import User

GROUPS = ("playbook", "rep")
ATTRIBUTE_FILTERS = OUTCOME_ATTRIBUTES
OUTCOMES = ("all", "improved", "slipped")
# The playbook code of the drill-down that spans every playbook (a rep's row).
ALL_PLAYBOOKS = "*"


def outcome_scope(user: User) -> Q | None:
    """The rows `user` may count, by the owner/team copied into them: the same rule as
    customers.access.customers_visible_to (a rep their own customers, a manager the team,
    a director or admin everyone); None when the user may see nothing (fail closed)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.sees_all_teams:
        return Q()
    if user.is_manager:
        return Q(team_id=user.team_id) if user.team_id else None
    if user.is_rep:
        return Q(owner_id=user.pk)
    return None


@dataclass
class OutcomeCell:
    entered: int = 0
    improved: int = 0
    slipped: int = 0

    def add(self, entered: int, improved: int, slipped: int) -> None:
        self.entered += entered
        self.improved += improved
        self.slipped += slipped

    @property
    def improved_pct(self) -> float | None:
        return round(100 * self.improved / self.entered, 1) if self.entered else None

    @property
    def slipped_pct(self) -> float | None:
        return round(100 * self.slipped / self.entered, 1) if self.entered else None


@dataclass
class EffectivenessRow:
    key: int | None
    label: str
    code: str = ""  # the playbook's code (its drill-down key); "" for a rep row
    dimension_label: str = ""
    class_label: str = ""
    # False for a playbook of the best class (nowhere better to go: read "slipped" instead).
    can_improve: bool = True
    can_slip: bool = True
    kept: OutcomeCell = field(default_factory=OutcomeCell)
    not_kept: OutcomeCell = field(default_factory=OutcomeCell)
    none_due: OutcomeCell = field(default_factory=OutcomeCell)

    def cell(self, steps: int) -> OutcomeCell:
        cells: dict[int, OutcomeCell] = {
            StepsKept.KEPT: self.kept,
            StepsKept.NOT_KEPT: self.not_kept,
        }
        return cells.get(steps, self.none_due)

    @property
    def total(self) -> OutcomeCell:
        cells = (self.kept, self.not_kept, self.none_due)
        return OutcomeCell(
            entered=sum(c.entered for c in cells),
            improved=sum(c.improved for c in cells),
            slipped=sum(c.slipped for c in cells),
        )

    @property
    def lift(self) -> float | None:
        """Percentage points more customers improved when the steps were kept."""
        a, b = self.kept.improved_pct, self.not_kept.improved_pct
        return None if a is None or b is None else round(a - b, 1)


@dataclass
class Effectiveness:
    as_of: dt.date | None
    window: int
    group_by: str
    rows: list[EffectivenessRow]
    total: EffectivenessRow


def _clean(filters: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (filters or {}).items() if v not in (None, "")}


def _base(user: User, window: int, filters: dict[str, Any]) -> tuple[QuerySet | None, str]:
    """The aggregate's source rows: (queryset, name of the steps column)."""
    scope = outcome_scope(user)
    if scope is None:
        return None, ""
    pairs = {"team": "team_id", "owner": "owner_id", "playbook": "playbook_id"}
    attributes = [k for k in ATTRIBUTE_FILTERS if k in filters]
    qs: QuerySet[Any]  # per enrollment, or the rollup
    if len(attributes) > 1:
        qs = PlaybookOutcome.objects.filter(scope, **{f"steps_{window}__isnull": False})
        steps = f"steps_{window}"
        for key in attributes:
            qs = qs.filter(**{key: filters[key]})
    else:
        # The rollup's rows over everyone, or those of one attribute's value.
        attribute = attributes[0] if attributes else ""
        qs = PlaybookOutcomeRollup.objects.filter(
            scope,
            window_days=window,
            attribute=attribute,
            value=filters[attribute] if attribute else "",
        )
        steps = "steps"
    for key, column in pairs.items():
        if key in filters:
            qs = qs.filter(**{column: filters[key]})
    return qs, steps


def playbook_effectiveness(
    *,
    user: User,
    window: int = OUTCOME_WINDOWS[0],
    group_by: str = "playbook",
    filters: Mapping[str, Any] | None = None,
) -> Effectiveness:
    """Rows per playbook or per rep (see the module docstring). `filters` may hold team,
    owner, playbook (ids) and industry, region, size, kind (codes). Four queries at most:
    the aggregate, the date of the figures, the playbooks or reps named."""
    if window not in OUTCOME_WINDOWS:
        raise ValueError(f"window must be one of {OUTCOME_WINDOWS}, not {window!r}")
    if group_by not in GROUPS:
        raise ValueError(f"unknown grouping {group_by!r}")
    filters = _clean(filters)
    qs, steps = _base(user, window, filters)
    key = "playbook_id" if group_by == "playbook" else "owner_id"
    rows: dict[int | None, EffectivenessRow] = {}
    total = EffectivenessRow(key=None, label="")
    as_of = None
    if qs is not None:
        if steps == "steps":
            agg = qs.values(key, steps).annotate(
                n=Sum("entered"), up=Sum("improved"), down=Sum("slipped")
            )
        else:
            agg = qs.values(key, steps).annotate(
                n=Count("pk"), up=Sum(f"improved_{window}"), down=Sum(f"slipped_{window}")
            )
        for r in agg.order_by():
            row = rows.setdefault(r[key], EffectivenessRow(key=r[key], label="—"))
            for target in (row, total):
                target.cell(r[steps]).add(r["n"] or 0, r["up"] or 0, r["down"] or 0)
        as_of = (
            PlaybookOutcomeRollup.objects.order_by("-as_of").values_list("as_of", flat=True).first()
        )
    ids = [k for k in rows if k is not None]
    if group_by == "playbook":
        for pk, pb in Playbook.objects.in_bulk(ids).items():
            row = rows[pk]
            row.label, row.code = pb.name, pb.code
            known = pb.dimension in Dimension.values
            row.dimension_label = str(Dimension(pb.dimension).label) if known else pb.dimension
            row.class_label = class_label(pb.dimension, pb.class_code)
            row.can_improve = bool(better_classes(pb.dimension, pb.class_code))
            row.can_slip = bool(worse_classes(pb.dimension, pb.class_code))
        ordered = sorted(rows.values(), key=lambda r: (-r.total.entered, r.label))
    else:
        users = get_user_model().objects.in_bulk(ids)
        for pk, u in users.items():
            rows[pk].label = u.display_name
        ordered = sorted(rows.values(), key=lambda r: r.label)
    return Effectiveness(as_of=as_of, window=window, group_by=group_by, rows=ordered, total=total)


def outcome_customer_ids(
    *, playbook_code: str, window: int, steps: int | None, outcome: str
) -> QuerySet:
    """Customer ids behind one number of the page (for the customer list's `outcome`
    filter): the cohort of a playbook ("*": every playbook) and window, optionally one steps
    group, and all of it, the improved or the slipped. The list applies the user's scope and
    other filters."""
    if window not in OUTCOME_WINDOWS or outcome not in OUTCOMES:
        return PlaybookOutcome.objects.none().values("customer_id")
    qs = PlaybookOutcome.objects.filter(**{f"steps_{window}__isnull": False})
    if playbook_code != ALL_PLAYBOOKS:
        qs = qs.filter(playbook_id__in=Playbook.objects.filter(code=playbook_code).values("pk"))
    if steps is not None:
        qs = qs.filter(**{f"steps_{window}": steps})
    if outcome != "all":
        qs = qs.filter(**{f"{outcome}_{window}": 1})
    return qs.values("customer_id")


__all__ = [
    "Effectiveness",
    "EffectivenessRow",
    "OutcomeCell",
    "outcome_customer_ids",
    "outcome_scope",
    "playbook_effectiveness",
]
