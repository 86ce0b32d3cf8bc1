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
