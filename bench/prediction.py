"""Benchmark: fit + scoring of 1,000,000 customers (target ≤ 60 s). Prints figures.

    .venv/bin/python bench/prediction.py                 # simulated 1M-customer summary
    .venv/bin/python bench/prediction.py --n 200000      # smaller
    DATABASE_URL=postgres://…/crm_bench .venv/bin/python bench/prediction.py --from-db 2026-06-30

The simulated summary mimics real data: whole days, tenure 1 day to 3 years, ~3 orders a year
on average, MBG/NBD purchase story, Gamma-Gamma order values. --from-db instead reads the
seeded database through the same one-query selector the report uses (read-only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--model", default="mbgnbd", choices=["bgnbd", "mbgnbd"])
    parser.add_argument("--from-db", metavar="AS_OF", help="read the summary from DATABASE_URL")
    args = parser.parse_args()

    import django

    django.setup()
    from segmentation.prediction import predict_customer_value
    from segmentation.prediction.simulate import simulate_customers

    started = time.perf_counter()
    if args.from_db:
        from segmentation.prediction.history import purchase_history_summarise

        history = purchase_history_summarise(as_of=dt.date.fromisoformat(args.from_db))
        summary = history[["frequency", "recency", "T", "monetary_value"]]
        source = f"database, as of {args.from_db}"
    else:
        tenure = np.random.default_rng(1).integers(1, 1096, size=args.n).astype(float)
        summary = simulate_customers(
            n=args.n,
            params=(0.5, 60.0, 0.8, 2.5),
            big_t=tenure,
            model="mbgnbd",
            spend_params=(6.0, 4.0, 150.0),
            seed=1,
        ).summary
        summary["recency"] = np.floor(summary["recency"])
        source = "simulated"
    prepared = time.perf_counter() - started

    started = time.perf_counter()
    prediction = predict_customer_value(summary=summary, model=args.model)
    total = time.perf_counter() - started
    count, spend = prediction.count_fit, prediction.spend_fit
    print(f"source:                {source}")
    print(f"customers:             {prediction.n_customers:,}")
    print(f"summary prepared in:   {prepared:.2f} s")
    if count:
        print(f"distinct (x, t_x, T):  {count.n_rows:,}")
        params = ", ".join(f"{k}={v:.4g}" for k, v in count.params.items())
        print(
            f"{count.model} fit:        {count.fit_seconds:.2f} s  ({params}; "
            f"converged={count.converged})"
        )
    if spend:
        params = ", ".join(f"{k}={v:.4g}" for k, v in spend.params.items())
        print(
            f"gamma-gamma fit:       {spend.fit_seconds:.2f} s  ({params}; "
            f"converged={spend.converged})"
        )
    print(f"fit + scoring total:   {total:.2f} s  (target ≤ 60 s)")
    for notice in prediction.notices:
        print(f"note: {notice.message}")
    print(
        f"mean p_alive {prediction.scores['p_alive'].mean():.3f}; "
        f"expected orders {prediction.scores['expected_orders_365d'].sum():,.0f}; "
        f"expected revenue {prediction.scores['expected_revenue_365d'].sum():,.0f}"
    )


if __name__ == "__main__":
    main()
