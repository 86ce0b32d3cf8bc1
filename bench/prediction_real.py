"""The selected model vs plain BG/NBD on real data: selection inside the history, judged after it.

    .venv/bin/python bench/prediction_real.py                          # CDNOW 2,357 (fixture)
    .venv/bin/python bench/prediction_real.py --cdnow PATH/CDNOW_master.txt --master
    DATABASE_URL=sqlite:////tmp/predict.sqlite3 .venv/bin/python bench/prediction_real.py \
        --from-db 2025-06-30 --horizon 365

For a cut-off date D: the summary and the backtest use only purchases up to D (the backtest
holds out the end of *that* history, `backtest.holdout_days_for`); the selected model, refitted
on everything up to D and bias-corrected as in the nightly run, then predicts each customer's
purchase days in the `--horizon` days after D, and is compared with what they did. Plain BG/NBD
(fitted on the same data) and each customer's own average rate are the references.

CDNOW files are the ones shipped in the `lifetimes` 0.11.3 wheel (`CDNOW_sample.txt` is kept
as tests/segmentation/data/cdnow_sample_transactions.txt; `CDNOW_master.txt`, 23,570
customers, is in the wheel: `.venv/bin/pip download lifetimes==0.11.3 --no-deps -d /tmp/lt`).
Columns: [master id,] customer id, date YYYYMMDD, CDs, dollars. Default D = 1997-09-30 and a
273-day horizon: the papers' 39 + 39 weeks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")


def _from_file(path: Path, master: bool, cut: pd.Timestamp, horizon: int):
    from segmentation.prediction.backtest import frames_from_transactions, holdout_days_for

    names = (
        ["customer_id", "date", "cds", "amount"]
        if master
        else ["master_id", "customer_id", "date", "cds", "amount"]
    )
    raw = pd.read_csv(path, sep=r"\s+", header=None, names=names, skiprows=1 if master else 0)
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    known = raw[raw["date"] <= cut]
    span = (cut - known["date"].min()).days
    holdout = holdout_days_for(span)
    if holdout is None:
        raise SystemExit(f"history up to {cut.date()} is too short for a backtest ({span} days)")
    summary, backtest = frames_from_transactions(known, as_of=cut, holdout_days=holdout)
    backtest.attrs["holdout_days"] = holdout
    later = raw[(raw["date"] > cut) & (raw["date"] <= cut + pd.Timedelta(days=horizon))]
    actual = (
        later.assign(day=later["date"].dt.normalize())
        .groupby("customer_id")["day"]
        .nunique()
        .reindex(summary.index)
        .fillna(0)
        .to_numpy(dtype=np.float64)
    )
    return summary, backtest, actual


def _from_db(cut: dt.date, horizon: int):
    from segmentation.prediction.history import backtest_history, purchase_history_summarise

    history = purchase_history_summarise(as_of=cut, horizon_days=horizon)
    summary = history[["frequency", "recency", "T", "monetary_value"]]
    backtest = backtest_history(as_of=cut, span_days=int(summary["T"].max()))
    return summary, backtest, history["actual_orders"].to_numpy(dtype=np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cdnow", default=str(ROOT / "tests/segmentation/data/cdnow_sample_transactions.txt")
    )
    parser.add_argument("--master", action="store_true", help="CDNOW_master.txt layout")
    parser.add_argument("--cut", default="1997-09-30", help="cut-off date D")
    parser.add_argument("--horizon", type=int, default=273, help="days after D to judge")
    parser.add_argument("--from-db", metavar="D", help="read DATABASE_URL instead of a file")
    args = parser.parse_args()

    import django

    django.setup()
    from django.utils import translation

    translation.activate("en")
    from segmentation.prediction.backtest import table_rows, why_text
    from segmentation.prediction.evaluation import evaluate_selection

    if args.from_db:
        summary, backtest, actual = _from_db(dt.date.fromisoformat(args.from_db), args.horizon)
        source = f"database {os.environ.get('DATABASE_URL', '(settings)')}, D = {args.from_db}"
    else:
        cut = pd.Timestamp(args.cut)
        summary, backtest, actual = _from_file(Path(args.cdnow), args.master, cut, args.horizon)
        source = f"{args.cdnow}, D = {args.cut}"
    table, prediction = evaluate_selection(
        summary=summary, backtest=backtest, actual=actual, horizon=float(args.horizon)
    )
    result = prediction.backtest
    print(f"source: {source}")
    print(
        f"customers: {len(summary):,}; actual purchase days in the {args.horizon} days after D: "
        f"{actual.sum():,.0f} ({(actual > 0).mean():.1%} of customers bought)"
    )
    if result is not None:
        print(
            f"backtest inside the history up to D: held out the last {result.holdout_days} "
            f"days, {result.n_customers:,} customers"
        )
        for row in table_rows(result.as_dict()):
            print("  " + " | ".join(f"{c:>12}" for c in row))
        print(f"  choice: {why_text(result.why)}")
    for notice in prediction.notices:
        print(f"note: {notice.message}")
    print()
    print(f"after D ({args.horizon} days):")
    print(table.to_string(float_format=lambda v: f"{v:,.4f}"))


if __name__ == "__main__":
    main()
