"""Benchmark: import 1,000,000 transactions from CSV into PostgreSQL; prints the figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_wsbench \\
        .venv/bin/python bench/import.py --rows 1000000 --customers 20000

Writes a CSV of `--rows` transactions (customer_code, code, date, amount, cost, status) for
`--customers` customers, imports the customers, then the transactions (first import: all
creates), then the same file again (re-import: nothing changes). The target: the first
transaction import in at most 3 minutes. Rows from an earlier run are deleted first
(codes start with BENCH-)."""

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-dry-run", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from customers.importing import run_import
    from customers.models import Customer

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    with connection.cursor() as cur:  # plain SQL: the ORM would load a million rows to delete
        cur.execute("DELETE FROM customers_transaction WHERE external_code LIKE 'BENCH-%%'")
    Customer.objects.filter(external_code__startswith="BENCH-").delete()

    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="crm-bench-import-"))
    customers_csv = tmp / "customers.csv"
    with customers_csv.open("w", encoding="utf-8") as fh:
        fh.write("code,name,industry,size,region\n")
        for i in range(args.customers):
            fh.write(f"BENCH-C{i:07d},基准客户{i},retail,small,east\n")
    txn_csv = tmp / "transactions.csv"
    t0 = time.perf_counter()
    with txn_csv.open("w", encoding="utf-8") as fh:
        fh.write("customer_code,code,date,amount,cost,status\n")
        for i in range(args.rows):
            c = rng.randrange(args.customers)
            amount = rng.randrange(100, 500_000) / 100
            fh.write(
                f"BENCH-C{c:07d},BENCH-T{i:08d},20{rng.randrange(20, 27)}-"
                f"{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d},{amount:.2f},"
                f"{amount * 0.6:.2f},paid\n"
            )
    size_mb = txn_csv.stat().st_size / 1e6
    took = time.perf_counter() - t0
    print(f"generated {args.rows:,} transactions ({size_mb:.1f} MB) in {took:.1f} s")

    t0 = time.perf_counter()
    report = run_import(kind="customers", path=customers_csv)
    print(
        f"customers: {report.created:,} created in {time.perf_counter() - t0:.1f} s "
        f"(problems: {report.problems_total})"
    )

    if not args.skip_dry_run:
        t0 = time.perf_counter()
        report = run_import(kind="transactions", path=txn_csv, dry_run=True)
        took = time.perf_counter() - t0
        print(f"transactions dry run: {report.valid:,} valid in {took:.1f} s")

    t0 = time.perf_counter()
    report = run_import(kind="transactions", path=txn_csv)
    first = time.perf_counter() - t0
    print(
        f"transactions first import: {report.created:,} created, {report.updated:,} updated "
        f"in {first:.1f} s ({args.rows / first:,.0f} rows/s) — target ≤ 180 s: "
        f"{'OK' if first <= 180 else 'TOO SLOW'}"
    )
    print("  phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items()))

    t0 = time.perf_counter()
    report = run_import(kind="transactions", path=txn_csv)
    print(
        f"transactions re-import: {report.created:,} created, {report.updated:,} updated "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    print("  phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items()))
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    txn_csv.unlink()
    customers_csv.unlink()


if __name__ == "__main__":
    main()
