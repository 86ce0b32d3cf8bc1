"""Closed-form formulas of the published buy-till-you-die models, vectorised with numpy.

Notation (as in the papers): ``x`` repeat purchases, ``t_x`` time of the last purchase and ``T``
the customer's age, all measured from the first purchase in one time unit (this package uses
days); ``t`` a future horizon in the same unit.

* BG/NBD — Fader, Hardie & Lee (2005), "Counting your customers the easy way", eq. (6), (10),
  (13). Parameters ``r, alpha`` (gamma purchase rate) and ``a, b`` (beta drop-out after each
  repeat purchase).
* MBG/NBD — Batislam, Denizel & Filiztekin (2007): as BG/NBD but a customer may also drop out
  right after the first purchase, so customers without repeat purchases are not certainly alive.
* Gamma-Gamma — Fader, Hardie & Lee (2005), "RFM and CLV", eq. (1) and (5). Parameters
  ``p, q, gamma``; ``m`` is the mean value of the ``x`` repeat purchases.

Every function takes arrays and returns arrays; nothing here knows about Django or pandas.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaln, gammaln, hyp2f1

Array = NDArray[np.float64]


def _log_a1(r: float, alpha: float, x: Array) -> Array:
    # ln[Γ(r+x) α^r / Γ(r)]
    return gammaln(r + x) - gammaln(r) + r * np.log(alpha)


def bgnbd_log_likelihood(
    params: tuple[float, float, float, float], x: Array, t_x: Array, big_t: Array
) -> Array:
    """Per-customer log-likelihood of BG/NBD (FHL 2005, eq. 6)."""
    r, alpha, a, b = params
    has_repeat = x > 0
    log_a3 = -(r + x) * np.log(alpha + big_t)
    # The drop-out term only exists for repeat buyers; b + x - 1 may be < 0 when x = 0.
    safe_den = np.where(has_repeat, b + x - 1.0, 1.0)
    log_a4 = np.log(a) - np.log(safe_den) - (r + x) * np.log(alpha + t_x)
    tail = np.where(has_repeat, np.logaddexp(log_a3, log_a4), log_a3)
    return _log_a1(r, alpha, x) + betaln(a, b + x) - betaln(a, b) + tail


def mbgnbd_log_likelihood(
    params: tuple[float, float, float, float], x: Array, t_x: Array, big_t: Array
) -> Array:
    """Per-customer log-likelihood of MBG/NBD (Batislam et al. 2007).

    Alive at T means surviving x + 1 drop-out draws (after the first purchase and after each
    repeat), so E[(1-p)^(x+1)] = B(a, b+x+1)/B(a, b); dying after the last purchase gives
    E[p(1-p)^x] = B(a+1, b+x)/B(a, b), i.e. the same times a/(b+x)."""
    r, alpha, a, b = params
    log_alive = -(r + x) * np.log(alpha + big_t)
    log_dead = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + t_x)
    return (
        _log_a1(r, alpha, x)
        + betaln(a, b + x + 1.0)
        - betaln(a, b)
        + np.logaddexp(log_alive, log_dead)
    )


def _odds_dead(
    params: tuple[float, float, float, float], x: Array, t_x: Array, big_t: Array, *, mbg: bool
) -> Array:
    """Posterior odds dead : alive, computed in logs so that large x cannot overflow."""
    r, alpha, a, b = params
    den = b + x if mbg else np.where(x > 0, b + x - 1.0, 1.0)
    log_odds = np.log(a) - np.log(den) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
    odds = np.exp(np.minimum(log_odds, 700.0))
    if not mbg:
        odds = np.where(x > 0, odds, 0.0)
    return odds


def p_alive(
    params: tuple[float, float, float, float],
    x: Array,
    t_x: Array,
    big_t: Array,
    *,
    model: str,
) -> Array:
    """P(still active | x, t_x, T): BG/NBD FHL (2005) eq. (13); MBG/NBD the same with b + x."""
    return 1.0 / (1.0 + _odds_dead(params, x, t_x, big_t, mbg=model == "mbgnbd"))


def conditional_expected_orders(
    params: tuple[float, float, float, float],
    t: float,
    x: Array,
    t_x: Array,
    big_t: Array,
    *,
    model: str,
) -> Array:
    """E[Y(t) | x, t_x, T], the expected number of purchases in (T, T + t].

    BG/NBD FHL (2005) eq. (10). For a customer alive at T, the future is a BG/NBD process whose
    posterior is gamma(r + x, alpha + T) and beta(a, b + x) (BG) or beta(a, b + x + 1) (MBG);
    hence the MBG form uses b + x + 1 where BG uses b + x."""
    r, alpha, a, b = params
    shift = 1.0 if model == "mbgnbd" else 0.0
    bb = b + x + shift  # posterior beta "b" given alive
    z = t / (alpha + big_t + t)
    ratio_pow = np.exp((r + x) * (np.log(alpha + big_t) - np.log(alpha + big_t + t)))
    # (a + bb - 1)/(a - 1) * [1 - ratio^(r+x) 2F1(r+x, bb; a+bb-1; z)]; a = 1 is a removable
    # singularity, nudged away from to keep the closed form usable.
    a_eff = a if abs(a - 1.0) > 1e-6 else 1.0 + 1e-6
    hyp = hyp2f1(r + x, bb, a_eff + bb - 1.0, z)
    alive_expectation = (a_eff + bb - 1.0) / (a_eff - 1.0) * (1.0 - ratio_pow * hyp)
    return np.asarray(
        alive_expectation * p_alive(params, x, t_x, big_t, model=model), dtype=np.float64
    )


def gamma_gamma_log_likelihood(params: tuple[float, float, float], x: Array, m: Array) -> Array:
    """Per-customer log-likelihood of the mean repeat-order value m over x orders (FHL 2005b,
    eq. 1 integrated over nu ~ gamma(q, gamma))."""
    p, q, gamma = params
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def gamma_gamma_expected_value(params: tuple[float, float, float], x: Array, m: Array) -> Array:
    """E[M | x, m] (FHL 2005b, eq. 5): a weighted mean of the population mean p·gamma/(q-1) and
    the customer's own mean m; customers without repeat orders get the population mean.
    Requires q > 1 (otherwise the population mean does not exist)."""
    p, q, gamma = params
    weight_own = (p * x) / (p * x + q - 1.0)
    population_mean = p * gamma / (q - 1.0)
    own = np.where(x > 0, m, 0.0)
    return np.asarray((1.0 - weight_own) * population_mean + weight_own * own, dtype=np.float64)
