"""How phase 1's output should travel between workers: measured on one partition.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_scale \\
        .venv/bin/python bench/staging.py --customers 50000

Computes the metrics of the first `--customers` customer ids (one partition of a run) and
times three ways of handing them to another process: the compressed columnar blob the run
uses (segmentation.staging, stored in one bytea row), an UNLOGGED staging table written by
COPY and read back with SELECT, and — for phase 2 — reading only the cut/prediction columns
from each. Writes nothing the product reads (a temporary UNLOGGED table and a blob kept in
memory), so any copy of a classified database will do."""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.test")

import django

django.setup()

import pandas as pd  # noqa: E402
from django.db import connection  # noqa: E402

from segmentation.metrics import duplicates_map, metrics_for_range  # noqa: E402
from segmentation.models import RuleSet  # noqa: E402
from segmentation.pipeline.steps import PHASE2_COLUMNS  # noqa: E402
from segmentation.rules import rules_from_ruleset  # noqa: E402
from segmentation.staging import frame_pack, frame_unpack  # noqa: E402


def timed(label: str, fn, repeat: int = 3):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    print(f"  {label:<52} {best:6.2f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    with connection.cursor() as cur:
        cur.execute("SELECT min(id) FROM customers_customer")
        lo = cur.fetchone()[0]
    rules = rules_from_ruleset(RuleSet.objects.get(is_active=True))
    t0 = time.perf_counter()
    frame = metrics_for_range(
        lo=lo, hi=lo + args.customers, as_of=pd.Timestamp.today().date(), rules=rules,
        duplicates=duplicates_map(),
    )  # fmt: skip
    print(
        f"metrics of {len(frame):,} customers × {frame.shape[1]} columns in "
        f"{time.perf_counter() - t0:.1f} s (load average {os.getloadavg()[0]:.1f})"
    )
    cols = list(frame.columns)

    print("columnar blob (.npz, zlib) in one bytea row — what the run does:")
    blob = timed("pack", lambda: frame_pack(frame))
    print(f"  {'size':<52} {len(blob) / 1e6:6.1f} MB")
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_blob (id int PRIMARY KEY, b bytea)")
        cur.execute("INSERT INTO bench_blob VALUES (1, NULL)")

        def blob_write():
            cur.execute("UPDATE bench_blob SET b = %s WHERE id = 1", [blob])

        def blob_read(columns=None):
            cur.execute("SELECT b FROM bench_blob WHERE id = 1")
            return frame_unpack(cur.fetchone()[0], columns=columns)

        timed("write (UPDATE)", blob_write)
        timed("read + unpack every column", blob_read)
        timed("read + unpack the phase-2 columns", lambda: blob_read(list(PHASE2_COLUMNS)))

        print("UNLOGGED staging table, COPY in, SELECT out:")
        numeric = [c for c in cols if pd.api.types.is_numeric_dtype(frame[c])]
        text = [c for c in cols if c not in numeric]
        ddl = ", ".join(
            [f'"{c}" double precision' for c in numeric] + [f'"{c}" text' for c in text]
        )
        cur.execute(f"CREATE UNLOGGED TABLE bench_stage (customer_id bigint PRIMARY KEY, {ddl})")
        try:
            data = frame.reset_index()

            def copy_write():
                cur.execute("TRUNCATE bench_stage")
                buf = io.StringIO()
                data.round(2).to_csv(buf, header=False, index=False, na_rep="")
                buf.seek(0)
                names = ", ".join(f'"{c}"' for c in data.columns)
                cur.copy_expert(f"COPY bench_stage ({names}) FROM STDIN WITH (FORMAT csv)", buf)

            def select_read(columns):
                names = ", ".join(f'"{c}"' for c in ["customer_id", *columns])
                cur.execute(f"SELECT {names} FROM bench_stage")  # noqa: S608
                return pd.DataFrame.from_records(
                    cur.fetchall(), columns=["customer_id", *columns]
                ).set_index("customer_id")

            timed("write (CSV + COPY)", copy_write)
            timed("read every column (SELECT → DataFrame)", lambda: select_read(cols))
            timed("read the phase-2 columns", lambda: select_read(list(PHASE2_COLUMNS)))
            cur.execute("SELECT pg_total_relation_size('bench_stage')")
            print(f"  {'size on disk':<52} {cur.fetchone()[0] / 1e6:6.1f} MB")
        finally:
            cur.execute("DROP TABLE bench_stage")


if __name__ == "__main__":
    main()
