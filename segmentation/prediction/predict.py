"""From per-customer summaries to p_alive, expected orders and expected revenue in 365 days.

`predict_customer_value` never crashes on thin or odd data: it says what is wrong in a `Notice`
(a code plus a translated sentence) and falls back to a transparent estimate:

* counts — the pooled repeat-purchase rate (all repeat purchases / all customer-days) for everyone,
  and p_alive left empty (NaN: "not known") rather than invented;
* spend — each repeat buyer's own mean repeat-order value, and the mean of those for the rest.

Bad input (a negative tenure, recency after tenure…) is not degenerate data but a bug upstream:
it raises `PredictionInputError` naming the customer, the field and the reason.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _

from .backtest import (
    PARAMETRIC,
    BacktestResult,
    backtest_run,
    bias_for,
    count_predict,
    select,
)
from .fitting import (
    DEFAULT_MAXITER,
    FitResult,
    fit_count_model,
    fit_spend_model,
    group_identical_rows,
)
from .formulas import Array, gamma_gamma_expected_value
from .regression import RegressionModel, fit_regression

HORIZON_DAYS = 365.0
COLUMNS = ("frequency", "recency", "T", "monetary_value")
OUTPUT_COLUMNS = ("p_alive", "expected_orders_365d", "expected_revenue_365d", "p_buy_365d")
DEFAULT_MODEL = "mbgnbd"
# Four parameters need more than a handful of customers: below these counts the likelihood is so
# flat that the estimates swing with every new order, so the pooled rate is the honest answer.
MIN_CUSTOMERS = 30
MIN_REPEAT_BUYERS = 10
MIN_SPEND_BUYERS = 20
# Gamma-Gamma assumes a customer's order value does not depend on how often they buy; above
# this |Pearson correlation| between repeat purchases and mean order value (repeat buyers) the
# assumption is broken and each customer's own average is used instead.
MAX_SPEND_CORRELATION = 0.3

_MESSAGES = {
    "no_customers": _("No customer has a purchase before the run date; nothing to predict."),
    "single_purchase_day": _(
        "All purchases fall on a single day, so there is no buying rhythm to learn yet. "
        "Expected orders use the pooled repeat rate (zero); the chance of still being active is "
        "left empty."
    ),
    "no_repeat_buyers": _(
        "None of the %(n)s customers has bought a second time yet, so repeat buying cannot be "
        "modelled. Expected orders use the pooled repeat rate (zero); the chance of still being "
        "active is left empty."
    ),
    "too_few_customers": _(
        "Too few customers for a reliable fit: %(n)s customers, %(repeat)s repeat buyers (at "
        "least %(min_n)s and %(min_repeat)s are needed). Expected orders use the pooled repeat "
        "rate; the chance of still being active is left empty."
    ),
    "count_fit_not_converged": _(
        "The purchase model did not converge (%(detail)s). Expected orders use the pooled repeat "
        "rate; the chance of still being active is left empty."
    ),
    "no_dropout": _(
        "The fitted drop-out probability is about zero: customers here rarely stop buying for "
        "good, so the chance of still being active falls only after a silence that is long for "
        "the customer's own rhythm."
    ),
    "too_few_spend_buyers": _(
        "Too few repeat buyers with a known order value for the spend model: %(n)s (at least "
        "%(min_n)s are needed); expected order values are each customer's own average."
    ),
    "spend_fit_not_converged": _(
        "The spend model did not converge (%(detail)s); expected order values are each "
        "customer's own average."
    ),
    "spend_correlated": _(
        "Order value rises or falls with how often customers buy (correlation %(rho)s), which "
        "the spend model assumes away; expected order values are each customer's own average."
    ),
    "backtest_short_history": _(
        "The purchase history is too short to hold part of it out for a backtest (%(days)s "
        "days); the default purchase model is used without a comparison."
    ),
    "backtest_too_small": _(
        "Too few customers before the backtest's split date to compare models (%(n)s "
        "customers, %(repeat)s repeat buyers); the default purchase model is used."
    ),
    "backtest_short_holdout": _(
        "The history is shorter than two years, so the backtest held out only the last "
        "%(days)s days instead of 365."
    ),
    "spend_fit_heavy_tail": _(
        "Order values vary too wildly for the spend model (q = %(q)s ≤ 1 means no finite "
        "average); expected order values are each customer's own average."
    ),
}


class PredictionInputError(ValueError):
    """A summary row that cannot be right; the message names the customer, field and reason."""


@dataclass(frozen=True)
class Notice:
    code: str
    params: dict[str, object] = field(default_factory=dict)

    @property
    def message(self) -> str:
        # Always %-format (an empty mapping is fine) so "%%" reads as "%" in every message.
        return str(_MESSAGES[self.code]) % self.params


@dataclass(frozen=True)
class Prediction:
    scores: pd.DataFrame  # OUTPUT_COLUMNS + expected_order_value, indexed like the input
    count_method: str  # "mbgnbd" | "bgnbd" | "pnbd" | "regression" | "pooled_rate"
    spend_method: str  # "gamma_gamma" | "own_mean"
    count_fit: FitResult | None
    spend_fit: FitResult | None
    notices: list[Notice]
    n_customers: int
    seconds: float
    backtest: BacktestResult | None = None
    bias_factor: float = 1.0  # applied to expected orders and revenue
    alive_method: str = ""  # the parametric model behind p_alive when the regression wins
    regression: RegressionModel | None = None  # when it won; not stored (the backtest is)

    def as_dict(self) -> dict[str, object]:
        """JSON-serialisable summary to store with a segmentation run. A fit that diverged can
        leave NaN or ±inf in the table; PostgreSQL's json refuses those, so they are stored as
        null ("not computed"), which every reader already shows as a dash."""
        return json_safe(
            {
                "count_method": self.count_method,
                "alive_method": self.alive_method,
                "bias_factor": round(self.bias_factor, 4),
                "backtest": self.backtest.as_dict() if self.backtest else None,
                "spend_method": self.spend_method,
                "count_fit": self.count_fit.as_dict() if self.count_fit else None,
                "spend_fit": self.spend_fit.as_dict() if self.spend_fit else None,
                "notices": [{"code": n.code, "params": n.params} for n in self.notices],
                "n_customers": self.n_customers,
                "seconds": round(self.seconds, 3),
            }
        )


def json_safe(value):
    """`value` with every non-finite float replaced by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def _first_bad(summary: pd.DataFrame, mask: pd.Series, column: str, why: str) -> None:
    if bool(mask.any()):
        label = mask[mask].index[0]
        count = int(mask.sum())
        more = f" (and {count - 1} more rows)" if count > 1 else ""
        raise PredictionInputError(
            f"customer {label}: {column} = {summary.at[label, column]} — {why}{more}"
        )


def summary_validate(summary: pd.DataFrame) -> None:
    """Raise PredictionInputError on the first impossible row."""
    missing = [c for c in COLUMNS if c not in summary.columns]
    if missing:
        raise PredictionInputError(f"summary lacks column(s) {', '.join(missing)}")
    for column in COLUMNS:
        values = pd.to_numeric(summary[column], errors="coerce")
        _first_bad(summary, ~np.isfinite(values.astype(float)), column, "is not a finite number")
        _first_bad(summary, values < 0, column, "must not be negative")
    freq = summary["frequency"].astype(float)
    _first_bad(summary, freq != np.floor(freq), "frequency", "must be a whole number of purchases")
    _first_bad(
        summary,
        summary["recency"] > summary["T"],
        "recency",
        "the last purchase cannot come after the end of the observed period (T)",
    )
    _first_bad(
        summary,
        (freq == 0) & (summary["recency"] != 0),
        "recency",
        "a customer without repeat purchases has recency 0",
    )


def _pooled_rate(x: Array, big_t: Array) -> float:
    exposure = float(big_t.sum())
    return float(x.sum()) / exposure if exposure > 0 else 0.0


def _count_scores(fit: FitResult, x: Array, t_x: Array, big_t: Array) -> tuple[Array, ...]:
    """p_alive, E[orders in 365 days] and P(≥ 1 order in 365 days), computed once per distinct
    (x, t_x, T)."""
    (ux, ut_x, ut), _w, inverse = group_identical_rows(x, t_x, big_t)
    alive, orders, buy = count_predict(fit, HORIZON_DAYS, ux, ut_x, ut)
    return alive[inverse], orders[inverse], buy[inverse]


def _backtest_checked(
    backtest: pd.DataFrame, holdout_days: int | None, notices: list[Notice], maxiter: int
) -> BacktestResult | None:
    """Run the backtest when the frame allows it; otherwise say why in a notice."""
    if holdout_days is None:
        notices.append(Notice("backtest_short_history", {"days": backtest.attrs.get("span", 0)}))
        return None
    summary_validate(backtest)
    bx = backtest["frequency"].to_numpy(dtype=np.float64)
    repeat = int((bx > 0).sum())
    if len(backtest) < MIN_CUSTOMERS or repeat < MIN_REPEAT_BUYERS:
        notices.append(Notice("backtest_too_small", {"n": len(backtest), "repeat": repeat}))
        return None
    if holdout_days < 365:
        notices.append(Notice("backtest_short_holdout", {"days": holdout_days}))
    return backtest_run(backtest=backtest, holdout_days=holdout_days, maxiter=maxiter)


# Long on purpose: the prediction's fixed sequence (summary, backtest choice, refit, spend model,
# bias correction, scores) with a fallback at each step.
def predict_customer_value(
    *,
    summary: pd.DataFrame,
    model: str | None = None,
    maxiter: int = DEFAULT_MAXITER,
    backtest: pd.DataFrame | None = None,
    holdout_days: int | None = None,
) -> Prediction:
    """Fit the count and spend models on `summary` and score every row.

    `summary` has one row per customer with at least one purchase, indexed by customer id:
    frequency (repeat purchase days), recency (days from first to last purchase), T (days from
    first purchase to the run date) and monetary_value (mean value of the repeat purchases, 0
    without repeats).

    `backtest` (optional): the same columns at the split date as_of − holdout_days plus
    `actual_orders` (purchase days after the split), e.g. from `history.backtest_history`.
    With it every candidate is scored on the holdout (`backtest.py`); `model=None` then takes
    the winner of the documented rule, refits it on all of `summary` and corrects its total by
    the backtest's bias. Without it, `model` or the default (MBG/NBD) is used as before.
    `holdout_days` defaults to `backtest.attrs["holdout_days"]`."""
    started = time.perf_counter()
    summary_validate(summary)
    n = len(summary)
    x = summary["frequency"].to_numpy(dtype=np.float64)
    t_x = summary["recency"].to_numpy(dtype=np.float64)
    big_t = summary["T"].to_numpy(dtype=np.float64)
    m = summary["monetary_value"].to_numpy(dtype=np.float64)
    notices: list[Notice] = []
    n_repeat = int((x > 0).sum())
    count_fit: FitResult | None = None
    result: BacktestResult | None = None
    count_method = alive_method = model or DEFAULT_MODEL

    if n == 0:
        notices.append(Notice("no_customers"))
    elif n_repeat == 0 and float(big_t.max()) == float(big_t.min()):
        notices.append(Notice("single_purchase_day"))
    elif n_repeat == 0:
        notices.append(Notice("no_repeat_buyers", {"n": n}))
    elif n < MIN_CUSTOMERS or n_repeat < MIN_REPEAT_BUYERS:
        notices.append(
            Notice(
                "too_few_customers",
                {
                    "n": n,
                    "repeat": n_repeat,
                    "min_n": MIN_CUSTOMERS,
                    "min_repeat": MIN_REPEAT_BUYERS,
                },
            )
        )
    else:
        # Only data that can carry a fit is worth a backtest; the fallbacks above need none.
        if backtest is not None:
            if holdout_days is None:
                holdout_days = backtest.attrs.get("holdout_days")
            result = _backtest_checked(backtest, holdout_days, notices, maxiter)
        if model is None and result is not None and result.winner is not None:
            count_method = result.winner
        alive_method = count_method
        if count_method == "regression" and result is not None:
            parametric = [r for r in result.rows if r["model"] in PARAMETRIC]
            alive_method = select(parametric, result.fits)[0] or DEFAULT_MODEL
        count_fit = fit_count_model(
            x=x,
            t_x=t_x,
            big_t=big_t,
            model=alive_method,
            maxiter=maxiter,
            # A cold start, not the backtest's estimate: measured on a small shop, the warm
            # start stayed in a flat region (log-likelihood −944.4 instead of −939.5).
        )
        if not count_fit.converged:
            notices.append(Notice("count_fit_not_converged", {"detail": count_fit.detail}))
        elif count_fit.extra.get("no_dropout"):
            notices.append(Notice("no_dropout"))

    alive = orders = buy = np.empty(0)
    regression: RegressionModel | None = None
    if count_fit is not None and count_fit.converged:
        alive, orders, buy = _count_scores(count_fit, x, t_x, big_t)
        if count_method == "regression" and result is not None and backtest is not None:
            regression = fit_regression(
                x=backtest["frequency"].to_numpy(dtype=np.float64),
                t_x=backtest["recency"].to_numpy(dtype=np.float64),
                big_t=backtest["T"].to_numpy(dtype=np.float64),
                actual=backtest["actual_orders"].to_numpy(dtype=np.float64),
                holdout_days=result.holdout_days,
            )
            orders, buy = regression.predict(x, t_x, big_t, HORIZON_DAYS)
        if not (np.isfinite(alive).all() and np.isfinite(orders).all()):
            # Seen on small, odd samples: a, b → 10^5 "converge" but the 2F1 series breaks.
            notices = [n for n in notices if n.code != "no_dropout"]
            notices.append(
                Notice(
                    "count_fit_not_converged",
                    {"detail": "the fitted parameters give scores that are not finite numbers"},
                )
            )
            count_fit = replace(count_fit, converged=False)
    bias = 1.0
    if count_fit is None or not count_fit.converged:
        count_method = alive_method = "pooled_rate"
        alive = np.full(n, np.nan)
        rate = _pooled_rate(x, big_t)
        orders = np.full(n, rate * HORIZON_DAYS)
        # A Poisson customer at the pooled rate; only a fallback, and said so in the notice.
        buy = np.full(n, -np.expm1(-rate * HORIZON_DAYS)) if n else np.empty(0)
    elif result is not None:
        bias = bias_for(result, count_method)
        orders = orders * bias

    spend_fit: FitResult | None = None
    spend_method = "own_mean"
    repeat_values = m[(x > 0) & (m > 0)]
    pooled_value = float(repeat_values.mean()) if len(repeat_values) else 0.0
    if n_repeat and len(repeat_values) < MIN_SPEND_BUYERS:
        notices.append(
            Notice("too_few_spend_buyers", {"n": len(repeat_values), "min_n": MIN_SPEND_BUYERS})
        )
    elif n_repeat:
        buyers = (x > 0) & (m > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = float(np.corrcoef(x[buyers], m[buyers])[0, 1])
        if np.isfinite(rho) and abs(rho) > MAX_SPEND_CORRELATION:
            # Checked before fitting: the model's premise fails, whatever the fit says.
            notices.append(Notice("spend_correlated", {"rho": round(rho, 2)}))
        else:
            spend_fit = fit_spend_model(x=x, m=m, maxiter=maxiter)
            q = spend_fit.params["q"]
            if not spend_fit.converged:
                notices.append(Notice("spend_fit_not_converged", {"detail": spend_fit.detail}))
            elif q <= 1.0:
                notices.append(Notice("spend_fit_heavy_tail", {"q": round(q, 3)}))
            else:
                spend_method = "gamma_gamma"
    if spend_method == "gamma_gamma" and spend_fit is not None:
        value = gamma_gamma_expected_value(spend_fit.as_tuple(), x, m)  # type: ignore[arg-type]
    else:
        value = np.where((x > 0) & (m > 0), m, pooled_value)

    scores = pd.DataFrame(
        {
            "p_alive": alive,
            "expected_orders_365d": orders,
            "expected_revenue_365d": orders * value,
            "expected_order_value": value,
            "p_buy_365d": buy,
        },
        index=summary.index,
    )
    return Prediction(
        scores=scores,
        count_method=count_method,
        spend_method=spend_method,
        count_fit=count_fit,
        spend_fit=spend_fit,
        notices=notices,
        n_customers=n,
        seconds=time.perf_counter() - started,
        backtest=result,
        bias_factor=bias,
        alive_method=alive_method if count_method == "regression" else "",
        regression=regression if count_method == "regression" else None,
    )
