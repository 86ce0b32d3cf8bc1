"""Draw customers from the models' own generative story, with numpy (tests and benchmarks).

Per customer: purchase rate λ ~ gamma(r, rate alpha), drop-out probability p ~ beta(a, b).
BG/NBD: the customer drops out after the K-th repeat purchase, K ~ geometric(p) on 1, 2, …;
MBG/NBD: also possibly right after the first purchase, K ~ geometric(p) - 1 on 0, 1, ….
Repeat purchases form a Poisson(λ) process; with N(T) ~ Poisson(λT) purchases in (0, T] the
customer shows x = min(N, K), and the x-th of N uniform times is T·beta(x, N - x + 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SimulatedCustomers:
    summary: pd.DataFrame  # frequency, recency, T, monetary_value
    future_orders: np.ndarray  # repeat purchases in (T, T + horizon]
    alive_at_t: np.ndarray  # ground truth, bool


def simulate_customers(
    *,
    n: int,
    params: tuple[float, float, float, float],
    big_t: np.ndarray | float,
    model: str = "bgnbd",
    horizon: float = 365.0,
    spend_params: tuple[float, float, float] | None = None,
    seed: int = 0,
) -> SimulatedCustomers:
    r, alpha, a, b = params
    rng = np.random.default_rng(seed)
    tenure = np.broadcast_to(np.asarray(big_t, dtype=np.float64), (n,)).copy()
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    allowance = rng.geometric(np.clip(p, 1e-12, 1.0)).astype(np.int64)
    if model == "mbgnbd":
        allowance -= 1
    n_poisson = rng.poisson(lam * tenure)
    x = np.minimum(n_poisson, allowance)
    t_x = np.zeros(n)
    has = x > 0
    t_x[has] = tenure[has] * rng.beta(x[has], n_poisson[has] - x[has] + 1)
    alive = n_poisson < allowance
    remaining = np.where(alive, allowance - n_poisson, 0)
    future = np.minimum(rng.poisson(lam * horizon), remaining)
    monetary = np.zeros(n)
    if spend_params is not None:
        sp, sq, sg = spend_params
        nu = rng.gamma(shape=sq, scale=1.0 / sg, size=n)
        monetary[has] = rng.gamma(shape=sp * x[has], scale=1.0 / (nu[has] * x[has]))
    summary = pd.DataFrame(
        {
            "frequency": x.astype(np.float64),
            "recency": t_x,
            "T": tenure,
            "monetary_value": monetary,
        }
    )
    return SimulatedCustomers(summary=summary, future_orders=future, alive_at_t=alive)


def simulate_pareto_nbd(
    *,
    n: int,
    params: tuple[float, float, float, float],
    big_t: np.ndarray | float,
    horizon: float = 365.0,
    seed: int = 0,
) -> SimulatedCustomers:
    """Pareto/NBD's story: λ ~ gamma(r, rate alpha), lifetime τ ~ exponential(μ) with
    μ ~ gamma(s, rate beta); purchases Poisson(λ) while alive (τ may fall before T)."""
    r, alpha, s, beta = params
    rng = np.random.default_rng(seed)
    tenure = np.broadcast_to(np.asarray(big_t, dtype=np.float64), (n,)).copy()
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    mu = rng.gamma(shape=s, scale=1.0 / beta, size=n)
    life = rng.exponential(1.0 / np.maximum(mu, 1e-300))
    active = np.minimum(life, tenure)
    x = rng.poisson(lam * active)
    t_x = np.zeros(n)
    has = x > 0
    # the last of x uniform times on (0, active]
    t_x[has] = active[has] * rng.beta(x[has], 1.0)
    future = rng.poisson(lam * np.clip(np.minimum(life, tenure + horizon) - tenure, 0.0, None))
    summary = pd.DataFrame(
        {"frequency": x.astype(np.float64), "recency": t_x, "T": tenure, "monetary_value": 0.0}
    )
    return SimulatedCustomers(summary=summary, future_orders=future, alive_at_t=life > tenure)


def simulate_regular(
    *,
    n: int,
    rate: tuple[float, float],
    k: int,
    lifetime: tuple[float, float],
    big_t: np.ndarray | float,
    horizon: float = 365.0,
    seed: int = 0,
) -> SimulatedCustomers:
    """Regular buyers: gaps between purchases are Erlang-k (gamma with shape k, mean 1/λ, so
    the coefficient of variation is 1/√k; k = 1 is Poisson), λ ~ gamma(rate = (shape, rate)),
    lifetime exponential(μ), μ ~ gamma(lifetime = (shape, rate)). The first purchase is at 0.
    Events are drawn in blocks of columns (vectorised over customers)."""
    r, alpha = rate
    s, beta = lifetime
    rng = np.random.default_rng(seed)
    tenure = np.broadcast_to(np.asarray(big_t, dtype=np.float64), (n,)).copy()
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    mu = rng.gamma(shape=s, scale=1.0 / beta, size=n)
    life = rng.exponential(1.0 / np.maximum(mu, 1e-300))
    end = np.minimum(life, tenure + horizon)
    clock = np.zeros(n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    future = np.zeros(n, dtype=np.int64)
    open_ = clock < end
    while open_.any():
        gaps = rng.gamma(
            shape=k, scale=1.0 / (k * np.maximum(lam[open_], 1e-12)), size=(50, int(open_.sum()))
        )
        times = clock[open_] + np.cumsum(gaps, axis=0)
        ends = end[open_][None, :]
        tens = tenure[open_][None, :]
        in_cal = (times <= tens) & (times <= ends)
        x[open_] += in_cal.sum(axis=0)
        last = np.where(in_cal, times, -np.inf).max(axis=0)
        idx = np.flatnonzero(open_)
        t_x[idx] = np.where(np.isfinite(last), last, t_x[idx])
        future[idx] += ((times > tens) & (times <= ends)).sum(axis=0)
        clock[idx] = times[-1]
        open_ = clock < end
    summary = pd.DataFrame({"frequency": x, "recency": t_x, "T": tenure, "monetary_value": 0.0})
    return SimulatedCustomers(summary=summary, future_orders=future, alive_at_t=life > tenure)
