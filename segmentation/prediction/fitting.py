"""Maximum-likelihood fit of the count models (BG/NBD, MBG/NBD) and of Gamma-Gamma with scipy.

Customers with identical (x, t_x, T) have identical likelihood terms, so the count models are
fitted on the distinct rows with a weight each: 1,000,000 customers over three years of daily data
collapse to a few hundred thousand rows, and a fit takes seconds.

Parameters are optimised on the log scale (all are positive) with L-BFGS-B inside generous bounds;
a fit that stops at a bound, ends non-finite, or that the optimiser itself does not call converged
is reported as not converged, and the caller falls back (see `predict.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import minimize

from .formulas import (
    Array,
    bgnbd_log_likelihood,
    count_log_likelihood_gradient,
    gamma_gamma_log_likelihood_gradient,
    mbgnbd_log_likelihood,
)
from .pareto import PNBD_PARAM_NAMES, pnbd_log_likelihood, pnbd_log_likelihood_gradient

COUNT_MODELS = ("bgnbd", "mbgnbd", "pnbd")
COUNT_PARAM_NAMES = ("r", "alpha", "a", "b")
PARAM_NAMES = {"bgnbd": COUNT_PARAM_NAMES, "mbgnbd": COUNT_PARAM_NAMES, "pnbd": PNBD_PARAM_NAMES}
# Pareto/NBD's gradient costs 8 extra likelihood evaluations (central differences) and 2F1 is
# slow near z = 1 (~0.3 s per evaluation of 25,000 rows there), so above this many distinct
# (x, t_x, T) rows it is fitted on a seeded random sample of them, weights kept: the sampled
# log-likelihood is an unbiased estimate of the full one (each row drawn with the same
# probability), and 25,000 rows of a large data set stand for ~60,000 customers — a sampling
# error of a few per cent per parameter, measured ~8 s per fit on this machine.
PNBD_MAX_ROWS = 25_000
# BG/NBD and MBG/NBD have an analytic gradient, but at 1M customers one evaluation over
# ~500,000 distinct rows still costs ~0.2 s and a fit ~50 of them; above this many rows they are
# fitted on a sample the same way (measured: parameters within ~1 % of the full fit on 1M
# simulated customers, in a third of the time).
COUNT_MAX_ROWS = 150_000
# Gamma-Gamma has one row per repeat buyer (values rarely repeat): a seeded random sample of
# this many buyers carries the three parameters to well under 1 %.
SPEND_MAX_ROWS = 200_000
SPEND_PARAM_NAMES = ("p", "q", "gamma")

# Log-scale bounds: exp(-10) ≈ 4.5e-5 .. exp(14) ≈ 1.2e6. Wide enough for any sensible data in
# days or in money; a parameter pinned to one of them means the data cannot identify it.
_LOG_LOWER, _LOG_UPPER = -10.0, 14.0
_AT_BOUND = 1e-3
DEFAULT_MAXITER = 500


@dataclass(frozen=True)
class FitResult:
    """What a fit produced; `as_dict()` is JSON-serialisable for storing with a run."""

    model: str
    params: dict[str, float]
    log_likelihood: float
    n_customers: int
    n_rows: int
    fit_seconds: float
    converged: bool
    detail: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    def as_tuple(self) -> tuple[float, ...]:
        return tuple(self.params.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "params": dict(self.params),
            "log_likelihood": self.log_likelihood,
            "n_customers": self.n_customers,
            "n_rows": self.n_rows,
            "fit_seconds": round(self.fit_seconds, 3),
            "converged": self.converged,
            "detail": self.detail,
            **self.extra,
        }


def group_identical_rows(*columns: Array) -> tuple[list[Array], Array, NDArray[np.intp]]:
    """Distinct rows of the given columns → (distinct columns, weights, inverse index).

    Hash-based (pandas.factorize, column by column, re-compressing the combined code each time
    so it cannot overflow) rather than np.unique(axis=0), which sorts row-wise: 0.3 s instead of
    9 s on 1M rows."""
    arrays = [np.asarray(c, dtype=np.float64) for c in columns]
    codes = np.zeros(len(arrays[0]), dtype=np.int64)
    for values in arrays:
        column_codes, uniques = pd.factorize(values)
        codes, _ = pd.factorize(codes * len(uniques) + column_codes)
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    first = np.empty(n_groups, dtype=np.intp)
    # Reversed assignment leaves each group's first occurrence in place.
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    weights = np.bincount(codes, minlength=n_groups).astype(np.float64)
    return [values[first] for values in arrays], weights, np.asarray(codes, dtype=np.intp)


def _maximise(
    log_likelihood: Callable[[tuple[float, ...]], tuple[Array, Array]],
    weights: Array,
    start: Array,
    *,
    maxiter: int,
    limit_edges: tuple[tuple[int, str], ...] = (),
) -> tuple[Array, float, bool, str, bool]:
    """Maximise the weighted log-likelihood over log-parameters with the analytic gradient
    (d/d ln θ = θ · d/dθ); the objective is scaled per customer to keep L-BFGS-B's default
    tolerances meaningful at any data size.

    `limit_edges` lists (parameter index, "lower"/"upper") edges where the model has a proper
    limit (e.g. drop-out probability → 0): ending there still counts as converged, and the last
    return value says a limit was reached. Any other edge means the data cannot identify the
    parameter: not converged."""
    total = float(weights.sum())

    def objective(log_params: Array) -> tuple[float, Array]:
        params = np.exp(log_params)
        # Far from the optimum terms can overflow (inf − inf); the check below steps back.
        with np.errstate(all="ignore"):
            values, grad = log_likelihood(tuple(params))
        value = -float(np.dot(weights, values)) / total
        if not np.isfinite(value):
            # Let the optimiser step back from a region where the terms overflow.
            return 1e300, np.zeros_like(log_params)
        return value, -(grad @ weights) * params / total

    bounds = [(_LOG_LOWER, _LOG_UPPER)] * len(start)
    result = minimize(
        objective,
        np.asarray(start, dtype=np.float64),
        method="L-BFGS-B",
        jac=True,
        bounds=bounds,
        options={"maxiter": maxiter},
    )
    log_params = np.asarray(result.x, dtype=np.float64)
    ll = -float(result.fun) * total
    at_lower = log_params <= _LOG_LOWER + _AT_BOUND
    at_upper = log_params >= _LOG_UPPER - _AT_BOUND
    allowed = np.zeros((2, len(start)), dtype=bool)
    for index, edge in limit_edges:
        allowed[0 if edge == "lower" else 1, index] = True
    at_limit = bool(np.any(at_lower & allowed[0]) or np.any(at_upper & allowed[1]))
    at_bad_edge = bool(np.any(at_lower & ~allowed[0]) or np.any(at_upper & ~allowed[1]))
    converged = bool(result.success) and np.isfinite(ll) and ll > -1e299 and not at_bad_edge
    if at_bad_edge:
        detail = "a parameter reached the edge of its allowed range"
    else:
        detail = str(result.message)
    return np.exp(log_params), ll, converged, detail, at_limit


def fit_count_model(
    *,
    x: Array,
    t_x: Array,
    big_t: Array,
    model: str = "mbgnbd",
    maxiter: int = DEFAULT_MAXITER,
    start: tuple[float, ...] | None = None,
    seed: int = 0,
) -> FitResult:
    """Fit BG/NBD, MBG/NBD or Pareto/NBD by maximum likelihood on grouped (x, t_x, T) rows.

    `start` (natural-scale parameters, e.g. the backtest's estimates) warm-starts the optimiser."""
    if model not in COUNT_MODELS:
        raise ValueError(f"unknown count model {model!r}; expected one of {COUNT_MODELS}")
    started = time.perf_counter()
    (ux, ut_x, ut), weights, _ = group_identical_rows(x, t_x, big_t)
    n_customers = int(weights.sum())
    every_row = (ux, ut_x, ut, weights)
    max_rows = PNBD_MAX_ROWS if model == "pnbd" else COUNT_MAX_ROWS
    if len(ux) > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(ux), size=max_rows, replace=False))
        ux, ut_x, ut, weights = ux[keep], ut_x[keep], ut[keep], weights[keep]
    mean_rate = float(np.dot(weights, ux)) / max(float(np.dot(weights, ut)), 1e-9)
    # Start at r = 1 with the pooled purchase rate (E[λ] = r/alpha), a = 1, b = 3 (Pareto/NBD:
    # s = 1, beta = the median age): a mild prior guess in the well-behaved interior.
    alpha0 = min(max(1.0 / max(mean_rate, 1e-6), 1e-3), 1e5)
    if start is not None:
        first = np.log(np.clip(np.asarray(start, dtype=np.float64), 1e-4, 1e6))
    elif model == "pnbd":
        first = np.log([1.0, alpha0, 1.0, max(float(np.median(ut)), 1.0)])
    else:
        first = np.log([1.0, alpha0, 1.0, 3.0])
    if model == "pnbd":
        log_likelihood = lambda p: pnbd_log_likelihood_gradient(p, ux, ut_x, ut)  # noqa: E731
        # s → 0 or beta → ∞: nobody drops out (the NBD limit), a finding, not a failure.
        limits: tuple[tuple[int, str], ...] = ((2, "lower"), (3, "upper"))
    else:
        log_likelihood = lambda p: count_log_likelihood_gradient(  # noqa: E731
            p, ux, ut_x, ut, model=model
        )
        # a → 0 or b → ∞: the drop-out probability is ~0, the NBD limit (nobody stops buying).
        limits = ((2, "lower"), (3, "upper"))
    params, ll, converged, detail, no_dropout = _maximise(
        log_likelihood,
        weights,
        first,
        maxiter=maxiter,
        limit_edges=limits,
    )
    if len(ux) < len(every_row[0]):
        # Fitted on a sample: the log-likelihood that models are compared on must be of all
        # the data (one more evaluation), not the sample's scaled up.
        ll = float(np.dot(every_row[3], _log_likelihood(model, tuple(params), *every_row[:3])))
    return FitResult(
        model=model,
        params=dict(zip(PARAM_NAMES[model], (float(v) for v in params), strict=True)),
        log_likelihood=ll,
        n_customers=n_customers,
        n_rows=len(ux),
        fit_seconds=time.perf_counter() - started,
        converged=converged,
        detail=detail,
        extra={"no_dropout": 1.0} if no_dropout and converged else {},
    )


def _log_likelihood(model: str, params: tuple[float, ...], x: Array, t_x: Array, big_t: Array):
    if model == "pnbd":
        return pnbd_log_likelihood(params, x, t_x, big_t)  # type: ignore[arg-type]
    loglik = mbgnbd_log_likelihood if model == "mbgnbd" else bgnbd_log_likelihood
    return loglik(params, x, t_x, big_t)  # type: ignore[arg-type]


def fit_spend_model(
    *, x: Array, m: Array, maxiter: int = DEFAULT_MAXITER, seed: int = 0
) -> FitResult:
    """Fit Gamma-Gamma on repeat buyers (x > 0) with a positive mean repeat-order value (on a
    seeded sample of SPEND_MAX_ROWS of them when there are more)."""
    started = time.perf_counter()
    mask = (x > 0) & (m > 0)
    xs = np.asarray(x[mask], dtype=np.float64)
    ms = np.asarray(m[mask], dtype=np.float64)
    n_buyers = len(xs)
    if n_buyers > SPEND_MAX_ROWS:
        keep = np.random.default_rng(seed).choice(n_buyers, size=SPEND_MAX_ROWS, replace=False)
        xs, ms = xs[keep], ms[keep]
    weights = np.ones_like(xs)
    start = np.log([1.0, 2.0, max(float(ms.mean()) if len(ms) else 1.0, 1e-3)])
    params, ll, converged, detail, _limit = _maximise(
        lambda p: gamma_gamma_log_likelihood_gradient(p, xs, ms),  # type: ignore[arg-type]
        weights,
        start,
        maxiter=maxiter,
    )
    return FitResult(
        model="gamma_gamma",
        params=dict(zip(SPEND_PARAM_NAMES, (float(v) for v in params), strict=True)),
        log_likelihood=ll,
        n_customers=n_buyers,
        n_rows=len(xs),
        fit_seconds=time.perf_counter() - started,
        converged=converged,
        detail=detail,
    )
