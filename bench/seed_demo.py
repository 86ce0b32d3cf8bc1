"""Benchmark of `seed_demo` on PostgreSQL. Prints figures; it is not a test.

    createdb -h 127.0.0.1 -U postgres crm_bench
    .venv/bin/python bench/seed_demo.py --customers 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/crm_bench

Migrates the database, replaces its customer records (`--flush`, which TRUNCATEs every customer
table and whatever references them) with `--customers` demo customers, then prints rows and
rows/second per table, the total wall time and the time for 100,000 customers (measured when
`--customers` is 100,000, else scaled linearly from the run).

The 1M figure (the target: 1,000,000 customers and ~20,000,000 transactions in at most 20
minutes on a 2-core machine) comes from the same command with `--customers 1000000`; run it in
the background, it takes minutes:

    nohup .venv/bin/python bench/seed_demo.py --customers 1000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/crm_bench > /tmp/seed-1m.log 2>&1 &

The database is left seeded, so other benchmarks (segmentation, pages) can reuse it."""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the benchmark measures the PostgreSQL COPY path: give a postgres:// URL")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from demo.seed import seed_demo
    from demo.seed.report import seed_summary

    call_command("migrate", verbosity=0, interactive=False)
    print(f"database {connection.settings_dict['NAME']}, seeding {args.customers:,} customers")
    started = time.perf_counter()
    report = seed_demo(
        customers=args.customers,
        seed=args.seed,
        flush=True,
        progress=lambda message: print(message, flush=True),
    )
    wall = time.perf_counter() - started
    total_rows = sum(report.rows.values())
    print()
    print(seed_summary(report))
    print()
    print(f"total rows        {total_rows:,} in {wall:,.1f} s = {total_rows / wall:,.0f} rows/s")
    print(f"transactions      {report.rows.get('customers_transaction', 0):,}")
    per_100k = wall * 100_000 / args.customers
    how = "measured" if args.customers == 100_000 else f"scaled from {args.customers:,}"
    print(f"100k customers    {per_100k:,.1f} s ({how})")
    how = "measured" if args.customers == 1_000_000 else f"scaled from {args.customers:,}"
    print(f"1M customers      {wall * 1_000_000 / args.customers:,.1f} s ({how}; target ≤ 1,200 s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory       {peak:,.0f} MB (max RSS of this process)")


if __name__ == "__main__":
    main()
