"""Playbook effectiveness, computed after each classification run (strategies' post-run hook).

Did the customers who started a playbook move to a better class of the playbook's dimension
within N days, and did it matter whether the playbook's steps were kept? Answering that live
means joining millions of enrollments, their tasks and the class history, so the answer is
written once per run, set-based, into two tables:

- `PlaybookOutcome`: one narrow row per enrollment in the cohort, with its owner, team and
  customer attributes copied in (the filters of the dashboard) and, per window of 30/60/90
  days, whether its steps were kept and whether the customer improved or slipped. The
  drill-down from a number to the customers behind it reads this table.
- `PlaybookOutcomeRollup`: the same counted per window, playbook, owner, team and steps kept —
  a few thousand rows that the dashboard reads when no customer attribute is filtered.

Both are replaced as a whole by `playbook_outcomes_refresh`; plain id columns, no foreign keys
(rows are written in bulk and a deleted customer simply drops out at the next refresh)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The windows a manager can choose ("moved to a better class within N days").
OUTCOME_WINDOWS = (30, 60, 90)


class StepsKept(models.IntegerChoices):
    """Whether an enrollment's tasks due within the window were all done on time."""

    NONE_DUE = 0, _("No step due")
    KEPT = 1, _("Steps kept")
    NOT_KEPT = 2, _("Steps not kept")


class PlaybookOutcome(models.Model):
    """One enrollment of the cohort (see the module docstring). A window's columns are NULL
    when the window had not closed by `as_of` or the enrollment is older than the cohort."""

    enrollment_id = models.BigIntegerField(primary_key=True)
    as_of = models.DateField()
    customer_id = models.BigIntegerField()
    playbook_id = models.BigIntegerField()
    owner_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    industry = models.CharField(max_length=20, default="")
    region = models.CharField(max_length=20, default="")
    size = models.CharField(max_length=10, default="")
    kind = models.CharField(max_length=12, default="")
    started_on = models.DateField()
    steps_30 = models.SmallIntegerField(null=True, choices=StepsKept.choices)
    steps_60 = models.SmallIntegerField(null=True, choices=StepsKept.choices)
    steps_90 = models.SmallIntegerField(null=True, choices=StepsKept.choices)
    # 1 when the customer reached a better (worse) class of the playbook's dimension within
    # the window, 0 when not; integers so that SUM() counts them on every database.
    improved_30 = models.SmallIntegerField(null=True)
    improved_60 = models.SmallIntegerField(null=True)
    improved_90 = models.SmallIntegerField(null=True)
    slipped_30 = models.SmallIntegerField(null=True)
    slipped_60 = models.SmallIntegerField(null=True)
    slipped_90 = models.SmallIntegerField(null=True)

    class Meta:
        verbose_name = _("playbook outcome")
        verbose_name_plural = _("playbook outcomes")
        indexes = [
            # Drill-down: the customers of one playbook (of one rep).
            models.Index(fields=["playbook_id", "owner_id"], name="outcome_playbook_owner_idx"),
            models.Index(fields=["team_id", "playbook_id"], name="outcome_team_playbook_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} · {self.playbook_id}"


# Customer attributes the dashboards filter by; the rollup also counts per value of each one.
OUTCOME_ATTRIBUTES = ("industry", "region", "size", "kind")


class PlaybookOutcomeRollup(models.Model):
    """PlaybookOutcome counted per window, playbook, owner, team and steps kept — once over
    all customers (`attribute` ""), and once per value of each customer attribute
    (`attribute` "industry", `value` "retail", …), so a page filtered by one attribute still
    reads a few thousand rows. Two attributes at once read PlaybookOutcome."""

    as_of = models.DateField()
    window_days = models.PositiveSmallIntegerField()
    attribute = models.CharField(max_length=10, default="")
    value = models.CharField(max_length=20, default="")
    playbook_id = models.BigIntegerField()
    owner_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    steps = models.SmallIntegerField(choices=StepsKept.choices)
    entered = models.PositiveIntegerField()
    improved = models.PositiveIntegerField()
    slipped = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("playbook outcome totals")
        verbose_name_plural = _("playbook outcome totals")
        indexes = [
            models.Index(
                fields=["window_days", "attribute", "value", "team_id"],
                name="outcome_rollup_team_idx",
            ),
            models.Index(
                fields=["window_days", "attribute", "value", "owner_id"],
                name="outcome_rollup_owner_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window_days}d · {self.playbook_id} · {self.owner_id}"


class AdherenceRollup(models.Model):
    """Playbook tasks counted per week of their due date (0 = the seven days up to `as_of`),
    owner, team and playbook, with their status as of the run: what the adherence dashboard
    draws without reading millions of tasks. The live table (/strategies/adherence/) reads the
    tasks themselves."""

    as_of = models.DateField()
    weeks_ago = models.PositiveSmallIntegerField()
    owner_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    playbook_id = models.BigIntegerField(null=True)
    # "" over every customer; else the rows of one value of one attribute (see the outcome
    # rollup).
    attribute = models.CharField(max_length=10, default="")
    value = models.CharField(max_length=20, default="")
    due = models.PositiveIntegerField()
    on_time = models.PositiveIntegerField()
    late = models.PositiveIntegerField()
    missed = models.PositiveIntegerField()
    still_open = models.PositiveIntegerField()
    not_applicable = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("adherence totals")
        verbose_name_plural = _("adherence totals")
        indexes = [
            models.Index(
                fields=["attribute", "value", "team_id", "weeks_ago"],
                name="adherence_rollup_team_idx",
            ),
            models.Index(
                fields=["attribute", "value", "owner_id", "weeks_ago"],
                name="adherence_rollup_owner_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weeks_ago}w · {self.owner_id} · {self.playbook_id}"
