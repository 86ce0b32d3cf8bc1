"""seed_demo: fill the database with a realistic, deterministic demo CRM.

Customers are drawn in chunks of CHUNK; each chunk has its own numpy Generator seeded with
(seed, chunk number), so the same seed, size and rep count give the same rows whatever the
database. Ids are assigned by the generator (the next free id of each table), which lets a
chunk's orders, contacts and cases point at each other without a round trip; sequences are
moved past them at the end.

The whole seed is one transaction: a failed or interrupted run leaves the database as it was
(with --flush, the old data is still there). On PostgreSQL, secondary indexes and foreign keys
are lifted for the load and rebuilt (re-validating every row) before the commit; see
load.PgBulkWindow for why that is ten times faster than row-by-row checks."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from crm.db import analyze
from customers.extensions import customer_data_flush_hooks
from customers.models import (
    Category,
    Contact,
    ContactLog,
    Customer,
    CustomerTag,
    Product,
    Referral,
    SatisfactionSurvey,
    ServiceCase,
    Transaction,
)

from .catalog import catalog_ensure
from .gen_activity import (
    cases_generate,
    contacts_generate,
    logs_generate,
    referrals_generate,
    surveys_generate,
)
from .gen_customers import customers_generate
from .gen_orders import orders_generate
from .load import PgBulkWindow, PgCopyLoader, SeedError, SqliteLoader, Stats
from .people import default_rep_count, demo_people_ensure
from .tags import need_tag_ensure, tags_generate

# 20,000 customers ≈ 400,000 orders ≈ 90 MB of binary COPY data: big enough that per-statement
# overhead vanishes, small enough that the chunks in flight stay within a few hundred MB.
CHUNK = 20_000
MAX_CUSTOMERS = 5_000_000
# Load order respects foreign keys within a chunk.
MODELS = (
    Customer,
    CustomerTag,
    Contact,
    Transaction,
    ContactLog,
    ServiceCase,
    SatisfactionSurvey,
    Referral,
)


@dataclass
class SeedReport:
    customers: int
    seed: int
    as_of: dt.date
    reps: int
    vendor: str
    rows: dict[str, int] = field(default_factory=dict)
    load_seconds: dict[str, float] = field(default_factory=dict)
    generate_seconds: float = 0.0
    finish_seconds: float = 0.0
    total_seconds: float = 0.0


def demo_data_flush() -> None:
    """Delete every customer record, what references them, and (through the registered
    flush hooks) what higher layers derived from them: classes, runs."""
    for hook in customer_data_flush_hooks():
        hook()
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in MODELS)
        with connection.cursor() as cursor:
            # PostgreSQL will not truncate a table with deferred checks pending in this
            # transaction; run them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return
    with transaction.atomic():
        for model in reversed(MODELS):
            model.objects.all().delete()


def _next_ids() -> dict[type, int]:
    return {m: (m.objects.aggregate(top=Max("id"))["top"] or 0) + 1 for m in MODELS}


def _finish(vendor: str) -> None:
    sql = connection.ops.sequence_reset_sql(no_style(), [*MODELS, Category, Product])
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)
    analyze(*MODELS)


def seed_demo(
    *,
    customers: int,
    seed: int = 42,
    reps: int | None = None,
    as_of: dt.date | None = None,
    flush: bool = False,
    progress: Callable[[str], None] | None = None,
) -> SeedReport:
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise SeedError(f"--customers must be between 1 and {MAX_CUSTOMERS:,}, not {customers:,}.")
    if reps is not None and reps < 1:
        raise SeedError(f"--reps must be at least 1, not {reps}.")
    today = timezone.localdate()
    as_of = as_of or today
    if as_of > today:
        raise SeedError(f"--as-of cannot be in the future (today is {today}), not {as_of}.")
    with transaction.atomic():
        return _seed(
            customers=customers, seed=seed, reps=reps, as_of=as_of, flush=flush, progress=progress
        )


def _seed(*, customers, seed, reps, as_of, flush, progress) -> SeedReport:
    vendor = connection.vendor
    started = time.perf_counter()
    if flush:
        demo_data_flush()
    elif Customer.objects.exists():
        raise SeedError(
            f"The database already holds {Customer.objects.count():,} customers. Run again with "
            "--flush to delete every customer record and load the demo in their place."
        )
    rep_count = reps or default_rep_count(customers)
    people = demo_people_ensure(reps=rep_count, rng=np.random.default_rng([seed, 0, 1]))
    catalog = catalog_ensure()
    need_tag = need_tag_ensure()
    next_id = _next_ids()
    report = SeedReport(
        customers=customers, seed=seed, as_of=as_of, reps=people.rep_count, vendor=vendor
    )
    window = None
    if vendor == "postgresql":
        window = PgBulkWindow(connection, [m._meta.db_table for m in MODELS])
        window.lift()
    if progress:
        progress(f"people, catalogue and schema ready ({time.perf_counter() - started:,.1f} s)")
    stats = Stats()
    loader = (PgCopyLoader if vendor == "postgresql" else SqliteLoader)(connection, stats)
    try:
        for number in range(math.ceil(customers / CHUNK)):
            gen_started = time.perf_counter()
            size = min(CHUNK, customers - number * CHUNK)
            batches = _chunk(
                rng=np.random.default_rng([seed, number + 1]),
                number=number,
                size=size,
                next_id=next_id,
                people=people,
                catalog=catalog,
                need_tag=need_tag,
                seed=seed,
            )
            report.generate_seconds += time.perf_counter() - gen_started
            loader.submit(batches, as_of=as_of)
            if progress:
                progress(
                    f"{number * CHUNK + size:,}/{customers:,} customers generated "
                    f"({time.perf_counter() - started:,.0f} s)"
                )
    finally:
        loader.close()
    finish_started = time.perf_counter()
    if window is not None:
        if progress:
            progress("rebuilding indexes and validating foreign keys")
        window.restore(progress)
        if progress:
            progress(f"indexes and foreign keys back ({time.perf_counter() - started:,.1f} s)")
    _finish(vendor)
    report.finish_seconds = time.perf_counter() - finish_started
    report.rows = dict(stats.rows)
    report.load_seconds = dict(stats.seconds)
    report.total_seconds = time.perf_counter() - started
    return report


def _chunk(
    *, rng, number: int, size: int, next_id: dict, people, catalog, need_tag: int, seed: int
) -> list:
    """Every row of one chunk of customers, in foreign-key order; advances `next_id`."""
    frame, info = customers_generate(
        rng=rng,
        first_id=next_id[Customer] + number * CHUNK,
        index0=number * CHUNK,
        n=size,
        people=people,
    )
    orders, order_info = orders_generate(
        rng=rng, first_id=next_id[Transaction], customers=info, catalog=catalog
    )
    contacts, contact_info = contacts_generate(rng=rng, first_id=next_id[Contact], customers=info)
    logs = logs_generate(
        rng=rng, first_id=next_id[ContactLog], customers=info, contacts=contact_info
    )
    cases = cases_generate(
        rng=rng, first_id=next_id[ServiceCase], customers=info, orders=order_info
    )
    surveys = surveys_generate(
        rng=rng, first_id=next_id[SatisfactionSurvey], customers=info, orders=order_info
    )
    referrals = referrals_generate(rng=rng, first_id=next_id[Referral], customers=info)
    # A generator of its own: the tags leave every other row as it was before they existed.
    tags = tags_generate(
        rng=np.random.default_rng([seed, number + 1, 7]),
        first_id=next_id[CustomerTag],
        customers=info,
        tag_id=need_tag,
    )
    batches = [
        (Customer, frame),
        (CustomerTag, tags),
        (Contact, contacts),
        (Transaction, orders),
        (ContactLog, logs),
        (ServiceCase, cases),
        (SatisfactionSurvey, surveys),
        (Referral, referrals),
    ]
    for model, batch in batches[1:]:
        next_id[model] += len(batch)
    return batches
