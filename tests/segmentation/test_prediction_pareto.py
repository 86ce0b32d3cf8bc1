"""Pareto/NBD: the published CDNOW fit, the hypergeometric integral against quadrature, the
scores against simulation, parameter recovery; p_buy of BG/NBD and MBG/NBD against simulation."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

from segmentation.prediction.fitting import fit_count_model
from segmentation.prediction.formulas import conditional_expected_orders, conditional_p_buy
from segmentation.prediction.pareto import (
    log_tail_integral,
    pnbd_expected_orders,
    pnbd_log_likelihood,
    pnbd_p_alive,
    pnbd_p_buy,
)
from segmentation.prediction.simulate import simulate_customers, simulate_pareto_nbd

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def cdnow():
    return pd.read_csv(DATA / "cdnow_customers_summary.csv")


def test_pareto_nbd_reproduces_the_published_cdnow_estimates(cdnow):
    # Fader & Hardie's Pareto/NBD note: r = 0.55, α = 10.58, s = 0.61, β = 11.67, LL = −9,595.0
    # (2,357 customers, weeks).
    fit = fit_count_model(
        x=cdnow["frequency"].to_numpy(dtype=float),
        t_x=cdnow["recency"].to_numpy(dtype=float),
        big_t=cdnow["T"].to_numpy(dtype=float),
        model="pnbd",
    )
    assert fit.converged, fit.detail
    assert fit.n_customers == 2357
    published = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}
    for name, value in published.items():
        assert fit.params[name] == pytest.approx(value, abs=0.006), name
    assert fit.log_likelihood == pytest.approx(-9595.0, abs=0.1)


def test_bg_nbd_on_the_same_file_reproduces_its_published_estimates(cdnow):
    fit = fit_count_model(
        x=cdnow["frequency"].to_numpy(dtype=float),
        t_x=cdnow["recency"].to_numpy(dtype=float),
        big_t=cdnow["T"].to_numpy(dtype=float),
        model="bgnbd",
    )
    for name, value in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert fit.params[name] == pytest.approx(value, abs=0.002), name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)


@pytest.mark.parametrize(
    ("n", "s", "alpha", "beta", "lo", "hi"),
    [
        (0.55, 0.61, 10.58, 11.67, 0.0, 38.86),  # α < β, one-time buyer
        (5.55, 0.61, 10.58, 11.67, 10.0, 38.86),
        (300.5, 0.61, 10.58, 11.67, 30.0, 38.0),  # very frequent buyer
        (0.5, 2.0, 50.0, 5.0, 0.0, 300.0),  # α ≥ β
        (200.5, 2.0, 50.0, 5.0, 100.0, 300.0),
        (3000.5, 0.3, 5.0, 500.0, 10.0, 900.0),  # terms of e^-8000: only logs survive
        (3000.5, 0.3, 500.0, 5.0, 10.0, 900.0),
        (50.5, 3.0, 1e4, 2.0, 0.0, 1000.0),  # z close to 1
    ],
)
def test_the_hypergeometric_integral_equals_quadrature(n, s, alpha, beta, lo, hi):
    value = log_tail_integral(np.array([n]), s, alpha, beta, np.array([lo]), np.array([hi]))[0]
    shift = -n * np.log(alpha + lo) - (s + 1) * np.log(beta + lo)

    def scaled(tau):
        return np.exp(-n * np.log(alpha + tau) - (s + 1) * np.log(beta + tau) - shift)

    points = [lo + (hi - lo) * 1e-4, lo + (hi - lo) * 1e-2]
    integral = quad(scaled, lo, hi, limit=500, epsabs=0, epsrel=1e-13, points=points)[0]
    assert value == pytest.approx(np.log(integral) + shift, rel=1e-10)


def test_no_drop_out_between_the_last_purchase_and_now_leaves_only_the_alive_term():
    params = (0.55, 10.58, 0.61, 11.67)
    x, t = np.array([3.0]), np.array([20.0])
    # t_x = T: nothing can have happened after the last purchase → p_alive = 1.
    assert pnbd_p_alive(params, x, t, t)[0] == 1.0
    assert np.isfinite(pnbd_log_likelihood(params, x, t, t)).all()


def test_pareto_nbd_scores_match_simulation():
    params = (0.5, 60.0, 0.8, 300.0)
    sim = simulate_pareto_nbd(n=200_000, params=params, big_t=400.0, horizon=365.0, seed=4)
    x = sim.summary["frequency"].to_numpy()
    t_x = sim.summary["recency"].to_numpy()
    big_t = sim.summary["T"].to_numpy()
    expected = pnbd_expected_orders(params, 365.0, x, t_x, big_t)
    p_buy = pnbd_p_buy(params, 365.0, x, t_x, big_t)
    alive = pnbd_p_alive(params, x, t_x, big_t)
    assert expected.sum() == pytest.approx(sim.future_orders.sum(), rel=0.02)
    assert p_buy.mean() == pytest.approx((sim.future_orders > 0).mean(), abs=0.005)
    assert alive.mean() == pytest.approx(sim.alive_at_t.mean(), abs=0.005)
    # and per group: one-time buyers, the conditional part of the formulas
    once = x == 0
    assert p_buy[once].mean() == pytest.approx((sim.future_orders[once] > 0).mean(), abs=0.005)
    assert p_buy.min() >= 0
    assert (p_buy <= alive + 1e-12).all()


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_bg_and_mbg_p_buy_match_simulation(model):
    params = (0.5, 60.0, 0.8, 2.5)
    sim = simulate_customers(n=200_000, params=params, big_t=400.0, model=model, seed=9)
    x = sim.summary["frequency"].to_numpy()
    t_x = sim.summary["recency"].to_numpy()
    big_t = sim.summary["T"].to_numpy()
    p_buy = conditional_p_buy(params, 365.0, x, t_x, big_t, model=model)
    bought = sim.future_orders > 0
    assert p_buy.mean() == pytest.approx(bought.mean(), abs=0.005)
    for mask in (x == 0, x == 1, x >= 5):
        assert p_buy[mask].mean() == pytest.approx(bought[mask].mean(), abs=0.01)
    # P(≥ 1) can never exceed E[count]
    expected = conditional_expected_orders(params, 365.0, x, t_x, big_t, model=model)
    assert (p_buy <= expected + 1e-12).all()


def test_pareto_nbd_recovers_its_parameters():
    true = (0.5, 60.0, 0.8, 300.0)
    tenure = np.random.default_rng(7).integers(30, 1095, size=20_000).astype(float)
    data = simulate_pareto_nbd(n=20_000, params=true, big_t=tenure, seed=7).summary
    fit = fit_count_model(
        x=data["frequency"].to_numpy(),
        t_x=data["recency"].to_numpy(),
        big_t=data["T"].to_numpy(),
        model="pnbd",
    )
    assert fit.converged, fit.detail
    # s and beta are strongly correlated (the drop-out rate is better pinned than either):
    # each within 25 %, their ratio, the mean drop-out rate, within 10 %.
    for name, value, tolerance in zip(
        ("r", "alpha", "s", "beta"), true, (0.15, 0.15, 0.25, 0.25), strict=True
    ):
        assert fit.params[name] == pytest.approx(value, rel=tolerance), name
    assert fit.params["r"] / fit.params["alpha"] == pytest.approx(true[0] / true[1], rel=0.05)
    assert fit.params["s"] / fit.params["beta"] == pytest.approx(true[2] / true[3], rel=0.1)


def test_pareto_nbd_fitted_on_a_row_sample_is_compared_on_all_rows(monkeypatch):
    from segmentation.prediction import fitting

    tenure = np.random.default_rng(3).integers(30, 1095, size=8_000).astype(float)
    data = simulate_pareto_nbd(n=8_000, params=(0.5, 60.0, 0.8, 300.0), big_t=tenure, seed=3)
    columns = {
        "x": data.summary["frequency"].to_numpy(),
        "t_x": data.summary["recency"].to_numpy(),
        "big_t": data.summary["T"].to_numpy(),
    }
    full = fitting.fit_count_model(**columns, model="pnbd")
    monkeypatch.setattr(fitting, "PNBD_MAX_ROWS", 2_000)
    sampled = fitting.fit_count_model(**columns, model="pnbd")
    assert sampled.n_rows == 2_000 < full.n_rows
    assert sampled.n_customers == full.n_customers == 8_000
    # the stored log-likelihood is of all rows at the sampled estimate: never above the optimum
    recomputed = pnbd_log_likelihood(
        tuple(sampled.params.values()), columns["x"], columns["t_x"], columns["big_t"]
    ).sum()
    assert sampled.log_likelihood == pytest.approx(recomputed, rel=1e-9)
    assert sampled.log_likelihood <= full.log_likelihood + 1e-6
    assert sampled.params["r"] / sampled.params["alpha"] == pytest.approx(
        full.params["r"] / full.params["alpha"], rel=0.1
    )
