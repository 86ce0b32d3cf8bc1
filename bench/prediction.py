"""Benchmark: backtest of four candidates, selection, refit and scoring. Prints figures.

    .venv/bin/python bench/prediction.py --n 100000       # simulated arrays (no database)
    .venv/bin/python bench/prediction.py --n 100000 --truth regular
    DATABASE_URL=postgres://…/crm_bench .venv/bin/python bench/prediction.py --from-db 2026-06-30

Target: fit, select and score within 30 s at 1,000,000 customers (the lead measures 1M on a
quiet machine; helpers run ≤ 200,000). The simulated input mimics real data: whole days, first
purchase 1 day to 3 years before the split, ~3 orders a year; --truth picks the purchase story
(mbgnbd: Poisson buying with drop-out; regular: Erlang-8 gaps). The backtest frame is the
customers at the split with their next 365 days; today's summary is the same customers a year
on (x + the holdout's purchases, the last one placed uniformly in the holdout year: a timing
stand-in, not a model of anything). --from-db reads both through the run's own SQL selector
(read-only), and also times that pass.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")


def _simulated(n: int, truth: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from segmentation.prediction.simulate import simulate_customers, simulate_regular

    tenure = np.random.default_rng(1).integers(1, 1096, size=n).astype(float)
    if truth == "regular":
        sim = simulate_regular(
            n=n, rate=(4.0, 480.0), k=8, lifetime=(0.8, 600.0), big_t=tenure, seed=1
        )
        sim.summary["monetary_value"] = np.where(sim.summary["frequency"] > 0, 120.0, 0.0)
    else:
        sim = simulate_customers(
            n=n,
            params=(0.5, 60.0, 0.8, 2.5),
            big_t=tenure,
            model="mbgnbd",
            spend_params=(6.0, 4.0, 150.0),
            seed=1,
        )
    backtest = sim.summary.copy()
    backtest["recency"] = np.floor(backtest["recency"])
    backtest["actual_orders"] = sim.future_orders.astype(np.float64)
    rng = np.random.default_rng(2)
    future = sim.future_orders.astype(np.float64)
    summary = backtest[["frequency", "recency", "T", "monetary_value"]].copy()
    summary["T"] = backtest["T"] + 365.0
    summary["recency"] = np.where(
        future > 0, np.floor(backtest["T"] + 365.0 * rng.random(n)), backtest["recency"]
    )
    summary["frequency"] = backtest["frequency"] + future
    summary["monetary_value"] = np.where(
        summary["frequency"] > 0,
        np.where(backtest["monetary_value"] > 0, backtest["monetary_value"], 100.0),
        0.0,
    )
    backtest.attrs["holdout_days"] = 365
    return summary, backtest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--truth", default="mbgnbd", choices=["mbgnbd", "regular"])
    parser.add_argument("--from-db", metavar="AS_OF", help="read both frames from DATABASE_URL")
    args = parser.parse_args()

    import django

    django.setup()
    from segmentation.prediction import predict_customer_value
    from segmentation.prediction.backtest import why_text

    started = time.perf_counter()
    if args.from_db:
        from segmentation.prediction.history import backtest_for_run, purchase_history_summarise

        as_of = dt.date.fromisoformat(args.from_db)
        history = purchase_history_summarise(as_of=as_of)
        summary = history[["frequency", "recency", "T", "monetary_value"]]
        read = time.perf_counter() - started
        clock = time.perf_counter()
        backtest = backtest_for_run(as_of=as_of, summary=summary)
        backtest_read = time.perf_counter() - clock
        source = f"database, as of {args.from_db}"
    else:
        summary, backtest = _simulated(args.n, args.truth)
        read = time.perf_counter() - started
        backtest_read = 0.0
        source = f"simulated ({args.truth})"

    started = time.perf_counter()
    prediction = predict_customer_value(summary=summary, backtest=backtest)
    total = time.perf_counter() - started
    result = prediction.backtest
    print(f"source:                    {source}")
    print(f"customers:                 {prediction.n_customers:,}")
    print(f"summary prepared in:       {read:.2f} s")
    if args.from_db:
        print(f"backtest SQL pass:         {backtest_read:.2f} s (sampled by customer id)")
    if result is not None:
        print(
            f"backtest:                  {result.seconds:.2f} s on {result.n_customers:,} "
            f"customers, holdout {result.holdout_days} days"
        )
        for row in result.rows:
            fit_s = row.get("fit_seconds")
            print(
                f"  {row['label']:<28} total {row['total_error_pct']:>+8.2f} %  "
                f"RMSE {row['rmse']:.4f}  MAE {row['mae']:.4f}  AUC {row['auc']:.4f}"
                + (f"  fit {fit_s:.2f} s" if fit_s is not None else "")
            )
        print(f"winner:                    {result.winner} — {why_text(result.why)}")
    count, spend = prediction.count_fit, prediction.spend_fit
    if count:
        params = ", ".join(f"{k}={v:.4g}" for k, v in count.params.items())
        print(
            f"refit {count.model} on all:     {count.fit_seconds:.2f} s ({count.n_rows:,} rows; "
            f"{params}; converged={count.converged})"
        )
    if spend:
        print(f"gamma-gamma fit:           {spend.fit_seconds:.2f} s")
    print(f"bias factor applied:       {prediction.bias_factor:.4f}")
    print(f"fit + select + score:      {total:.2f} s  (target ≤ 30 s at 1,000,000)")
    for notice in prediction.notices:
        print(f"note: {notice.message}")
    scores = prediction.scores
    print(
        f"mean p_alive {scores['p_alive'].mean():.3f}; mean p_buy_365d "
        f"{scores['p_buy_365d'].mean():.3f}; expected orders "
        f"{scores['expected_orders_365d'].sum():,.0f}; expected revenue "
        f"{scores['expected_revenue_365d'].sum():,.0f}"
    )


if __name__ == "__main__":
    main()
