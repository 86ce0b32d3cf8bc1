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
from scipy.special import betaln, digamma, gammaln, hyp2f1

Array = NDArray[np.float64]


def _count_log_likelihood(
    params: tuple[float, float, float, float],
    x: Array,
    t_x: Array,
    big_t: Array,
    *,
    mbg: bool,
    gradient: bool,
) -> tuple[Array, Array | None]:
    """Shared body of the BG/NBD and MBG/NBD log-likelihoods, optionally with the gradient
    (rows: d/dr, d/dalpha, d/da, d/db) so that the optimiser needs no finite differences.

    ll = ln Γ(r+x) - ln Γ(r) + r ln α + ln B(a, b+x+s) - ln B(a, b) + ln(e^L1 + e^L2), with
    s = 1 for MBG/NBD (alive means x + 1 survived drop-out draws) and 0 for BG/NBD,
    L1 = -(r+x) ln(α+T) (still alive), L2 = ln a - ln(b+x+s-1) - (r+x) ln(α+t_x) (dropped out
    after the last purchase; impossible in BG/NBD without a repeat purchase)."""
    r, alpha, a, b = params
    s = 1.0 if mbg else 0.0
    possible_drop = np.ones(len(x), dtype=bool) if mbg else x > 0
    drop_den = np.where(possible_drop, b + x + s - 1.0, 1.0)
    log_t = np.log(alpha + big_t)
    log_tx = np.log(alpha + t_x)
    l1 = -(r + x) * log_t
    l2 = np.log(a) - np.log(drop_den) - (r + x) * log_tx
    tail = np.where(possible_drop, np.logaddexp(l1, l2), l1)
    ll = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x + s) - betaln(a, b)
    ll = ll + tail
    if not gradient:
        return ll, None
    w2 = np.where(possible_drop, np.exp(l2 - tail), 0.0)  # posterior weight of "dropped out"
    w1 = 1.0 - w2
    grad = np.empty((4, len(x)))
    grad[0] = digamma(r + x) - digamma(r) + np.log(alpha) - w1 * log_t - w2 * log_tx
    grad[1] = r / alpha - (r + x) * (w1 / (alpha + big_t) + w2 / (alpha + t_x))
    grad[2] = digamma(a + b) - digamma(a + b + x + s) + w2 / a
    grad[3] = (
        digamma(b + x + s) - digamma(a + b + x + s) - digamma(b) + digamma(a + b) - w2 / drop_den
    )
    return ll, grad


def bgnbd_log_likelihood(
    params: tuple[float, float, float, float], x: Array, t_x: Array, big_t: Array
) -> Array:
    """Per-customer log-likelihood of BG/NBD (FHL 2005, eq. 6)."""
    return _count_log_likelihood(params, x, t_x, big_t, mbg=False, gradient=False)[0]


def mbgnbd_log_likelihood(
    params: tuple[float, float, float, float], x: Array, t_x: Array, big_t: Array
) -> Array:
    """Per-customer log-likelihood of MBG/NBD (Batislam et al. 2007).

    Alive at T means surviving x + 1 drop-out draws (after the first purchase and after each
    repeat), so E[(1-p)^(x+1)] = B(a, b+x+1)/B(a, b); dying after the last purchase gives
    E[p(1-p)^x] = B(a+1, b+x)/B(a, b), i.e. the same times a/(b+x)."""
    return _count_log_likelihood(params, x, t_x, big_t, mbg=True, gradient=False)[0]


def count_log_likelihood_gradient(
    params: tuple[float, float, float, float],
    x: Array,
    t_x: Array,
    big_t: Array,
    *,
    model: str,
) -> tuple[Array, Array]:
    """(per-customer log-likelihood, 4 x n gradient w.r.t. r, alpha, a, b)."""
    ll, grad = _count_log_likelihood(params, x, t_x, big_t, mbg=model == "mbgnbd", gradient=True)
    assert grad is not None  # noqa: S101 — gradient=True always returns one
    return ll, grad


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
    # The published form is (a + bb - 1)/(a - 1) · [1 - (1-z)^(r+x) · 2F1(r+x, bb; a+bb-1; z)].
    # For frequent buyers (1-z)^(r+x) underflows to 0 while 2F1 overflows (0 · inf = NaN), so
    # we use Euler's transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z), which
    # turns the bracket into 1 - (1-z)^(a-1) · 2F1(a+b+s-1-r, a-1; a+bb-1; z): the first
    # parameter no longer grows with x and the series stays close to 1.
    # a = 1 is a removable singularity, nudged away from to keep the closed form usable.
    a_eff = a if abs(a - 1.0) > 1e-6 else 1.0 + 1e-6
    c = a_eff + bb - 1.0
    hyp = hyp2f1(a_eff + b + shift - 1.0 - r, a_eff - 1.0, c, z)
    alive_expectation = c / (a_eff - 1.0) * (1.0 - np.exp((a_eff - 1.0) * np.log1p(-z)) * hyp)
    return np.asarray(
        alive_expectation * p_alive(params, x, t_x, big_t, model=model), dtype=np.float64
    )


def gamma_gamma_log_likelihood_gradient(
    params: tuple[float, float, float], x: Array, m: Array
) -> tuple[Array, Array]:
    """Per-customer log-likelihood of the mean repeat-order value m over x orders (FHL 2005b,
    eq. 1 integrated over nu ~ gamma(q, gamma)) and its 3 x n gradient w.r.t. p, q, gamma."""
    p, q, gamma = params
    px = p * x
    log_m = np.log(m)
    log_tail = np.log(gamma + m * x)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * log_m
        + px * np.log(x)
        - (px + q) * log_tail
    )
    psi_total = digamma(px + q)
    grad = np.empty((3, len(x)))
    grad[0] = x * (psi_total - digamma(px) + log_m + np.log(x) - log_tail)
    grad[1] = psi_total - digamma(q) + np.log(gamma) - log_tail
    grad[2] = q / gamma - (px + q) / (gamma + m * x)
    return ll, grad


def gamma_gamma_log_likelihood(params: tuple[float, float, float], x: Array, m: Array) -> Array:
    """Per-customer log-likelihood of Gamma-Gamma (see the gradient variant)."""
    return gamma_gamma_log_likelihood_gradient(params, x, m)[0]


def gamma_gamma_expected_value(params: tuple[float, float, float], x: Array, m: Array) -> Array:
    """E[M | x, m] (FHL 2005b, eq. 5): a weighted mean of the population mean p·gamma/(q-1) and
    the customer's own mean m; customers without repeat orders get the population mean.
    Requires q > 1 (otherwise the population mean does not exist)."""
    p, q, gamma = params
    weight_own = (p * x) / (p * x + q - 1.0)
    population_mean = p * gamma / (q - 1.0)
    own = np.where(x > 0, m, 0.0)
    return np.asarray((1.0 - weight_own) * population_mean + weight_own * own, dtype=np.float64)


def conditional_p_buy(
    params: tuple[float, float, float, float],
    t: float,
    x: Array,
    t_x: Array,
    big_t: Array,
    *,
    model: str,
) -> Array:
    """P(at least one purchase in (T, T+t] | x, t_x, T) for BG/NBD and MBG/NBD.

    In both models a customer drops out only right *after* a purchase (MBG/NBD also right after
    the first one, which is already in the past), so an active customer's next purchase cannot
    be pre-empted by drop-out: no purchase in (T, T+t] means no Poisson event, whose
    probability under the alive-posterior gamma(r+x, alpha+T) is ((alpha+T)/(alpha+T+t))^(r+x).
    Hence P = p_alive · (1 − ((alpha+T)/(alpha+T+t))^(r+x)), exact and closed-form."""
    r, alpha, _a, _b = params
    some = -np.expm1((r + x) * np.log((alpha + big_t) / (alpha + big_t + t)))
    return np.asarray(p_alive(params, x, t_x, big_t, model=model) * some, dtype=np.float64)
