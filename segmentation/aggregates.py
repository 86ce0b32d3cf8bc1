"""Per-run aggregates for the dashboards (models in segmentation/models/aggregates.py).

`aggregates_write(run)` is called by the run after every partition is written and before the
current pointer flips, so the aggregates become visible together with the run's classes. It
is set-based: on PostgreSQL one INSERT … SELECT per table (the run's rows unpivoted with a
LATERAL VALUES list and grouped by GROUPING SETS, one set per grain); elsewhere (SQLite in
development and tests) one INSERT … SELECT per grain. The Pareto curves come from one NTILE
window query per grain. Nothing is computed per customer in Python.

Runs made before these tables existed: `manage.py segment_aggregates --missing` backfills
every succeeded run. Runs whose per-customer rows were already removed by retention get what
can still be known: class counts of the whole base (grain `all`, from Run.counts, no sums)
and their transitions (ClassChange is kept for every run)."""

from __future__ import annotations

import time

from django.db import connection, transaction

from .models import CUSTOM_PREFIX, DIMENSIONS, ClassChange, CustomerClasses, Run
from .models.aggregates import (
    AGGREGATE_SUMS,
    ATTRIBUTES,
    GRAIN_ALL,
    GRAIN_ATTRS,
    GRAIN_OWNER,
    GRAIN_TEAM,
    PAIR_DIMENSIONS,
    PAIR_SEPARATOR,
    ClassAggregate,
    ParetoCurve,
    TransitionAggregate,
)

# Pareto groups per scope: 100 gives the curve at every percentile of customers.
PARETO_GROUPS = 100

# grain → the customer columns it groups by (besides dimension and class).
GRAIN_COLUMNS: dict[str, tuple[str, ...]] = {
    GRAIN_ALL: (),
    GRAIN_TEAM: ("team_id",),
    GRAIN_OWNER: ("team_id", "owner_id"),
    GRAIN_ATTRS: ("team_id", *ATTRIBUTES),
}
_CELL_COLUMNS = ("team_id", "owner_id", *ATTRIBUTES)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _tables() -> dict[str, str]:
    from customers.models import Customer

    return {
        "classes": CustomerClasses._meta.db_table,
        "changes": ClassChange._meta.db_table,
        "customer": Customer._meta.db_table,
        "agg": ClassAggregate._meta.db_table,
        "trans": TransitionAggregate._meta.db_table,
    }


def _unpivot(run: Run | None = None) -> list[tuple[str, str]]:
    """(dimension, SQL expression of its code) for every stored dimension, and for the custom
    dimensions `run` evaluated (custom_<code>, read from the JSON column)."""
    pairs = [(dim, f"cc.{_q(dim)}") for dim in DIMENSIONS]
    for name, (a, b) in PAIR_DIMENSIONS.items():
        pairs.append((name, f"cc.{_q(a)} || '{PAIR_SEPARATOR}' || cc.{_q(b)}"))
    for code in sorted((run.custom_versions or {}) if run is not None else {}):
        # Codes are validated slugs ([a-z0-9_]), safe inside the SQL literal.
        if connection.vendor == "postgresql":
            expr = f"COALESCE(cc.{_q('custom')} ->> '{code}', '')"
        else:
            expr = f"COALESCE(json_extract(cc.{_q('custom')}, '$.{code}'), '')"
        pairs.append((f"{CUSTOM_PREFIX}{code}", expr))
    return pairs


def _cell_select(grain_columns: tuple[str, ...]) -> list[str]:
    """SELECT expressions of team_id, owner_id and the attributes for one grain: the grouped
    ones from the customer, the others NULL / ''."""
    out = []
    for col in _CELL_COLUMNS:
        if col in grain_columns:
            out.append(f"c.{_q(col)}" if col.endswith("_id") else f"COALESCE(c.{_q(col)}, '')")
        else:
            out.append("NULL" if col.endswith("_id") else "''")
    return out


def _class_sql_postgres(t: dict[str, str], run: Run | None = None) -> str:
    values = ", ".join(f"('{dim}', {expr})" for dim, expr in _unpivot(run))
    sets = ", ".join(
        "(" + ", ".join(["d.dimension", "d.code", *(f"c.{_q(c)}" for c in cols)]) + ")"
        for cols in GRAIN_COLUMNS.values()
    )
    sums = ", ".join(f"COALESCE(SUM(cc.{_q(s)}), 0)" for s in AGGREGATE_SUMS)
    cells = ", ".join(
        f"c.{_q(col)}" if col.endswith("_id") else f"COALESCE(c.{_q(col)}, '')"
        for col in _CELL_COLUMNS
    )
    return f"""
        INSERT INTO {_q(t["agg"])} (run_id, grain, dimension, code,
            {", ".join(_q(c) for c in _CELL_COLUMNS)}, customers,
            {", ".join(_q(s) for s in AGGREGATE_SUMS)})
        SELECT %s,
            CASE WHEN GROUPING(c.{_q("owner_id")}) = 0 THEN '{GRAIN_OWNER}'
                 WHEN GROUPING(c.{_q("industry")}) = 0 THEN '{GRAIN_ATTRS}'
                 WHEN GROUPING(c.{_q("team_id")}) = 0 THEN '{GRAIN_TEAM}'
                 ELSE '{GRAIN_ALL}' END,
            d.dimension, d.code, {cells}, COUNT(*), {sums}
        FROM {_q(t["classes"])} cc
        JOIN {_q(t["customer"])} c ON c.id = cc.customer_id
        CROSS JOIN LATERAL (VALUES {values}) AS d(dimension, code)
        WHERE cc.run_id = %s
        GROUP BY GROUPING SETS ({sets})
    """  # noqa: S608 - identifiers are quoted model names, values are parameters


def _class_sql_generic(t: dict[str, str], grain: str, run: Run | None = None) -> str:
    cols = GRAIN_COLUMNS[grain]
    group = ", ".join(f"c.{_q(c)}" for c in cols)
    sums = ", ".join(f"COALESCE(SUM(cc.{_q(s)}), 0)" for s in AGGREGATE_SUMS)
    selects = []
    for dim, expr in _unpivot(run):
        selects.append(
            f"SELECT %s, '{grain}', '{dim}', {expr}, {', '.join(_cell_select(cols))}, "  # noqa: S608 - identifiers are quoted model names, values are parameters
            f"COUNT(*), {sums} "
            f"FROM {_q(t['classes'])} cc JOIN {_q(t['customer'])} c ON c.id = cc.customer_id "
            f"WHERE cc.run_id = %s GROUP BY {expr}{', ' + group if group else ''}"
        )
    return (
        f"INSERT INTO {_q(t['agg'])} (run_id, grain, dimension, code, "
        f"{', '.join(_q(c) for c in _CELL_COLUMNS)}, customers, "
        f"{', '.join(_q(s) for s in AGGREGATE_SUMS)}) " + " UNION ALL ".join(selects)
    )


def _transition_sql(t: dict[str, str], grain: str | None) -> str:
    """grain None = every grain at once (PostgreSQL GROUPING SETS)."""
    head = (
        f"INSERT INTO {_q(t['trans'])} (run_id, grain, dimension, from_code, to_code, "
        f"{', '.join(_q(c) for c in _CELL_COLUMNS)}, customers) "
    )
    source = (
        f"FROM {_q(t['changes'])} ch JOIN {_q(t['customer'])} c ON c.id = ch.customer_id "
        f"WHERE ch.run_id = %s "
    )
    if grain is None:
        sets = ", ".join(
            "("
            + ", ".join(
                ["ch.dimension", "ch.from_code", "ch.to_code", *(f"c.{_q(c)}" for c in cols)]
            )
            + ")"
            for cols in GRAIN_COLUMNS.values()
        )
        cells = ", ".join(
            f"c.{_q(col)}" if col.endswith("_id") else f"COALESCE(c.{_q(col)}, '')"
            for col in _CELL_COLUMNS
        )
        return (
            head
            + f"""SELECT %s,
                CASE WHEN GROUPING(c.{_q("owner_id")}) = 0 THEN '{GRAIN_OWNER}'
                     WHEN GROUPING(c.{_q("industry")}) = 0 THEN '{GRAIN_ATTRS}'
                     WHEN GROUPING(c.{_q("team_id")}) = 0 THEN '{GRAIN_TEAM}'
                     ELSE '{GRAIN_ALL}' END,
                ch.dimension, ch.from_code, ch.to_code, {cells}, COUNT(*) """
            + source
            + f"GROUP BY GROUPING SETS ({sets})"
        )
    cols = GRAIN_COLUMNS[grain]
    group = "".join(f", c.{_q(c)}" for c in cols)
    return (
        head
        + f"SELECT %s, '{grain}', ch.dimension, ch.from_code, ch.to_code, "
        + f"{', '.join(_cell_select(cols))}, COUNT(*) "
        + source
        + f"GROUP BY ch.dimension, ch.from_code, ch.to_code{group}"
    )


def _pareto_rows(t: dict[str, str], run_id: int, partition: tuple[str, ...]) -> list[tuple]:
    """(team_id, owner_id, group, customers, revenue) per NTILE group of buyers."""
    part = ", ".join(f"c.{_q(c)}" for c in partition)
    over = (
        f"PARTITION BY {part} ORDER BY cc.revenue_window DESC"
        if part
        else ("ORDER BY cc.revenue_window DESC")
    )
    keys = [f"c.{_q(c)}" if c in partition else "NULL" for c in ("team_id", "owner_id")]
    sql = f"""
        SELECT team_id, owner_id, g, COUNT(*), SUM(rev) FROM (
            SELECT {keys[0]} AS team_id, {keys[1]} AS owner_id, cc.revenue_window AS rev,
                   NTILE({PARETO_GROUPS}) OVER ({over}) AS g
            FROM {_q(t["classes"])} cc JOIN {_q(t["customer"])} c ON c.id = cc.customer_id
            WHERE cc.run_id = %s AND cc.revenue_window > 0
        ) ranked
        GROUP BY team_id, owner_id, g
        ORDER BY team_id, owner_id, g
    """  # noqa: S608 - identifiers are quoted model names, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [run_id])
        return cursor.fetchall()


def _pareto_write(t: dict[str, str], run: Run) -> int:
    curves = []
    for grain, partition in (
        (GRAIN_ALL, ()),
        (GRAIN_TEAM, ("team_id",)),
        (GRAIN_OWNER, ("team_id", "owner_id")),
    ):
        groups: dict[tuple, list[tuple[int, float]]] = {}
        for team_id, owner_id, _g, n, revenue in _pareto_rows(t, run.pk, partition):
            groups.setdefault((team_id, owner_id), []).append((int(n), float(revenue or 0)))
        for (team_id, owner_id), rows in groups.items():
            total_n = sum(n for n, _ in rows)
            total_rev = sum(r for _, r in rows)
            points, cum_n, cum_rev = [[0.0, 0.0]], 0, 0.0
            for n, rev in rows:
                cum_n += n
                cum_rev += rev
                points.append(
                    [round(100 * cum_n / total_n, 2), round(100 * cum_rev / total_rev, 2)]
                )
            curves.append(
                ParetoCurve(
                    run=run,
                    grain=grain,
                    team_id=team_id,
                    owner_id=owner_id,
                    customers=total_n,
                    revenue=total_rev,
                    points=points,
                )
            )
    ParetoCurve.objects.bulk_create(curves, batch_size=1000)
    return len(curves)


def aggregates_delete(run: Run) -> None:
    ClassAggregate.objects.filter(run=run).delete()
    TransitionAggregate.objects.filter(run=run).delete()
    ParetoCurve.objects.filter(run=run).delete()


# Memory for the grouping: with the default 4 MB PostgreSQL sorts the 15M unpivoted rows
# (minutes at 1M customers); ~200k groups × 5 sums fit in a hash table of a few tens of MB.
AGGREGATE_WORK_MEM = "256MB"


def _tune_postgres(t: dict[str, str]) -> None:
    """Inside the aggregate transaction: enough work_mem for one hashed pass, and fresh
    statistics of the rows the run just COPYed (otherwise the planner still believes the
    table holds the previous run only and picks a nested loop over a million rows)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{AGGREGATE_WORK_MEM}'")
        cursor.execute(f"ANALYZE {_q(t['classes'])}")
        cursor.execute(f"ANALYZE {_q(t['changes'])}")


@transaction.atomic
def aggregates_write(run: Run) -> dict[str, float]:
    """(Re)writes every aggregate of `run` from its CustomerClasses and ClassChange rows.
    Returns seconds per table (the run adds them to its timings)."""
    t = _tables()
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    aggregates_delete(run)
    _tune_postgres(t)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_class_sql_postgres(t, run), [run.pk, run.pk])
        else:
            n = len(_unpivot(run))
            for grain in GRAIN_COLUMNS:
                cursor.execute(_class_sql_generic(t, grain, run), [run.pk, run.pk] * n)
    timings["aggregates_classes"] = time.perf_counter() - clock
    clock = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_transition_sql(t, None), [run.pk, run.pk])
        else:
            for grain in GRAIN_COLUMNS:
                cursor.execute(_transition_sql(t, grain), [run.pk, run.pk])
    timings["aggregates_transitions"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _pareto_write(t, run)
    timings["aggregates_pareto"] = time.perf_counter() - clock
    return timings


@transaction.atomic
def aggregates_backfill(run: Run) -> str:
    """Aggregates for a run made before they existed. Returns 'full' when the run's rows were
    still there, 'partial' when only Run.counts and ClassChange could be used."""
    if CustomerClasses.objects.filter(run=run).exists():
        aggregates_write(run)
        return "full"
    t = _tables()
    aggregates_delete(run)
    _tune_postgres(t)
    ClassAggregate.objects.bulk_create(
        ClassAggregate(run=run, grain=GRAIN_ALL, dimension=dim, code=code, customers=int(customers))
        for dim, classes in (run.counts or {}).items()
        for code, customers in classes.items()
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_transition_sql(t, None), [run.pk, run.pk])
        else:
            for grain in GRAIN_COLUMNS:
                cursor.execute(_transition_sql(t, grain), [run.pk, run.pk])
    return "partial"


def runs_missing_aggregates():
    from .models import RunStatus

    done = ClassAggregate.objects.values("run_id")
    return Run.objects.filter(status=RunStatus.SUCCEEDED).exclude(pk__in=done).order_by("as_of")
