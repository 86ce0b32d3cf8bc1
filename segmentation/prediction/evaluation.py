"""The model's report card: fit on the past, compare with the following 365 days (pure, no ORM).

Input is one row per customer with a purchase on or before the split date: the calibration
summary (frequency, recency, T, monetary_value) plus `actual_orders` (purchase days in the 365
days after the split) and `last_year_orders` (purchase days in the 365 days up to the split).

Compared, per customer:
* BG/NBD and MBG/NBD expected orders;
* baseline "last year": the customer repeats last year's count;
* baseline "own rate": the customer keeps their own average repeat rate, x / T per day.
Ranking "bought again in the next 365 days" (ROC AUC): p_alive and expected orders of both
models against plain recency (fewer days since the last purchase ranks higher).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .backtest import roc_auc
from .predict import HORIZON_DAYS, Prediction, predict_customer_value

MODELS = ("bgnbd", "mbgnbd")
FREQUENCY_BUCKETS = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 5), (6, 9), (10, None)]


def _bucket_label(low: int, high: int | None) -> str:
    if high is None:
        return f"{low}+"
    return str(low) if low == high else f"{low}-{high}"


@dataclass(frozen=True)
class EvaluationReport:
    as_of: str
    predictions: dict[str, Prediction]
    totals: pd.DataFrame  # method → total predicted orders, MAE
    ranking: pd.DataFrame  # score → ROC AUC
    calibration: pd.DataFrame  # frequency bucket → mean actual and predicted orders
    n_customers: int
    n_bought_again: int

    def to_text(self) -> str:
        lines = [
            f"Prediction report — fitted on purchases up to {self.as_of}, "
            f"compared with the following {int(HORIZON_DAYS)} days",
            f"Customers: {self.n_customers}; bought again in the next {int(HORIZON_DAYS)} days: "
            f"{self.n_bought_again}",
            "",
        ]
        for name, prediction in self.predictions.items():
            fit = prediction.count_fit
            params = (
                ", ".join(f"{k}={v:.4g}" for k, v in fit.params.items())
                if fit and fit.converged
                else "not fitted"
            )
            seconds = f"{fit.fit_seconds:.2f}" if fit else "0"
            lines.append(f"{name}: {prediction.count_method} ({params}; fit {seconds} s)")
            lines.extend(f"  note: {notice.message}" for notice in prediction.notices)
        lines += [
            "",
            "Orders in the next 365 days (total and mean absolute error per customer)",
            self.totals.to_string(float_format=lambda v: f"{v:,.3f}"),
            "",
            "Ranking 'bought again in the next 365 days' (ROC AUC; 0.5 = chance)",
            self.ranking.to_string(float_format=lambda v: f"{v:.3f}"),
            "",
            "Calibration by repeat purchases before the split (mean orders per customer)",
            self.calibration.to_string(float_format=lambda v: f"{v:.3f}"),
        ]
        return "\n".join(lines) + "\n"

    def write(self, out_dir: Path) -> list[Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = {
            "text": out_dir / "prediction_report.txt",
            "totals": out_dir / "prediction_totals.csv",
            "ranking": out_dir / "prediction_ranking.csv",
            "calibration": out_dir / "prediction_calibration.csv",
            "chart": out_dir / "prediction_report.png",
        }
        paths["text"].write_text(self.to_text(), encoding="utf-8")
        self.totals.to_csv(paths["totals"])
        self.ranking.to_csv(paths["ranking"])
        self.calibration.to_csv(paths["calibration"])
        chart_write(self, paths["chart"])
        return list(paths.values())


def evaluate(*, history: pd.DataFrame, as_of: str, maxiter: int = 500) -> EvaluationReport:
    """Fit both count models on the calibration summary and score them against the holdout."""
    summary = history[["frequency", "recency", "T", "monetary_value"]]
    actual = history["actual_orders"].to_numpy(dtype=np.float64)
    x = summary["frequency"].to_numpy(dtype=np.float64)
    big_t = summary["T"].to_numpy(dtype=np.float64)
    days_since_last = (summary["T"] - summary["recency"]).to_numpy(dtype=np.float64)
    predicted: dict[str, np.ndarray] = {}
    predictions: dict[str, Prediction] = {}
    for model in MODELS:
        prediction = predict_customer_value(summary=summary, model=model, maxiter=maxiter)
        predictions[model] = prediction
        predicted[model] = prediction.scores["expected_orders_365d"].to_numpy()
    predicted["baseline: last year's count"] = history["last_year_orders"].to_numpy(
        dtype=np.float64
    )
    own_rate = np.divide(x, big_t, out=np.zeros(len(x)), where=big_t > 0)
    predicted["baseline: own average rate"] = own_rate * HORIZON_DAYS

    totals = pd.DataFrame(
        {
            "total_orders": [float(actual.sum())] + [float(v.sum()) for v in predicted.values()],
            "mae_per_customer": [0.0]
            + [
                float(np.abs(v - actual).mean()) if len(actual) else 0.0 for v in predicted.values()
            ],
        },
        index=pd.Index(["actual", *predicted.keys()], name="method"),
    )

    bought_again = actual > 0
    scores: dict[str, np.ndarray] = {}
    for model, prediction in predictions.items():
        scores[f"{model} p_alive"] = prediction.scores["p_alive"].to_numpy()
        scores[f"{model} expected orders"] = predicted[model]
    scores["recency (fewer days since last purchase)"] = -days_since_last
    ranking = pd.DataFrame(
        {
            "roc_auc": [
                roc_auc(v, bought_again) if not np.isnan(v).any() else float("nan")
                for v in scores.values()
            ]
        },
        index=pd.Index(list(scores.keys()), name="score"),
    )

    rows = []
    for low, high in FREQUENCY_BUCKETS:
        mask = (x >= low) if high is None else ((x >= low) & (x <= high))
        row: dict[str, object] = {
            "repeat_purchases": _bucket_label(low, high),
            "customers": int(mask.sum()),
            "actual": float(actual[mask].mean()) if mask.any() else float("nan"),
        }
        for name, values in predicted.items():
            row[name] = float(values[mask].mean()) if mask.any() else float("nan")
        rows.append(row)
    calibration = pd.DataFrame(rows).set_index("repeat_purchases")
    return EvaluationReport(
        as_of=as_of,
        predictions=predictions,
        totals=totals,
        ranking=ranking,
        calibration=calibration,
        n_customers=len(history),
        n_bought_again=int(bought_again.sum()),
    )


def chart_write(report: EvaluationReport, path: Path) -> None:
    """Predicted vs actual mean orders per frequency bucket, as a PNG (headless Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    calibration = report.calibration
    labels = list(calibration.index)
    series = ["actual", *[c for c in calibration.columns if c not in ("customers", "actual")]]
    positions = np.arange(len(labels))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(10, 5.5), dpi=100)
    for i, name in enumerate(series):
        ax.bar(
            positions + (i - (len(series) - 1) / 2) * width,
            calibration[name].fillna(0).to_numpy(),
            width,
            label=name,
        )
    ax.set_xticks(positions, labels)
    ax.set_xlabel("Repeat purchases before the split date")
    ax.set_ylabel(f"Mean orders in the next {int(HORIZON_DAYS)} days")
    ax.set_title(f"Predicted vs actual orders after {report.as_of}")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


SELECTION_COLUMNS = ("total_error_pct", "rmse", "mae", "auc")


def evaluate_selection(
    *,
    summary: pd.DataFrame,
    backtest: pd.DataFrame | None,
    actual: np.ndarray,
    horizon: float,
    maxiter: int = 500,
) -> tuple[pd.DataFrame, Prediction]:
    """The whole procedure judged on a future it never saw.

    `summary` and `backtest` hold only data up to a date D (the backtest splits *inside* it);
    `actual` is each summary row's purchase days in the `horizon` days after D. Rows: the
    selected model as the nightly run would use it (bias-corrected), the same without the
    correction, plain BG/NBD fitted on all data up to D, and each customer's own average rate.
    Columns: total error %, RMSE, MAE, ROC AUC of "buys again" (models rank by their p_buy over
    the horizon, the own rate by itself)."""
    from .backtest import count_predict

    prediction = predict_customer_value(summary=summary, backtest=backtest, maxiter=maxiter)
    x = summary["frequency"].to_numpy(dtype=np.float64)
    t_x = summary["recency"].to_numpy(dtype=np.float64)
    big_t = summary["T"].to_numpy(dtype=np.float64)
    candidates: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    method = prediction.count_method
    if prediction.regression is not None:
        orders, p_buy = prediction.regression.predict(x, t_x, big_t, horizon)
    elif prediction.count_fit is not None and prediction.count_fit.converged:
        _alive, orders, p_buy = count_predict(prediction.count_fit, horizon, x, t_x, big_t)
    else:
        rate = float(x.sum() / max(big_t.sum(), 1e-9))
        orders = np.full(len(x), rate * horizon)
        p_buy = np.full(len(x), -np.expm1(-rate * horizon))
    candidates[f"selected: {method} (bias-corrected ×{prediction.bias_factor:.3f})"] = (
        orders * prediction.bias_factor,
        p_buy,
    )
    candidates[f"selected: {method}, uncorrected"] = (orders, p_buy)
    plain = predict_customer_value(summary=summary, model="bgnbd", maxiter=maxiter)
    if plain.count_fit is not None and plain.count_fit.converged:
        _alive, bg_orders, bg_buy = count_predict(plain.count_fit, horizon, x, t_x, big_t)
        candidates["plain BG/NBD"] = (bg_orders, bg_buy)
    own = np.divide(x, big_t, out=np.zeros(len(x)), where=big_t > 0)
    candidates["baseline: own average rate"] = (own * horizon, own)
    actual_total = float(actual.sum())
    rows = []
    for name, (predicted, ranking) in candidates.items():
        error = predicted - actual
        rows.append(
            {
                "method": name,
                "predicted_total": float(predicted.sum()),
                "total_error_pct": 100.0 * (float(predicted.sum()) - actual_total) / actual_total
                if actual_total
                else float("nan"),
                "rmse": float(np.sqrt(np.mean(error**2))),
                "mae": float(np.mean(np.abs(error))),
                "auc": roc_auc(ranking, actual > 0),
            }
        )
    table = pd.DataFrame(rows).set_index("method")
    table.attrs["actual_total"] = actual_total
    return table, prediction
