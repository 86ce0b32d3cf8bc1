"""Playbook effectiveness: the per-run write of PlaybookOutcome and its rollup (see
strategies.models.outcomes for what the tables hold and why they exist).

Definitions (the dashboard explains them in the same words):

- Cohort: enrollments that started within the `COHORT_DAYS` before their window closed, so a
  window of N days counts the enrollments started in (as_of − N − COHORT_DAYS, as_of − N].
  An enrollment whose N days have not passed yet is not counted for N (it could still move).
- Improved / slipped: within N days after the start, the customer reached a better (worse)
  class of the playbook's dimension than the class the playbook is for, by
  segmentation.models.CLASS_ORDER. Both can happen in one window (dormant → churned → repeat).
- Steps kept: every task of the enrollment due within the N days was done on or before its due
  date. Tasks closed as "no longer applicable" before they were due (the customer left the
  class, or a higher-priority playbook took the slot) asked nothing and are not counted; one
  closed so after its due date without being done counts as not kept. No task due in the
  window → "no step due" (a separate group, not mixed into either side).

Everything is three INSERT … SELECT statements plus the deletes, whatever the number of
customers: no row goes through Python."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from crm.db import analyze, days_between_sql
from customers.models import Customer
from segmentation.models import ClassChange, better_classes, worse_classes

from .. import adherence_buckets as buckets
from ..models import (
    OUTCOME_ATTRIBUTES,
    OUTCOME_WINDOWS,
    AdherenceRollup,
    Enrollment,
    Playbook,
    PlaybookOutcome,
    PlaybookOutcomeRollup,
    PlaybookStep,
    Task,
    TaskKind,
    TaskStatus,
)

log = logging.getLogger(__name__)

# A year of entries per window: long enough to cover every playbook's steps (offsets go up
# to a year) and seasonal buyers, short enough that last year's playbook versions fade out.
COHORT_DAYS = 365
# The adherence dashboard offers the last 4, 8 or 12 weeks.
ADHERENCE_WEEKS = 12


@dataclass(frozen=True)
class OutcomesResult:
    as_of: dt.date
    enrollments: int
    rollup_rows: int
    seconds: float


def _moves() -> list[tuple[str, str, str, int]]:
    """(dimension, playbook class, class reached, +1 better / −1 worse) for every class that
    has an active or inactive playbook: the CLASS_ORDER table as rows for the join."""
    rows: list[tuple[str, str, str, int]] = []
    for dim, code in set(Playbook.objects.values_list("dimension", "class_code")):
        rows += [(dim, code, to, 1) for to in better_classes(dim, code)]
        rows += [(dim, code, to, -1) for to in worse_classes(dim, code)]
    # VALUES needs a row; this one matches no playbook class.
    return rows or [("", "", "", 0)]


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# Long on purpose: the outcome figures' SQL, rebuilt in one transaction so the dashboards never
# read half of it.
@transaction.atomic
def playbook_outcomes_refresh(*, as_of: dt.date) -> OutcomesResult:
    """Replaces PlaybookOutcome and its rollup with the cohort as of `as_of` (normally the
    current run's date). Readers keep seeing the previous figures until the commit."""
    t0 = time.perf_counter()
    windows = OUTCOME_WINDOWS
    lo = as_of - dt.timedelta(days=max(windows) + COHORT_DAYS)
    hi = as_of - dt.timedelta(days=min(windows))
    moves = _moves()
    outcome, rollup = _table(PlaybookOutcome), _table(PlaybookOutcomeRollup)
    PlaybookOutcomeRollup.objects.all().delete()
    PlaybookOutcome.objects.all().delete()

    due = days_between_sql("e.started_on", "t.due_on")
    reached = days_between_sql("e.started_on", "c.as_of")
    task_cols, steps_cols, moved_cols, params_steps, params_moved = [], [], [], [], []
    for n in windows:
        # n comes from OUTCOME_WINDOWS (integers), never from a request.
        task_cols.append(
            f"SUM(CASE WHEN {due} <= {n} THEN 1 ELSE 0 END) AS due_{n}, "
            f"SUM(CASE WHEN {due} <= {n} AND t.status = %s AND t.closed_on <= t.due_on "
            f"THEN 1 ELSE 0 END) AS ok_{n}"
        )
        in_cohort = "e.started_on > %s AND e.started_on <= %s"
        cohort_params = [as_of - dt.timedelta(days=n + COHORT_DAYS), as_of - dt.timedelta(days=n)]
        steps_cols.append(
            f"CASE WHEN {in_cohort} THEN (CASE WHEN COALESCE(tk.due_{n}, 0) = 0 THEN 0 "
            f"WHEN tk.ok_{n} = tk.due_{n} THEN 1 ELSE 2 END) END"
        )
        params_steps += cohort_params
        moved_cols.append(
            f"CASE WHEN {in_cohort} THEN (CASE WHEN mv.first_up <= {n} THEN 1 ELSE 0 END) END"
        )
        moved_cols.append(
            f"CASE WHEN {in_cohort} THEN (CASE WHEN mv.first_down <= {n} THEN 1 ELSE 0 END) END"
        )
        params_moved += cohort_params * 2
    values = ", ".join(["(%s, %s, %s, %s)"] * len(moves))
    columns = [
        "enrollment_id", "as_of", "customer_id", "playbook_id", "owner_id", "team_id",
        "industry", "region", "size", "kind", "started_on",
        *[f"steps_{n}" for n in windows],
        *[f"{what}_{n}" for n in windows for what in ("improved", "slipped")],
    ]  # fmt: skip
    sql = f"""
        WITH moves (dimension, from_code, to_code, dir) AS (VALUES {values}),
        enr AS (
            SELECT e.id, e.customer_id, e.playbook_id, e.started_on
            FROM {_table(Enrollment)} e
            WHERE e.started_on > %s AND e.started_on <= %s
        ),
        tk AS (
            SELECT t.enrollment_id AS id, {", ".join(task_cols)}
            FROM {_table(Task)} t JOIN enr e ON e.id = t.enrollment_id
            WHERE t.kind <> %s
              AND NOT (t.status = %s AND (t.closed_on IS NULL OR t.closed_on <= t.due_on))
            GROUP BY t.enrollment_id
        ),
        mv AS (
            SELECT e.id,
                MIN(CASE WHEN m.dir = 1 THEN {reached} END) AS first_up,
                MIN(CASE WHEN m.dir = -1 THEN {reached} END) AS first_down
            FROM enr e
            JOIN {_table(Playbook)} p ON p.id = e.playbook_id
            JOIN {_table(ClassChange)} c
              ON c.customer_id = e.customer_id AND c.dimension = p.dimension
             AND c.as_of > e.started_on AND c.as_of <= %s
            JOIN moves m
              ON m.dimension = p.dimension AND m.from_code = p.class_code
             AND m.to_code = c.to_code
            GROUP BY e.id
        )
        INSERT INTO {outcome} ({", ".join(columns)})
        SELECT e.id, %s, e.customer_id, e.playbook_id, cu.owner_id, cu.team_id,
               cu.industry, cu.region, cu.size, cu.kind, e.started_on,
               {", ".join(steps_cols)}, {", ".join(moved_cols)}
        FROM enr e
        JOIN {_table(Customer)} cu ON cu.id = e.customer_id
        LEFT JOIN tk ON tk.id = e.id
        LEFT JOIN mv ON mv.id = e.id
    """  # noqa: S608 - identifiers are quoted model tables, numbers are constants
    params: list = [v for row in moves for v in row]
    params += [lo, hi]
    params += [TaskStatus.DONE.value] * len(windows)
    params += [TaskKind.POOL_NOTICE.value, TaskStatus.NOT_APPLICABLE.value]
    params += [as_of, as_of]
    params += params_steps + params_moved
    # Per window: once over everyone, once per value of each customer attribute.
    # (label, value column, GROUP BY addition); names are constants, never user input.
    groupings = [("''", "''", "")] + [(f"'{a}'", a, f", {a}") for a in OUTCOME_ATTRIBUTES]
    rollup_sql = " UNION ALL ".join(
        f"SELECT as_of, {n}, {label}, {column}, playbook_id, owner_id, team_id, steps_{n}, "  # noqa: S608
        f"COUNT(*), SUM(improved_{n}), SUM(slipped_{n}) FROM {outcome} "
        f"WHERE steps_{n} IS NOT NULL "
        f"GROUP BY as_of, playbook_id, owner_id, team_id, steps_{n}{extra}"
        for n in windows
        for label, column, extra in groupings
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute(
            f"INSERT INTO {rollup} (as_of, window_days, attribute, value, playbook_id, "
            f"owner_id, team_id, steps, entered, improved, slipped) {rollup_sql}"
        )
        rollup_rows = cursor.rowcount
    analyze(PlaybookOutcome, PlaybookOutcomeRollup)
    # SQLite reports no row count for WITH … INSERT.
    enrollments = PlaybookOutcome.objects.count()
    result = OutcomesResult(
        as_of=as_of,
        enrollments=enrollments,
        rollup_rows=rollup_rows,
        seconds=round(time.perf_counter() - t0, 2),
    )
    log.info("playbook outcomes: %s", result)
    return result


@transaction.atomic
def adherence_rollup_refresh(*, as_of: dt.date) -> int:
    """Replaces AdherenceRollup with the playbook tasks due in the ADHERENCE_WEEKS weeks up
    to `as_of`, counted per week, owner, team and playbook by their status now — the
    buckets of strategies.adherence_buckets, as the live table counts them, over
    everyone and per value of each customer attribute. Team is the customer's team, like the
    table's scope. Returns the number of rows written."""
    AdherenceRollup.objects.all().delete()
    weeks_ago = f"({days_between_sql('t.due_on', '%s')} / 7)"
    counts_sql, counts_params = buckets.sums_sql("t")
    excluded = ", ".join(["%s"] * len(buckets.EXCLUDED_KINDS))
    params: list[Any] = [
        as_of, as_of, *counts_params,
        as_of - dt.timedelta(days=7 * ADHERENCE_WEEKS), as_of, *buckets.EXCLUDED_KINDS,
    ]  # fmt: skip
    # Once over everyone, once per value of each customer attribute (like the outcome
    # rollup); the attribute names are constants.
    groupings = [("''", "''", "")] + [(f"'{a}'", f"cu.{a}", ", 7") for a in OUTCOME_ATTRIBUTES]
    with connection.cursor() as cursor:
        for label, column, extra in groupings:
            cursor.execute(
                f"""
                INSERT INTO {_table(AdherenceRollup)} (as_of, weeks_ago, owner_id, team_id,
                    playbook_id, attribute, value, {", ".join(buckets.COUNT_NAMES)})
                SELECT %s, {weeks_ago}, t.owner_id, cu.team_id, s.playbook_id, {label},
                    {column}, {", ".join(counts_sql)}
                FROM {_table(Task)} t
                JOIN {_table(Customer)} cu ON cu.id = t.customer_id
                LEFT JOIN {_table(PlaybookStep)} s ON s.id = t.step_id
                WHERE t.due_on > %s AND t.due_on <= %s AND t.kind NOT IN ({excluded})
                GROUP BY 2, 3, 4, 5{extra}
                """,  # noqa: S608 - quoted model tables and constant column names only
                params,
            )
    analyze(AdherenceRollup)
    return AdherenceRollup.objects.count()


__all__ = [
    "ADHERENCE_WEEKS",
    "COHORT_DAYS",
    "OutcomesResult",
    "adherence_rollup_refresh",
    "playbook_outcomes_refresh",
]
