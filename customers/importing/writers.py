"""Writing staged import rows. Both writers have the same meaning: a row whose key exists
updates the columns the file fills (blank cells leave the stored value alone), a new key
creates a row (blank cells take the field's default); rows that would not change anything
are not touched, so a re-import reports nothing created and nothing updated."""

from __future__ import annotations

import csv
import itertools
import time
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from crm.db import copy_csv
from crm.models import User

from ..history import OwnerChange, customer_owner_history_write, owner_history_insert_sql
from ..models import Customer
from .specs import ImportKind

NULL = "\\N"
# Rows per bulk statement on the generic path (SQLite allows 32,766 parameters per query;
# 500 rows × up to 30 columns stays below it).
GENERIC_BATCH = 500


def create_missing_customers(*, codes: list[str], actor: User | None) -> int:
    """Customers for unknown codes the user asked to create: the code doubles as the name
    until someone fills the profile in."""
    owner_id = team_id = None
    if actor is not None:
        if actor.is_rep:
            owner_id, team_id = actor.pk, actor.team_id
        elif not actor.sees_all_teams:
            team_id = actor.team_id
    objs = [
        Customer(external_code=code, name=code, owner_id=owner_id, team_id=team_id)
        for code in codes
    ]
    Customer.objects.bulk_create(objs, batch_size=GENERIC_BATCH)
    return len(objs)


def _owner_fields(kind: ImportKind, fields: list[str]) -> list[str]:
    """The ownership columns (audited in the customer's history) this import writes."""
    if kind.model is not Customer:
        return []
    return [f for f in ("owner_id", "team_id") if f in fields]


def _model_columns(model: type[Model]):
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _default(field, defaults: dict[str, Any], now):
    if field.attname in defaults:
        return defaults[field.attname]
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    if field.has_default():
        return field.get_default()
    return None if field.null else field.get_default()


class _StagedRow(NamedTuple):
    """A row of the staged CSV: the record's key, its customer's code (kinds that belong to
    a customer), then one cell per imported field."""

    key: str
    customer_code: str | None
    cells: list[str]


def _staged_row(cells: list[str], *, has_customer: bool) -> _StagedRow:
    if has_customer:
        return _StagedRow(cells[0], cells[1], cells[2:])
    return _StagedRow(cells[0], None, cells[1:])


# Long on purpose: the COPY staging sequence (temporary table, COPY, UPDATE changed, INSERT new)
# reads top to bottom as one statement list.
def write_postgres(
    *,
    kind: ImportKind,
    fields: list[str],
    staged,
    defaults: dict[str, Any],
    timings: dict[str, float] | None = None,
    expect_updates: bool = True,
    expect_creates: bool = True,
    history_user_id: int | None = None,
) -> tuple[int, int]:
    """COPY the staged rows into a temporary table, then UPDATE what changed and INSERT what
    is new — two statements for the whole file (and two more for the ownership history of
    customers whose owner or team the file changes)."""
    timings = {} if timings is None else timings
    model = kind.model
    table = connection.ops.quote_name(model._meta.db_table)
    qn = connection.ops.quote_name
    by_attname = {f.attname: f for f in _model_columns(model)}
    stage_cols = ["key", *(["customer_code"] if kind.has_customer else []), *fields]
    now = timezone.now()
    customers = qn(Customer._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE crm_import_stage ("
            + ", ".join(f"{qn('s_' + c)} text" for c in stage_cols)
            + ") ON COMMIT DROP"
        )
        t = time.perf_counter()
        copy_csv(table="crm_import_stage", columns=None, stream=staged, null=NULL, encoding="UTF8")
        timings["copy"] = time.perf_counter() - t
        if expect_updates:
            cur.execute("CREATE INDEX ON crm_import_stage (s_key)")
            cur.execute("ANALYZE crm_import_stage")

        def cast(attname: str) -> str:
            return f"s.{qn('s_' + attname)}::{by_attname[attname].db_type(connection)}"

        join = (
            f" JOIN {customers} c ON c.external_code = s.s_customer_code"
            if kind.has_customer
            else ""
        )
        # UPDATE: only rows whose values actually change.
        sets = [f"{qn(f)} = COALESCE({cast(f)}, t.{qn(f)})" for f in fields]
        old = [f"t.{qn(f)}" for f in fields]
        new = [f"COALESCE({cast(f)}, t.{qn(f)})" for f in fields]
        if kind.has_customer:
            sets.append("customer_id = c.id")
            old.append("t.customer_id")
            new.append("c.id")
        updated = 0
        moves = _owner_fields(kind, fields)
        # Validation already knows whether any key exists; a first import skips the UPDATE
        # (a join of every staged row against the whole table) altogether.
        if sets and expect_updates:
            extra = ", updated_at = %s" if "updated_at" in by_attname else ""
            update_params = [now] if extra else []
            source = f"crm_import_stage s{join}"
            where = (
                f"t.external_code = s.s_key "
                f"AND ROW({', '.join(old)}) IS DISTINCT FROM ROW({', '.join(new)})"
            )
            if not moves:
                cur.execute(
                    f"UPDATE {table} t SET {', '.join(sets)}{extra} "  # noqa: S608 - names from _meta
                    f"FROM {source} WHERE {where}",
                    update_params,
                )
                updated = cur.rowcount
            else:
                # Customers whose owner or team changes get their ownership-history row in
                # the same statement: `b`, a self-join, is the row as it was before the
                # UPDATE, so only rows actually updated are compared (never the whole file).
                was = [qn(f"was_{f}") for f in moves]
                kept = ", ".join(f"b.{qn(f)} AS {w}" for f, w in zip(moves, was, strict=True))
                now_ = ", ".join(f"u.{qn(f)}" for f in moves)
                then = ", ".join(f"u.{w}" for w in was)
                sql = (
                    f"WITH u AS (UPDATE {table} t SET {', '.join(sets)}{extra} "  # noqa: S608 - names from _meta
                    f"FROM {table} b, {source} WHERE b.id = t.id AND {where} "
                    f"RETURNING t.id, t.external_code, t.owner_id, t.team_id, {kept}), "
                    f"h AS ({owner_history_insert_sql(source='u')} "
                    f"WHERE ROW({now_}) IS DISTINCT FROM ROW({then}) RETURNING 1) "
                    "SELECT count(*) FROM u"
                )
                cur.execute(sql, [*update_params, now, history_user_id, OwnerChange.IMPORT.value])
                updated = cur.fetchone()[0]
        timings["update"] = time.perf_counter() - t - timings["copy"]
        # INSERT: keys not stored yet. ON CONFLICT probes the unique index the insert updates
        # anyway, cheaper than an anti-join; a row committed meanwhile by someone else is kept.
        insert_cols: list[str] = []
        select: list[str] = []
        params: list[Any] = []
        for f in _model_columns(model):
            insert_cols.append(qn(f.column))
            if f.attname == "external_code":
                select.append("s.s_key")
            elif kind.has_customer and f.attname == "customer_id":
                select.append("c.id")
            elif f.attname in fields:
                default = _default(f, defaults, now)
                if default is None:
                    select.append(cast(f.attname))
                else:
                    select.append(f"COALESCE({cast(f.attname)}, %s)")
                    params.append(default)
            else:
                select.append("%s")
                params.append(_default(f, defaults, now))
        created = 0
        if expect_creates:
            cur.execute(
                f"INSERT INTO {table} ({', '.join(insert_cols)}) "  # noqa: S608 - names from _meta
                f"SELECT {', '.join(select)} FROM crm_import_stage s{join} "
                f"ON CONFLICT (external_code) DO NOTHING",
                params,
            )
            created = cur.rowcount
        timings["insert"] = time.perf_counter() - t - timings["copy"] - timings["update"]
        cur.execute("DROP TABLE crm_import_stage")
    return created, updated


def write_generic(
    *,
    kind: ImportKind,
    fields: list[str],
    staged,
    defaults: dict[str, Any],
    timings: dict[str, float] | None = None,
    expect_updates: bool = True,
    expect_creates: bool = True,
    history_user_id: int | None = None,
) -> tuple[int, int]:
    """The same upsert with the ORM, batch by batch (SQLite and small installations)."""
    model = kind.model
    by_attname = {f.attname: f for f in _model_columns(model)}
    reader = csv.reader(staged)
    created = updated = 0
    now = timezone.now()
    touch = ["updated_at"] if "updated_at" in by_attname else []
    moves = set(_owner_fields(kind, fields))
    while True:
        batch = list(itertools.islice(reader, GENERIC_BATCH))
        if not batch:
            return created, updated
        rows = [_staged_row(r, has_customer=kind.has_customer) for r in batch]
        existing = model._default_manager.in_bulk([r.key for r in rows], field_name="external_code")
        customer_ids: dict[str, int] = {}
        if kind.has_customer:
            customer_ids = dict(
                Customer.objects.filter(
                    external_code__in={r.customer_code for r in rows}
                ).values_list("external_code", "pk")
            )
        to_create: list[Model] = []
        to_update: list[Model] = []
        moved: list[int] = []
        for row in rows:
            values = {
                f: by_attname[f].to_python(None if v == NULL else v)
                for f, v in zip(fields, row.cells, strict=True)
            }
            if row.customer_code is not None:
                values["customer_id"] = customer_ids[row.customer_code]
            obj = existing.get(row.key)
            if obj is None:
                init = {**defaults, **{k: v for k, v in values.items() if v is not None}}
                to_create.append(model(external_code=row.key, **init))
                continue
            changed = False
            for f, v in values.items():
                if v is not None and getattr(obj, f) != v:
                    setattr(obj, f, v)
                    changed = True
                    if f in moves and (not moved or moved[-1] != obj.pk):
                        moved.append(obj.pk)
            if changed:
                if touch:
                    obj.updated_at = now  # type: ignore[attr-defined]  # models with the field
                to_update.append(obj)
        model._default_manager.bulk_create(to_create)
        update_fields = [*fields, *(["customer_id"] if kind.has_customer else []), *touch]
        if to_update and update_fields:
            model._default_manager.bulk_update(to_update, update_fields)
        if moved:
            customer_owner_history_write(
                customer_ids=moved, user_id=history_user_id, reason=OwnerChange.IMPORT
            )
        created += len(to_create)
        updated += len(to_update)
