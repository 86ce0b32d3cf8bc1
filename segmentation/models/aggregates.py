"""Per-run aggregates that the dashboards read instead of the 1M-row tables.

Written by the run itself (segmentation.aggregates.aggregates_write) before its is_current
flip, so they become visible with the run; kept for every run (a few tens of thousands of rows
per run, see docs/dashboards.md), so "since the previous run" and "since 30 days ago" work.

Grains (`grain`): one query of a dashboard reads exactly one grain, never sums across grains:
  all    — one row per (dimension, class): the whole customer base;
  team   — + team_id: a manager's scope, or the team filter;
  owner  — + team_id, owner_id: a rep's book, or the rep filter;
  attrs  — + team_id, industry, region, size, kind: any combination of attribute filters
           (optionally within a team). owner_id is NULL here; owner + attribute filters are
           answered from the current run's rows of that rep (a few thousand, indexed).
Besides the real dimensions, two pairs are stored as pseudo-dimensions so the grids are one
read: `rfm_rf` (code "R|F") and `value_x_potential` (code "<value tier>|<potential>")."""

from django.db import models

from .runs import Run

GRAIN_ALL = "all"
GRAIN_TEAM = "team"
GRAIN_OWNER = "owner"
GRAIN_ATTRS = "attrs"
GRAINS = (GRAIN_ALL, GRAIN_TEAM, GRAIN_OWNER, GRAIN_ATTRS)
ATTRIBUTES = ("industry", "region", "size", "kind")
PAIR_DIMENSIONS = {"rfm_rf": ("rfm_r", "rfm_f"), "value_x_potential": ("value_tier", "potential")}
PAIR_SEPARATOR = "|"
# Sums stored per row (metric names of CustomerClasses); money, so shown as Decimal.
AGGREGATE_SUMS = (
    "revenue_window",
    "revenue_total",
    "profit_window",
    "overdue_amount",
    "expected_revenue_365d",
)


def _sum_field():
    return models.FloatField(default=0)


class _Cell(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=8)
    dimension = models.CharField(max_length=24)
    # Plain ids, no FK: a deleted team or rep must not rewrite history.
    team_id = models.IntegerField(null=True)
    owner_id = models.IntegerField(null=True)
    industry = models.CharField(max_length=32, default="")
    region = models.CharField(max_length=32, default="")
    size = models.CharField(max_length=16, default="")
    kind = models.CharField(max_length=16, default="")
    customers = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.run_id} {self.grain} {self.dimension}: {self.customers}"


class ClassAggregate(_Cell):
    """Customers and sums per class of one dimension in one run, at one grain."""

    code = models.CharField(max_length=48)
    revenue_window = _sum_field()
    revenue_total = _sum_field()
    profit_window = _sum_field()
    overdue_amount = _sum_field()
    expected_revenue_365d = _sum_field()

    class Meta:
        indexes = [
            models.Index(fields=["run", "grain", "dimension"], name="classagg_run_grain_dim_idx"),
            models.Index(fields=["run", "grain", "team_id"], name="classagg_run_grain_team_idx"),
            models.Index(fields=["run", "grain", "owner_id"], name="classagg_run_grain_owner_idx"),
        ]


class TransitionAggregate(_Cell):
    """Customers whose class in `dimension` changed from `from_code` to `to_code` in this run
    (read from ClassChange; '' = a customer new since the previous run)."""

    from_code = models.CharField(max_length=24, blank=True)
    to_code = models.CharField(max_length=24)

    class Meta:
        indexes = [
            models.Index(fields=["run", "grain", "dimension"], name="transagg_run_grain_dim_idx"),
            models.Index(fields=["run", "grain", "team_id"], name="transagg_run_grain_team_idx"),
            models.Index(fields=["run", "grain", "owner_id"], name="transagg_run_grain_owner_idx"),
        ]


class ParetoCurve(models.Model):
    """The revenue concentration of one scope (grain all / team / owner) in one run: customers
    sorted by revenue in window, cut into at most 100 equal groups; `points` is the cumulative
    [customer share %, revenue share %] after each group, starting at [0, 0]."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=8)
    team_id = models.IntegerField(null=True)
    owner_id = models.IntegerField(null=True)
    customers = models.IntegerField(default=0)
    revenue = models.FloatField(default=0)
    points = models.JSONField(default=list)

    class Meta:
        indexes = [
            models.Index(fields=["run", "grain", "team_id"], name="pareto_run_grain_team_idx"),
            models.Index(fields=["run", "grain", "owner_id"], name="pareto_run_grain_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.grain} {self.team_id}/{self.owner_id}"
