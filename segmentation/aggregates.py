"""Per-run aggregates for the dashboards (models in segmentation/models/aggregates.py).

`aggregates_write(run)` is called by the run after every partition is written and before the
current pointer flips, so the aggregates become visible together with the run's classes.
Class aggregates and Pareto curves: the run's rows (codes, team, owner, attributes, sums) are
streamed once with COPY … TO STDOUT into a DataFrame and grouped per dimension and grain with
categorical keys, then written with COPY. (A single SQL INSERT … SELECT with the rows
unpivoted by LATERAL VALUES and GROUPING SETS was measured first: 185 s for 750k customers at
load 15, against seconds here.) Transitions come from ClassChange, far fewer rows: one
INSERT … SELECT with GROUPING SETS on PostgreSQL, one per grain elsewhere.

Runs made before these tables existed: `manage.py segment_aggregates --missing` backfills
every succeeded run. Runs whose per-customer rows were already removed by retention get what
can still be known: class counts of the whole base (grain `all`, from Run.counts, no sums)
and their transitions (ClassChange is kept for every run)."""

from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
from django.db import connection, transaction

from crm.db import analyze, is_postgresql, set_local_work_mem

from .dimensions import BUILTIN, ColumnStorage, JsonStorage, dimension_spec, dimension_specs
from .dimensions.rows import hashes_to_texts, json_categoricals, json_document_hashes
from .models import ClassChange, CustomerClasses, Run
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
from .writers import frame_insert

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


def _unpivot(run: Run | None = None) -> list[tuple[str, str | None]]:
    """(dimension, SQL expression of its code) for every dimension `run` computed, with the
    pair dimensions after the column-stored ones; expression None for the dimensions stored
    in the JSON document, which is read once and decoded per distinct document
    (`dimensions.rows.json_categoricals`), not extracted per customer and dimension."""
    specs = dimension_specs(run=run) if run is not None else list(BUILTIN)
    pairs: list[tuple[str, str | None]] = [
        (s.key, f"cc.{_q(s.key)}") for s in specs if isinstance(s.storage, ColumnStorage)
    ]
    for name, (a, b) in PAIR_DIMENSIONS.items():
        pairs.append((name, f"cc.{_q(a)} || '{PAIR_SEPARATOR}' || cc.{_q(b)}"))
    pairs.extend((s.key, None) for s in specs if isinstance(s.storage, JsonStorage))
    return pairs


def _json_code(key: str) -> str:
    spec = dimension_spec(key)
    if spec is None or not isinstance(spec.storage, JsonStorage):
        raise ValueError(f"{key} is not stored in the JSON document")
    return spec.storage.code


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


def _class_frame(t: dict[str, str], run: Run) -> tuple[pd.DataFrame, list[tuple[str, str | None]]]:
    """One row per customer of the run: team, owner, attributes, one code column per stored
    dimension (`d0`, `d1`, … in `_unpivot` order) and the sums. On PostgreSQL streamed with
    COPY … TO STDOUT (a few seconds for 1M rows); elsewhere one fetch."""
    unpivot = _unpivot(run)
    stored = [(i, expr) for i, (_dim, expr) in enumerate(unpivot) if expr is not None]
    custom = [(i, _json_code(dim)) for i, (dim, expr) in enumerate(unpivot) if expr is None]
    names = [f"d{i}" for i, _expr in stored]
    texts_of = json_document_hashes(t["classes"], run) if custom else None
    if custom:
        if texts_of is not None:
            text = "jsonb_hash(cc.custom)::text"  # 4 bytes a customer, not the JSON text
        else:
            text = "cc.custom::text" if is_postgresql() else "cc.custom"
        names.append("custom_text")
    select = ", ".join(
        [
            "c.team_id",
            "c.owner_id",
            *(f"COALESCE(c.{_q(a)}, '')" for a in ATTRIBUTES),
            *(expr for _i, expr in stored),
            *([f"COALESCE({text}, '')"] if custom else []),
            *(f"cc.{_q(s)}" for s in AGGREGATE_SUMS),
        ]
    )
    sql = (
        f"SELECT {select} FROM {_q(t['classes'])} cc "  # noqa: S608 - quoted names, int id
        f"JOIN {_q(t['customer'])} c ON c.id = cc.customer_id WHERE cc.run_id = {int(run.pk)}"
    )
    columns = ["team_id", "owner_id", *ATTRIBUTES, *names, *AGGREGATE_SUMS]
    text_columns = [*ATTRIBUTES, *names]
    with connection.cursor() as cursor:
        if is_postgresql():
            buffer = io.StringIO()
            cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", buffer)
            buffer.seek(0)
            frame = pd.read_csv(
                buffer,
                names=columns,
                # Categorical straight from the parser: a third faster than str, then cast.
                dtype={c: "category" for c in text_columns},
                keep_default_na=False,
                na_values={c: [""] for c in ("team_id", "owner_id", *AGGREGATE_SUMS)},
            )
        else:
            cursor.execute(sql)
            frame = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    for col in ("team_id", "owner_id"):
        frame[col] = pd.to_numeric(frame[col]).fillna(_NO_ID).astype("int64")
    for col in AGGREGATE_SUMS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    for col in text_columns:
        if not isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].fillna("").astype(str).astype("category")
    if custom:
        texts = frame.pop("custom_text")
        if texts_of is not None:
            texts = hashes_to_texts(texts, texts_of)
        columns_of = json_categoricals(texts, [code for _i, code in custom])
        for i, code in custom:
            frame[f"d{i}"] = columns_of[code]
    return frame, unpivot


# team_id / owner_id of a customer without team or owner while grouping (NULL when written).
_NO_ID = -1


def _cells(frame: pd.DataFrame, cols: tuple[str, ...]) -> tuple[np.ndarray, pd.DataFrame]:
    """Dense cell number per customer for the combination of `cols`, and the cells' values:
    each column as small integers, combined in mixed radix, then factorized (vectorised; a
    MultiIndex of tuples would take seconds per grain)."""
    parts = []
    for col in cols:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            parts.append(
                (frame[col].cat.codes.to_numpy().astype("int64"), frame[col].cat.categories)
            )
        else:
            ints, uniques = pd.factorize(frame[col])
            parts.append((ints.astype("int64"), uniques))
    combined = np.zeros(len(frame), dtype="int64")
    for ints, uniques in parts:
        combined = combined * len(uniques) + ints
    cell, uniq = pd.factorize(combined)
    values = {}
    rest = np.asarray(uniq, dtype="int64")
    for col, (_ints, uniques) in reversed(list(zip(cols, parts, strict=True))):
        values[col] = np.asarray(uniques)[rest % len(uniques)]
        rest = rest // len(uniques)
    return cell.astype("int64"), pd.DataFrame({c: values[c] for c in cols})


def _class_aggregates(frame: pd.DataFrame, unpivot: list[tuple[str, str | None]]) -> pd.DataFrame:
    """Customers and sums per (dimension, class) at every grain. Each grain's cells are
    numbered once; then per dimension `class × cells + cell` indexes one np.bincount per sum
    (milliseconds for a million customers, where a pandas group-by per dimension and grain
    took half a minute)."""
    sums = {s: frame[s].fillna(0.0).to_numpy(dtype="float64") for s in AGGREGATE_SUMS}
    codes = {}
    for i in range(len(unpivot)):
        col = frame[f"d{i}"]
        codes[i] = (col.cat.codes.to_numpy().astype("int64"), list(col.cat.categories))
    parts = []
    for grain, cols in GRAIN_COLUMNS.items():
        if cols:
            cell, cells_frame = _cells(frame, cols)
        else:
            cell = np.zeros(len(frame), dtype="int64")
            cells_frame = pd.DataFrame(index=[0])
        n_cells = len(cells_frame)
        for i, (dim, _expr) in enumerate(unpivot):
            code, categories = codes[i]
            key = code * n_cells + cell
            size = len(categories) * n_cells
            customers = np.bincount(key, minlength=size)
            hit = np.flatnonzero(customers)
            agg = cells_frame.iloc[hit % n_cells].reset_index(drop=True)
            agg["code"] = np.asarray(categories, dtype=object)[hit // n_cells]
            agg["customers"] = customers[hit]
            for s, values in sums.items():
                agg[s] = np.bincount(key, weights=values, minlength=size)[hit]
            agg["grain"] = grain
            agg["dimension"] = dim
            parts.append(agg)
    out = pd.concat(parts, ignore_index=True)
    for col in _CELL_COLUMNS:
        if col.endswith("_id"):
            values = out[col] if col in out else pd.Series(_NO_ID, index=out.index)
            out[col] = values.fillna(_NO_ID).astype("int64").astype(object)
            out.loc[out[col] == _NO_ID, col] = None
        else:
            out[col] = out[col].astype(object).fillna("").astype(str) if col in out else ""
    return out


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


def _pareto_write(frame: pd.DataFrame, run: Run) -> int:
    """Buyers (revenue in window > 0) per scope sorted by revenue, cut into PARETO_GROUPS
    equal groups (as NTILE: groups differ by at most one customer); one curve per scope."""
    buyers = frame.loc[frame["revenue_window"] > 0, ["team_id", "owner_id", "revenue_window"]]
    curves = []
    for grain, keys in (
        (GRAIN_ALL, []),
        (GRAIN_TEAM, ["team_id"]),
        (GRAIN_OWNER, ["team_id", "owner_id"]),
    ):
        ordered = buyers.sort_values(
            [*keys, "revenue_window"], ascending=[True] * len(keys) + [False], kind="stable"
        )
        if keys:
            rank = ordered.groupby(keys, sort=False).cumcount().to_numpy()
            size = ordered.groupby(keys, sort=False)["revenue_window"].transform("size")
        else:
            rank = np.arange(len(ordered))
            size = pd.Series(len(ordered), index=ordered.index)
        ordered = ordered.assign(bucket=rank * PARETO_GROUPS // size.to_numpy())
        per_bucket = ordered.groupby([*keys, "bucket"], sort=True)["revenue_window"].agg(
            ["size", "sum"]
        )
        scopes = per_bucket.groupby(level=keys, sort=False) if keys else [((), per_bucket)]
        for key, rows in scopes:
            key = key if isinstance(key, tuple) else (key,)
            ids = dict(zip(keys, key, strict=True))
            counts, revenues = rows["size"].to_numpy(), rows["sum"].to_numpy()
            total_n, total_rev = int(counts.sum()), float(revenues.sum())
            cum_n, cum_rev = np.cumsum(counts), np.cumsum(revenues)
            points = [[0.0, 0.0]] + [
                [round(100 * float(n) / total_n, 2), round(100 * float(r) / total_rev, 2)]
                for n, r in zip(cum_n, cum_rev, strict=True)
            ]
            team_id, owner_id = ids.get("team_id"), ids.get("owner_id")
            curves.append(
                ParetoCurve(
                    run=run,
                    grain=grain,
                    team_id=None if team_id in (None, _NO_ID) else int(team_id),
                    owner_id=None if owner_id in (None, _NO_ID) else int(owner_id),
                    customers=total_n,
                    revenue=total_rev,
                    points=points,
                )
            )
    ParetoCurve.objects.bulk_create(curves, batch_size=1000)
    return len(curves)


def _transitions_write(t: dict[str, str], run: Run) -> None:
    """One INSERT … SELECT with GROUPING SETS on PostgreSQL, one per grain elsewhere."""
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(_transition_sql(t, None), [run.pk, run.pk])
        else:
            for grain in GRAIN_COLUMNS:
                cursor.execute(_transition_sql(t, grain), [run.pk, run.pk])


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
    set_local_work_mem(AGGREGATE_WORK_MEM)
    analyze(CustomerClasses, ClassChange)


@transaction.atomic
def aggregates_write(run: Run) -> dict[str, float]:
    """(Re)writes every aggregate of `run` from its CustomerClasses and ClassChange rows.
    Returns seconds per table (the run adds them to its timings)."""
    t = _tables()
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    aggregates_delete(run)
    _tune_postgres(t)
    frame, unpivot = _class_frame(t, run)
    out = _class_aggregates(frame, unpivot)
    out["run_id"] = run.pk
    # text_columns: customers without an industry, a class code of '', stay '' (not NULL).
    frame_insert(
        table=t["agg"],
        frame=out,
        columns=[
            "run_id",
            "grain",
            "dimension",
            "code",
            *_CELL_COLUMNS,
            "customers",
            *AGGREGATE_SUMS,
        ],
        integer_columns=["run_id", "team_id", "owner_id", "customers"],
        text_columns=["grain", "dimension", "code", *ATTRIBUTES],
    )
    del out
    timings["aggregates_classes"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _transitions_write(t, run)
    timings["aggregates_transitions"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _pareto_write(frame, run)
    timings["aggregates_pareto"] = time.perf_counter() - clock
    # The dashboards read these tables every morning; plan them with today's row counts.
    analyze(ClassAggregate, TransitionAggregate, ParetoCurve)
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
    _transitions_write(t, run)
    return "partial"


def runs_missing_aggregates():
    from .models import RunStatus

    done = ClassAggregate.objects.values("run_id")
    return Run.objects.filter(status=RunStatus.SUCCEEDED).exclude(pk__in=done).order_by("as_of")
