"""The closed forms against published values and against independent numerical integration."""

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import approx_fprime
from scipy.stats import beta as beta_dist

from segmentation.prediction.formulas import (
    bgnbd_log_likelihood,
    conditional_expected_orders,
    count_log_likelihood_gradient,
    gamma_gamma_expected_value,
    gamma_gamma_log_likelihood,
    gamma_gamma_log_likelihood_gradient,
    mbgnbd_log_likelihood,
    p_alive,
)

# Fader, Hardie & Lee (2005), CDNOW sample, time in weeks.
CDNOW = (0.243, 4.414, 0.793, 2.426)
CDNOW_SPEND = (6.25, 3.74, 15.44)  # Fader, Hardie & Lee (2005) "RFM and CLV"


def arr(*values):
    return np.array(values, dtype=float)


def test_bgnbd_matches_the_published_cdnow_conditional_expectation():
    # The paper's worked example: 2 repeat purchases, last at week 30.43, observed for 38.86
    # weeks → 1.226 purchases expected in the next 39 weeks.
    value = conditional_expected_orders(CDNOW, 39.0, arr(2), arr(30.43), arr(38.86), model="bgnbd")
    assert value[0] == pytest.approx(1.226, abs=5e-4)


def test_bgnbd_p_alive_matches_eq_13_by_hand():
    r, alpha, a, b = CDNOW
    expected = 1 / (1 + a / (b + 2 - 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2))
    got = p_alive(CDNOW, arr(2), arr(30.43), arr(38.86), model="bgnbd")
    assert got[0] == pytest.approx(expected, rel=1e-12)
    assert got[0] == pytest.approx(0.7266, abs=1e-4)


def test_bgnbd_says_every_customer_without_repeats_is_alive_but_mbgnbd_does_not():
    tenure = arr(1, 10, 50, 200)
    zeros = np.zeros(4)
    assert np.all(p_alive(CDNOW, zeros, zeros, tenure, model="bgnbd") == 1.0)
    mbg = p_alive(CDNOW, zeros, zeros, tenure, model="mbgnbd")
    assert np.all(mbg < 1.0)
    assert np.all(np.diff(mbg) < 0), "longer silence must mean less likely alive"


def _posterior_integral(params, t, x, t_x, big_t, model):
    """E[Y(t)] = P(alive) · E_p[(1 - E_λ[e^{-λ p t}]) / p] under the posterior given alive,
    integrated numerically — independent of the hypergeometric closed form."""
    r, alpha, a, b = params
    bb = b + x + (1 if model == "mbgnbd" else 0)

    def integrand(p):
        laplace = ((alpha + big_t) / (alpha + big_t + p * t)) ** (r + x)
        return (1 - laplace) / p * beta_dist.pdf(p, a, bb)

    alive_expectation, _ = quad(integrand, 0, 1, limit=200)
    alive = p_alive(params, arr(x), arr(t_x), arr(big_t), model=model)[0]
    return alive * alive_expectation


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
@pytest.mark.parametrize(
    ("x", "t_x", "big_t"),
    [
        (0, 0, 20.0),
        (1, 5.0, 30.0),
        (2, 30.43, 38.86),
        (7, 60.0, 70.0),
        (25, 40.0, 78.0),
        # Very frequent buyers: the hypergeometric function must stay accurate at large x.
        (300, 100.0, 104.0),
        (3000, 104.0, 104.0),
    ],
)
def test_conditional_expectation_equals_numerical_integration(model, x, t_x, big_t):
    closed = conditional_expected_orders(CDNOW, 52.0, arr(x), arr(t_x), arr(big_t), model=model)
    numeric = _posterior_integral(CDNOW, 52.0, x, t_x, big_t, model)
    assert closed[0] == pytest.approx(numeric, rel=1e-6)


@pytest.mark.parametrize("big_t", [0.5, 10.0, 80.0])
def test_no_repeat_likelihood_is_the_probability_of_no_repeat(big_t):
    r, alpha, a, b = CDNOW
    # BG/NBD: nobody drops out before a repeat purchase, so P(X(T)=0) = (alpha/(alpha+T))^r.
    bg = np.exp(bgnbd_log_likelihood(CDNOW, arr(0), arr(0), arr(big_t)))[0]
    assert bg == pytest.approx((alpha / (alpha + big_t)) ** r, rel=1e-12)
    # MBG/NBD: dropped out at once (prob a/(a+b)) or alive without a purchase.
    mbg = np.exp(mbgnbd_log_likelihood(CDNOW, arr(0), arr(0), arr(big_t)))[0]
    assert mbg == pytest.approx(a / (a + b) + b / (a + b) * (alpha / (alpha + big_t)) ** r)


@pytest.mark.parametrize("x", [1, 3, 10])
def test_gamma_gamma_density_integrates_to_one(x):
    total, _ = quad(
        lambda m: np.exp(gamma_gamma_log_likelihood(CDNOW_SPEND, arr(x), arr(m)))[0],
        0,
        np.inf,
        limit=200,
    )
    assert total == pytest.approx(1.0, abs=1e-6)


def test_gamma_gamma_expectation_shrinks_towards_the_published_population_mean():
    p, q, gamma = CDNOW_SPEND
    population = p * gamma / (q - 1)
    assert population == pytest.approx(35.22, abs=0.01)  # the paper's mean of E[M]
    values = gamma_gamma_expected_value(CDNOW_SPEND, arr(0, 1, 1, 100), arr(0, 10, 100, 10))
    assert values[0] == pytest.approx(population)
    # One order of 10 pulls only part of the way down; 100 orders of 10 almost all the way.
    assert 10 < values[1] < population < values[2] < 100
    assert values[3] == pytest.approx(10, abs=0.5)
    # By hand, eq. (5): (q - 1)/(p x + q - 1) · pγ/(q - 1) + p x/(p x + q - 1) · m
    assert values[1] == pytest.approx(
        (q - 1) / (p + q - 1) * population + p / (p + q - 1) * 10, rel=1e-12
    )


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_count_gradient_matches_finite_differences(model):
    x, t_x, big_t = arr(0, 1, 2, 7, 25), arr(0, 5, 30.43, 60, 40), arr(20, 30, 38.86, 70, 78)

    def total(params):
        return count_log_likelihood_gradient(tuple(params), x, t_x, big_t, model=model)[0].sum()

    _, grad = count_log_likelihood_gradient(CDNOW, x, t_x, big_t, model=model)
    numeric = approx_fprime(np.array(CDNOW), total, 1e-7)
    np.testing.assert_allclose(grad.sum(axis=1), numeric, rtol=1e-4, atol=1e-5)


def test_gamma_gamma_gradient_matches_finite_differences():
    x, m = arr(1, 2, 5, 40), arr(10, 35, 80, 20)

    def total(params):
        return gamma_gamma_log_likelihood_gradient(tuple(params), x, m)[0].sum()

    _, grad = gamma_gamma_log_likelihood_gradient(CDNOW_SPEND, x, m)
    numeric = approx_fprime(np.array(CDNOW_SPEND), total, 1e-7)
    np.testing.assert_allclose(grad.sum(axis=1), numeric, rtol=1e-4, atol=1e-5)
