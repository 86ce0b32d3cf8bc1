"""Parameter recovery: data simulated from known parameters must give them back.

Tolerance: 20,000 simulated customers give a sampling error of a few percent per parameter
(lifetimes' and the papers' standard errors at that size are 3-8 %), so each parameter must come
back within 15 %, and the mean purchase rate r/alpha — what the predictions mostly rest on — within
5 %. Seeds are fixed, so the tests are deterministic."""

import numpy as np
import pytest

from segmentation.prediction.fitting import (
    _maximise,
    fit_count_model,
    fit_spend_model,
    group_identical_rows,
)
from segmentation.prediction.formulas import bgnbd_log_likelihood
from segmentation.prediction.simulate import simulate_customers

TRUE_COUNT = (0.5, 60.0, 0.8, 2.5)  # days: ~3 orders a year on average
TRUE_SPEND = (6.0, 4.0, 150.0)
N = 20_000


def _simulate(model, seed=7):
    tenure = np.random.default_rng(seed).integers(30, 1095, size=N).astype(float)
    return simulate_customers(
        n=N, params=TRUE_COUNT, big_t=tenure, model=model, spend_params=TRUE_SPEND, seed=seed
    ).summary.round({"recency": 0})


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_count_model_recovers_its_parameters(model):
    data = _simulate(model)
    fit = fit_count_model(
        x=data["frequency"].to_numpy(),
        t_x=data["recency"].to_numpy(),
        big_t=data["T"].to_numpy(),
        model=model,
    )
    assert fit.converged, fit.detail
    assert fit.n_customers == N
    for name, true in zip(("r", "alpha", "a", "b"), TRUE_COUNT, strict=True):
        assert fit.params[name] == pytest.approx(true, rel=0.15), name
    r, alpha = fit.params["r"], fit.params["alpha"]
    assert r / alpha == pytest.approx(TRUE_COUNT[0] / TRUE_COUNT[1], rel=0.05)
    assert np.isfinite(fit.log_likelihood)
    assert fit.log_likelihood < 0
    assert fit.fit_seconds > 0


def test_the_wrong_count_model_fits_worse():
    # Data from MBG/NBD: MBG/NBD's likelihood must beat BG/NBD's (same number of parameters).
    data = _simulate("mbgnbd", seed=11)
    columns = {
        "x": data["frequency"].to_numpy(),
        "t_x": data["recency"].to_numpy(),
        "big_t": data["T"].to_numpy(),
    }
    mbg = fit_count_model(**columns, model="mbgnbd")
    bg = fit_count_model(**columns, model="bgnbd")
    assert mbg.log_likelihood > bg.log_likelihood + 10


def test_spend_model_recovers_its_parameters():
    data = _simulate("bgnbd", seed=3)
    fit = fit_spend_model(x=data["frequency"].to_numpy(), m=data["monetary_value"].to_numpy())
    assert fit.converged, fit.detail
    p, q, gamma = TRUE_SPEND
    # p, q and gamma trade off against each other; the population mean p·gamma/(q-1) is pinned
    # down far better than each alone.
    assert fit.params["p"] == pytest.approx(p, rel=0.15)
    assert fit.params["q"] == pytest.approx(q, rel=0.15)
    assert fit.params["gamma"] == pytest.approx(gamma, rel=0.2)
    fitted_mean = fit.params["p"] * fit.params["gamma"] / (fit.params["q"] - 1)
    assert fitted_mean == pytest.approx(p * gamma / (q - 1), rel=0.05)


def test_grouped_likelihood_equals_the_per_customer_sum():
    data = _simulate("bgnbd", seed=5)
    x, t_x, big_t = (data[c].to_numpy() for c in ("frequency", "recency", "T"))
    (ux, ut_x, ut), weights, inverse = group_identical_rows(x, t_x, big_t)
    assert len(ux) < len(x)
    assert weights.sum() == len(x)
    assert np.array_equal(ux[inverse], x)
    assert np.array_equal(ut[inverse], big_t)
    per_customer = bgnbd_log_likelihood(TRUE_COUNT, x, t_x, big_t).sum()
    grouped = np.dot(weights, bgnbd_log_likelihood(TRUE_COUNT, ux, ut_x, ut))
    assert grouped == pytest.approx(per_customer, rel=1e-12)


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="unknown count model 'pareto'"):
        fit_count_model(x=np.ones(3), t_x=np.ones(3), big_t=np.ones(3), model="pareto")


def test_fit_result_is_json_ready():
    data = _simulate("mbgnbd", seed=2)
    fit = fit_count_model(
        x=data["frequency"].to_numpy(), t_x=data["recency"].to_numpy(), big_t=data["T"].to_numpy()
    )
    stored = fit.as_dict()
    assert stored["model"] == "mbgnbd"
    assert set(stored["params"]) == {"r", "alpha", "a", "b"}
    assert stored["n_customers"] == N
    assert stored["converged"] is True


def _towards_zero(params):
    # Maximum at theta0 = 2 and theta1 → 0: the second parameter runs to its lower edge.
    theta0, theta1 = params
    values = np.array([-((theta0 - 2.0) ** 2) - theta1])
    return values, np.array([[-2.0 * (theta0 - 2.0)], [-1.0]])


def test_a_parameter_at_the_edge_is_not_convergence():
    _, _, converged, detail, at_limit = _maximise(
        _towards_zero, np.ones(1), np.log([1.0, 1.0]), maxiter=200
    )
    assert not converged
    assert not at_limit
    assert detail == "a parameter reached the edge of its allowed range"


def test_an_edge_with_a_proper_limit_counts_as_converged():
    params, _, converged, _, at_limit = _maximise(
        _towards_zero, np.ones(1), np.log([1.0, 1.0]), maxiter=200, limit_edges=((1, "lower"),)
    )
    assert converged
    assert at_limit
    assert params[0] == pytest.approx(2.0, rel=1e-4)
    assert params[1] < 1e-4
