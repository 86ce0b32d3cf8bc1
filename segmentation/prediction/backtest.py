"""Choose the purchase model by a backtest on the business's own history, and correct its bias.

The latest H days of history are held out: every candidate is fitted on what came before the
split date S = as_of − H and predicts each customer's purchase days in (S, as_of]; those are
compared with what each customer actually did.

Holdout length H (`holdout_days_for`): 365 days when the history spans at least two years
(the forecast horizon itself); otherwise half the span, in whole weeks, so the fitting period is
never shorter than the holdout; below 28 days no backtest (too little to judge) and the default
model is used, with a notice.

Scores per candidate, over the customers with a purchase before S: total error (Σ predicted vs
Σ actual, %), per-customer RMSE and MAE of purchase days, and ROC AUC of "buys again in the
holdout" ranked by the model's probability of buying (p_buy over H). Baselines in the same
table, never selected: "own average rate" (x / T per day; it has no probability of buying, so
its AUC ranks by that rate); plain BG/NBD is itself a candidate.

Selection rule (`select`):
1. only candidates whose fit converged and whose predictions are finite;
2. the lowest RMSE wins, but candidates within 1 % of that RMSE are a tie;
3. within the tie, drop any whose AUC is more than 0.01 below the tie's best AUC;
4. among the rest prefer the parametric models (they give p_alive and have a likelihood) and
   among those the highest log-likelihood on the fitting period (all have four parameters, so
   this is AIC); log-likelihoods within 1 of the best count as equal, and then MBG/NBD goes
   before Pareto/NBD before BG/NBD; the regression wins only if it is alone in front.
Per-customer accuracy leads because that is what a rep acts on; the total is fixed afterwards by
the bias correction, which a ranking cannot be.

Bias correction: factor = Σ actual / Σ predicted of the winner in the backtest, clipped to
[0.5, 2] (a larger miss says the model is wrong, not biased), applied to the winner's expected
orders and revenue for the next 365 days — not to p_alive or p_buy, which are probabilities
ranked by AUC. It assumes the next year drifts from the model as the last one did; with fewer
than 100 actual purchase days in the holdout the factor is too noisy and stays 1.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _
from scipy.stats import rankdata

from .fitting import FitResult, fit_count_model
from .formulas import conditional_expected_orders, conditional_p_buy
from .pareto import pnbd_expected_orders, pnbd_p_buy
from .regression import cross_fitted

CANDIDATES = ("bgnbd", "mbgnbd", "pnbd", "regression")
PARAMETRIC = ("bgnbd", "mbgnbd", "pnbd")
BASELINE = "own_rate"
LABELS = {
    "bgnbd": "BG/NBD",
    "mbgnbd": "MBG/NBD",
    "pnbd": "Pareto/NBD",
    "regression": "RFM + rhythm regression",
    "own_rate": "baseline: own average rate",
}
# The same labels for readers (the stored table keeps the English ones for logs and JSON).
_LABELS_TRANSLATED = {
    "bgnbd": "BG/NBD",
    "mbgnbd": "MBG/NBD",
    "pnbd": "Pareto/NBD",
    "regression": _("RFM + rhythm regression"),
    "own_rate": _("baseline: own average rate"),
}
_WHY = {
    "none": _("no candidate could be fitted"),
    "lowest": _("lowest RMSE (%(rmse)s) with the best ROC AUC among the models within 1%%"),
    "tie": _(
        "tied on RMSE (within 1%%) and ROC AUC (within 0.01): %(names)s; chosen by the highest "
        "log-likelihood of the parametric ones, then the order MBG/NBD, Pareto/NBD, BG/NBD"
    ),
    "regression": _("lowest RMSE (%(rmse)s); no parametric model within 1%%"),
}
MIN_HOLDOUT_DAYS = 28
FULL_HOLDOUT_DAYS = 365
RMSE_TIE = 0.01  # relative
# Log-likelihoods closer than this are no evidence for either model (a likelihood-ratio
# statistic of 2 × 1 = 2 is well inside chance); the tie then goes by PREFERENCE: MBG/NBD
# first (a meaningful p_alive for one-time buyers), then Pareto/NBD, then BG/NBD (p_alive = 1
# for everyone without a repeat purchase).
LL_SLACK = 1.0
PREFERENCE = ("mbgnbd", "pnbd", "bgnbd")
AUC_SLACK = 0.01
BIAS_CLIP = (0.5, 2.0)
BIAS_MIN_ACTUAL = 100
# Customers in the backtest: above this a seeded random sample. RMSE and AUC of 100,000
# customers have a sampling error well under 1 %, and the four fits stay near 15 s.
MAX_BACKTEST_CUSTOMERS = 100_000
BACKTEST_COLUMNS = ("frequency", "recency", "T", "actual_orders")


def roc_auc(score: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve via the Mann-Whitney rank statistic (ties count half).
    NaN when only one class is present."""
    positive = positive.astype(bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def holdout_days_for(span_days: float) -> int | None:
    """The holdout length for a history of `span_days` (first purchase to the run date)."""
    if span_days >= 2 * FULL_HOLDOUT_DAYS:
        return FULL_HOLDOUT_DAYS
    weeks = int(span_days // 2) // 7
    holdout = weeks * 7
    return holdout if holdout >= MIN_HOLDOUT_DAYS else None


def count_predict(
    fit: FitResult, horizon: float, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p_alive, expected orders, p_buy) over `horizon` for a parametric fit."""
    from .formulas import p_alive as btyd_p_alive
    from .pareto import pnbd_p_alive

    params = fit.as_tuple()
    if fit.model == "pnbd":
        alive = pnbd_p_alive(params, x, t_x, big_t)  # type: ignore[arg-type]
        return (
            alive,
            pnbd_expected_orders(params, horizon, x, t_x, big_t, alive),  # type: ignore[arg-type]
            pnbd_p_buy(params, horizon, x, t_x, big_t, alive),  # type: ignore[arg-type]
        )
    return (
        btyd_p_alive(params, x, t_x, big_t, model=fit.model),  # type: ignore[arg-type]
        conditional_expected_orders(params, horizon, x, t_x, big_t, model=fit.model),  # type: ignore[arg-type]
        conditional_p_buy(params, horizon, x, t_x, big_t, model=fit.model),  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class BacktestResult:
    holdout_days: int
    n_customers: int  # in the backtest (after sampling)
    n_bought_again: int
    actual_total: float
    rows: list[dict[str, object]]  # one per candidate and baseline
    winner: str | None
    why: dict[str, object]
    bias_factor: float
    fits: dict[str, FitResult] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "holdout_days": self.holdout_days,
            "n_customers": self.n_customers,
            "n_bought_again": self.n_bought_again,
            "actual_total": self.actual_total,
            "rows": self.rows,
            "winner": self.winner,
            "why": self.why,
            "bias_factor": round(self.bias_factor, 4),
            "seconds": round(self.seconds, 3),
        }


def _row(name: str, predicted: np.ndarray, ranking: np.ndarray, actual: np.ndarray, **extra):
    total = float(predicted.sum())
    actual_total = float(actual.sum())
    error = predicted - actual
    finite = bool(np.isfinite(predicted).all() and np.isfinite(ranking).all())
    return {
        "model": name,
        "label": LABELS[name],
        "predicted_total": round(total, 3),
        "total_error_pct": round(100.0 * (total - actual_total) / actual_total, 3)
        if actual_total > 0
        else None,
        "rmse": round(float(np.sqrt(np.mean(error**2))), 5) if finite else None,
        "mae": round(float(np.mean(np.abs(error))), 5) if finite else None,
        "auc": round(roc_auc(ranking, actual > 0), 5) if finite else None,
        **extra,
    }


def _number(value: object) -> float:
    """A table cell as a float; None (not computed) as NaN."""
    return float(value) if isinstance(value, int | float) else float("nan")


def select(
    rows: list[dict[str, object]], fits: dict[str, FitResult]
) -> tuple[str | None, dict[str, object]]:
    """Apply the documented rule; returns (winner, the reason as a code with numbers, rendered
    by `why_text`)."""
    eligible = [r for r in rows if r.get("selectable") and r["rmse"] is not None]
    if not eligible:
        return None, {"code": "none"}
    best_rmse = min(_number(r["rmse"]) for r in eligible)
    tied = [r for r in eligible if _number(r["rmse"]) <= best_rmse * (1 + RMSE_TIE)]
    aucs = [_number(r["auc"]) for r in tied if np.isfinite(_number(r["auc"]))]
    if aucs:
        best_auc = max(aucs)
        tied = [
            r
            for r in tied
            if not np.isfinite(_number(r["auc"])) or _number(r["auc"]) >= best_auc - AUC_SLACK
        ]
    parametric = [r for r in tied if r["model"] in PARAMETRIC]
    if parametric:
        best_ll = max(fits[str(r["model"])].log_likelihood for r in parametric)
        close = [
            r for r in parametric if fits[str(r["model"])].log_likelihood >= best_ll - LL_SLACK
        ]
        chosen = min(close, key=lambda r: PREFERENCE.index(str(r["model"])))
        if len(tied) == 1:
            return str(chosen["model"]), {"code": "lowest", "rmse": chosen["rmse"]}
        return str(chosen["model"]), {"code": "tie", "models": [str(r["model"]) for r in tied]}
    chosen = tied[0]
    return str(chosen["model"]), {"code": "regression", "rmse": chosen["rmse"]}


def why_text(why: object) -> str:
    """The stored reason for the choice as a sentence in the active language."""
    if not isinstance(why, dict) or why.get("code") not in _WHY:
        return str(why or "")
    models = why.get("models") or []
    names = ", ".join(str(_LABELS_TRANSLATED.get(m, m)) for m in models)
    return str(_WHY[why["code"]]) % {"rmse": why.get("rmse"), "names": names}


def backtest_run(
    *, backtest: pd.DataFrame, holdout_days: int, maxiter: int = 500, seed: int = 0
) -> BacktestResult:
    """Fit every candidate on the calibration summary, score it on the holdout, select."""
    started = time.perf_counter()
    if len(backtest) > MAX_BACKTEST_CUSTOMERS:
        backtest = backtest.sample(n=MAX_BACKTEST_CUSTOMERS, random_state=seed)
    x = backtest["frequency"].to_numpy(dtype=np.float64)
    t_x = backtest["recency"].to_numpy(dtype=np.float64)
    big_t = backtest["T"].to_numpy(dtype=np.float64)
    actual = backtest["actual_orders"].to_numpy(dtype=np.float64)
    rows: list[dict[str, object]] = []
    fits: dict[str, FitResult] = {}
    for model in PARAMETRIC:
        fit = fit_count_model(x=x, t_x=t_x, big_t=big_t, model=model, maxiter=maxiter)
        fits[model] = fit
        _alive, orders, p_buy = count_predict(fit, float(holdout_days), x, t_x, big_t)
        rows.append(
            _row(
                model,
                orders,
                p_buy,
                actual,
                selectable=fit.converged,
                log_likelihood=round(fit.log_likelihood, 3),
                params={k: round(v, 6) for k, v in fit.params.items()},
                fit_seconds=round(fit.fit_seconds, 3),
            )
        )
    clock = time.perf_counter()
    orders, p_buy, converged = cross_fitted(
        x=x, t_x=t_x, big_t=big_t, actual=actual, holdout_days=holdout_days, seed=seed
    )
    rows.append(
        _row(
            "regression",
            orders,
            p_buy,
            actual,
            selectable=converged,
            fit_seconds=round(time.perf_counter() - clock, 3),
        )
    )
    own_rate = np.divide(x, big_t, out=np.zeros(len(x)), where=big_t > 0)
    rows.append(_row(BASELINE, own_rate * holdout_days, own_rate, actual, selectable=False))
    winner, why = select(rows, fits)
    result = BacktestResult(
        holdout_days=int(holdout_days),
        n_customers=len(backtest),
        n_bought_again=int((actual > 0).sum()),
        actual_total=float(actual.sum()),
        rows=rows,
        winner=winner,
        why=why,
        bias_factor=1.0,
        fits=fits,
        seconds=time.perf_counter() - started,
    )
    return replace(result, bias_factor=bias_for(result, winner) if winner else 1.0)


def bias_for(result: BacktestResult, model: str) -> float:
    """Σ actual / Σ predicted of `model` in the backtest, clipped; 1 when too few purchases."""
    if result.actual_total < BIAS_MIN_ACTUAL:
        return 1.0
    row = next((r for r in result.rows if r["model"] == model), None)
    if row is None or row["rmse"] is None:
        return 1.0
    predicted_total = float(row["predicted_total"])  # type: ignore[arg-type]
    if predicted_total <= 0:
        return 1.0
    return float(np.clip(result.actual_total / predicted_total, *BIAS_CLIP))


def frames_from_transactions(
    transactions: pd.DataFrame, *, as_of: pd.Timestamp, holdout_days: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From raw transactions (customer_id, date, amount) to (summary at `as_of`, backtest frame
    split at as_of − holdout_days), in days; several orders on one day are one purchase.
    For public data sets and tests; the nightly run gets both from SQL (`history.py`)."""
    days = (
        transactions.assign(date=pd.to_datetime(transactions["date"]).dt.normalize())
        .groupby(["customer_id", "date"], as_index=False)["amount"]
        .sum()
    )
    days = days[days["date"] <= as_of]
    split = as_of - pd.Timedelta(days=holdout_days)

    def summarise(frame: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
        grouped = frame.groupby("customer_id")
        first = grouped["date"].min()
        last = grouped["date"].max()
        count = grouped["date"].count().astype(np.float64)
        total = grouped["amount"].sum()
        first_amount = frame.sort_values("date").groupby("customer_id")["amount"].first()
        x = count - 1.0
        return pd.DataFrame(
            {
                "frequency": x,
                "recency": (last - first).dt.days.astype(np.float64),
                "T": (end - first).dt.days.astype(np.float64),
                "monetary_value": np.where(x > 0, (total - first_amount) / x.clip(lower=1), 0.0),
            }
        )

    summary = summarise(days, as_of)
    before = days[days["date"] <= split]
    calibration = summarise(before, split)
    after = days[days["date"] > split].groupby("customer_id")["date"].count()
    calibration["actual_orders"] = after.reindex(calibration.index).fillna(0).astype(np.float64)
    return summary, calibration


TABLE_HEADER = (
    _("model"),
    _("predicted total"),
    _("total error %"),
    "RMSE",
    "MAE",
    "ROC AUC",
    "",
)


def table_rows(stored: dict[str, object] | None) -> list[tuple[str, ...]]:
    """The stored backtest (`Prediction.as_dict()["backtest"]`) as rows of display strings,
    for the Run admin page and `prediction_report`; the winner is marked "← chosen"."""
    if not stored:
        return []

    def cell(value: object, spec: str) -> str:
        return format(value, spec) if isinstance(value, int | float) else "–"

    winner = stored.get("winner")
    rows = stored.get("rows") or []
    chosen = str(_("← chosen"))
    return [
        (
            str(_LABELS_TRANSLATED.get(str(row.get("model")), row.get("label", ""))),
            cell(row.get("predicted_total"), ",.1f"),
            cell(row.get("total_error_pct"), "+.1f"),
            cell(row.get("rmse"), ".4f"),
            cell(row.get("mae"), ".4f"),
            cell(row.get("auc"), ".3f"),
            chosen if row.get("model") == winner else "",
        )
        for row in rows  # type: ignore[attr-defined]
    ]
