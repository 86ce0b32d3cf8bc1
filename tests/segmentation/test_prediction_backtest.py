"""Model choice by backtest: the holdout rule, the selection rule, the true model wins on data
simulated from it, the regression recovers its coefficients, bias correction, degenerate data."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.utils import translation

from segmentation.prediction import predict_customer_value
from segmentation.prediction.backtest import (
    BIAS_CLIP,
    backtest_run,
    bias_for,
    frames_from_transactions,
    holdout_days_for,
    select,
    why_text,
)
from segmentation.prediction.fitting import FitResult
from segmentation.prediction.regression import features, fit_glm
from segmentation.prediction.simulate import (
    simulate_customers,
    simulate_pareto_nbd,
    simulate_regular,
)


@pytest.fixture(autouse=True)
def _english():
    """The notices' messages are asserted in English, whatever another test activated."""
    with translation.override("en"):
        yield


DATA = Path(__file__).parent / "data"
N = 20_000


def _frame(sim):
    frame = sim.summary.copy()
    frame["actual_orders"] = sim.future_orders.astype(np.float64)
    return frame


def _tenure(n=N, seed=1):
    return np.random.default_rng(seed).integers(30, 730, n).astype(float)


SIMULATED = {
    "bgnbd": lambda: simulate_customers(
        n=N, params=(0.5, 60.0, 0.8, 2.5), big_t=_tenure(), model="bgnbd", seed=2
    ),
    "mbgnbd": lambda: simulate_customers(
        n=N, params=(0.5, 60.0, 0.8, 2.5), big_t=_tenure(), model="mbgnbd", seed=2
    ),
    "pnbd": lambda: simulate_pareto_nbd(
        n=N, params=(0.5, 60.0, 0.8, 300.0), big_t=_tenure(), seed=2
    ),
    # Erlang-8 gaps (coefficient of variation 0.35), Pareto-style drop-out: regular buyers.
    "regression": lambda: simulate_regular(
        n=N, rate=(4.0, 240.0), k=8, lifetime=(0.8, 600.0), big_t=_tenure(), seed=2
    ),
}


@pytest.mark.parametrize(
    ("span", "holdout"),
    [(3000, 365), (730, 365), (729, 364), (400, 196), (56, 28), (55, None), (0, None)],
)
def test_holdout_is_a_year_or_half_a_short_history_in_whole_weeks(span, holdout):
    assert holdout_days_for(span) == holdout


@pytest.mark.parametrize("truth", list(SIMULATED))
def test_the_backtest_picks_the_model_the_data_were_drawn_from(truth):
    result = backtest_run(backtest=_frame(SIMULATED[truth]()), holdout_days=365)
    assert result.winner == truth, (result.why, result.rows)
    rows = {r["model"]: r for r in result.rows}
    assert set(rows) == {"bgnbd", "mbgnbd", "pnbd", "regression", "own_rate"}
    assert rows["own_rate"]["selectable"] is False
    for row in rows.values():
        assert row["rmse"] > 0
        assert row["mae"] > 0
        assert 0.5 < row["auc"] < 1.0
    # the true model is at least as good as plain BG/NBD on per-customer error
    assert rows[truth]["rmse"] <= rows["bgnbd"]["rmse"]


def test_the_regression_recovers_its_coefficients():
    rng = np.random.default_rng(5)
    n = 200_000
    x = rng.poisson(3, n).astype(float)
    big_t = rng.integers(30, 1000, n).astype(float)
    t_x = np.where(x > 0, np.floor(big_t * rng.random(n)), 0.0)
    design = features(x, t_x, big_t)
    mean, scale = design.mean(axis=0), design.std(axis=0)
    scale[scale == 0] = 1.0
    true = np.array([0.2, 0.5, -0.4, 0.1, -0.2, 0.3, -0.3, 0.1, 0.05])
    standard = (design - mean) / scale
    standard[:, 0] = 1.0
    y = rng.poisson(np.exp(standard @ true)).astype(float)
    fit = fit_glm(design, y, link="log")
    assert fit.converged
    # every coefficient within 0.05; the fitted means within 6 % of the true ones (sampling
    # error of 200,000 draws; the three rhythm hinges are strongly correlated), 1.5 % on average
    np.testing.assert_allclose(fit.coef, true, atol=0.05)
    truth = np.exp(standard @ true)
    np.testing.assert_allclose(fit.predict(design), truth, rtol=0.06)
    assert np.mean(np.abs(fit.predict(design) / truth - 1)) < 0.015
    logistic = fit_glm(design, (y > 0).astype(float), link="logit")
    assert logistic.converged
    assert np.all(np.isfinite(logistic.coef))


def _rows(**rmse_auc):
    return [
        {"model": m, "label": m, "rmse": r, "auc": a, "selectable": True}
        for m, (r, a) in rmse_auc.items()
    ]


def _fits(**ll):
    return {m: FitResult(m, {}, v, 1, 1, 0.0, True) for m, v in ll.items()}


def test_selection_rule_lowest_rmse_wins_outside_a_tie():
    rows = _rows(bgnbd=(2.0, 0.8), mbgnbd=(1.9, 0.8), pnbd=(2.1, 0.8), regression=(1.5, 0.8))
    assert select(rows, _fits(bgnbd=-10, mbgnbd=-10, pnbd=-10))[0] == "regression"


def test_selection_rule_a_tie_goes_to_the_likelihood_then_the_preference():
    rows = _rows(bgnbd=(2.0, 0.8), mbgnbd=(2.01, 0.8), pnbd=(2.015, 0.8), regression=(2.005, 0.8))
    # all within 1 %: parametric before regression, highest log-likelihood first
    assert select(rows, _fits(bgnbd=-100, mbgnbd=-110, pnbd=-90))[0] == "pnbd"
    # log-likelihoods within 1 of each other: MBG/NBD before Pareto/NBD before BG/NBD
    assert select(rows, _fits(bgnbd=-100, mbgnbd=-100.5, pnbd=-100.2))[0] == "mbgnbd"


def test_selection_rule_drops_a_tied_model_that_ranks_worse():
    rows = _rows(bgnbd=(2.0, 0.70), mbgnbd=(2.01, 0.80))
    assert select(rows, _fits(bgnbd=-1, mbgnbd=-50))[0] == "mbgnbd"


def test_selection_rule_never_picks_a_baseline_or_a_failed_fit():
    rows = _rows(bgnbd=(2.0, 0.8))
    rows[0]["selectable"] = False
    rows.append({"model": "own_rate", "label": "", "rmse": 0.1, "auc": 0.9, "selectable": False})
    winner, why = select(rows, _fits(bgnbd=-1))
    assert winner is None
    assert why_text(why) == "no candidate could be fitted"


def test_bias_correction_is_the_backtest_ratio_clipped_and_applied_to_the_total():
    sim = SIMULATED["mbgnbd"]()
    frame = _frame(sim)
    # A downturn: the holdout year brings 30 % fewer purchases than the story predicts.
    thinned = np.random.default_rng(8).binomial(sim.future_orders, 0.7).astype(float)
    frame["actual_orders"] = thinned
    result = backtest_run(backtest=frame, holdout_days=365)
    # The regression learns the holdout's level from the time split itself, so it needs no
    # correction and wins; the stationary MBG/NBD over-predicts by ~1/0.7 and gets ~0.7.
    assert result.winner == "regression"
    assert result.bias_factor == pytest.approx(1.0, abs=0.03)
    mbg_row = next(r for r in result.rows if r["model"] == "mbgnbd")
    factor = bias_for(result, "mbgnbd")
    assert factor == pytest.approx(thinned.sum() / mbg_row["predicted_total"])
    assert 0.62 < factor < 0.78
    summary = frame.drop(columns="actual_orders")
    corrected = predict_customer_value(
        summary=summary, backtest=frame, holdout_days=365, model="mbgnbd"
    )
    assert corrected.count_method == "mbgnbd"
    assert corrected.bias_factor == pytest.approx(factor, rel=1e-6)
    plain = predict_customer_value(summary=summary, model="mbgnbd")
    assert corrected.scores["expected_orders_365d"].sum() == pytest.approx(
        plain.scores["expected_orders_365d"].sum() * factor, rel=1e-3
    )
    # probabilities are not scaled
    np.testing.assert_allclose(
        corrected.scores["p_buy_365d"], plain.scores["p_buy_365d"], rtol=1e-3, atol=1e-6
    )
    assert corrected.as_dict()["backtest"]["winner"] == "regression"
    assert corrected.as_dict()["bias_factor"] == pytest.approx(factor, abs=1e-4)


def test_bias_factor_is_clipped_and_needs_enough_purchases():
    result = backtest_run(backtest=_frame(SIMULATED["mbgnbd"]()), holdout_days=365)
    huge = result.rows[0] | {"predicted_total": result.actual_total / 10}
    clipped = type(result)(**{**result.__dict__, "rows": [huge]})
    assert bias_for(clipped, huge["model"]) == BIAS_CLIP[1]
    few = type(result)(**{**result.__dict__, "actual_total": 99.0})
    assert bias_for(few, result.winner) == 1.0


def test_a_short_holdout_is_said_in_a_notice():
    frame = _frame(
        simulate_customers(n=3000, params=(0.5, 60.0, 0.8, 2.5), big_t=_tenure(3000), seed=4)
    )
    prediction = predict_customer_value(
        summary=frame.drop(columns="actual_orders"), backtest=frame, holdout_days=182
    )
    assert next(n.code for n in prediction.notices) == "backtest_short_holdout"
    assert "182 days" in prediction.notices[0].message
    assert prediction.backtest.holdout_days == 182


def _one_timers(n, tenure):
    return pd.DataFrame(
        {"frequency": 0.0, "recency": 0.0, "T": tenure, "monetary_value": 0.0},
        index=pd.RangeIndex(n),
    )


def test_degenerate_all_one_time_buyers_fall_back_without_a_backtest():
    summary = _one_timers(500, np.linspace(10, 400, 500).round())
    backtest = summary.assign(actual_orders=0.0)
    prediction = predict_customer_value(summary=summary, backtest=backtest, holdout_days=28)
    assert prediction.count_method == "pooled_rate"
    assert [n.code for n in prediction.notices] == ["no_repeat_buyers"]
    assert prediction.backtest is None
    assert (prediction.scores["p_buy_365d"] == 0).all()
    assert prediction.as_dict()["backtest"] is None


def test_degenerate_one_customer_and_one_day_of_history():
    one = pd.DataFrame(
        {"frequency": [2.0], "recency": [30.0], "T": [60.0], "monetary_value": [50.0]}
    )
    prediction = predict_customer_value(summary=one, backtest=one.assign(actual_orders=1.0))
    assert prediction.count_method == "pooled_rate"
    assert prediction.notices[0].code == "too_few_customers"
    day = _one_timers(40, 0.0)
    empty = pd.DataFrame(columns=["frequency", "recency", "T", "monetary_value", "actual_orders"])
    empty.attrs.update(holdout_days=None, span=0)
    prediction = predict_customer_value(summary=day, backtest=empty)
    assert [n.code for n in prediction.notices] == ["single_purchase_day"]
    assert np.isfinite(prediction.scores["p_buy_365d"]).all()


def test_a_backtest_too_small_or_too_short_keeps_the_default_model():
    sim = simulate_customers(n=2000, params=(0.5, 60.0, 0.8, 2.5), big_t=_tenure(2000), seed=6)
    summary = sim.summary
    small = _frame(sim).iloc[:20]
    prediction = predict_customer_value(summary=summary, backtest=small, holdout_days=365)
    assert prediction.count_method == "mbgnbd"
    assert prediction.notices[0].code == "backtest_too_small"
    short = _frame(sim).iloc[:0]
    short.attrs.update(holdout_days=None, span=40)
    prediction = predict_customer_value(summary=summary, backtest=short)
    assert prediction.notices[0].code == "backtest_short_history"
    assert "40 days" in prediction.notices[0].message


def test_nobody_buying_in_the_holdout_does_not_break_the_backtest():
    frame = _frame(SIMULATED["mbgnbd"]()).assign(actual_orders=0.0)
    result = backtest_run(backtest=frame, holdout_days=365)
    assert result.n_bought_again == 0
    assert result.bias_factor == 1.0  # fewer than 100 purchases: no correction
    assert all(np.isnan(r["auc"]) for r in result.rows if r["auc"] is not None)
    assert result.winner in {"bgnbd", "mbgnbd", "pnbd", "regression"}


def test_order_value_that_moves_with_frequency_rejects_gamma_gamma():
    sim = simulate_customers(
        n=5000,
        params=(0.5, 60.0, 0.8, 2.5),
        big_t=_tenure(5000),
        spend_params=(6.0, 4.0, 150.0),
        seed=2,
    )
    summary = sim.summary.copy()
    x = summary["frequency"]
    summary["monetary_value"] = np.where(x > 0, 20.0 + 30.0 * x, 0.0)
    prediction = predict_customer_value(summary=summary)
    assert "spend_correlated" in [n.code for n in prediction.notices]
    assert prediction.spend_method == "own_mean"


def test_frames_from_cdnow_transactions_match_the_published_summary():
    raw = pd.read_csv(
        DATA / "cdnow_sample_transactions.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
    )
    raw["date"] = pd.to_datetime(raw["date"].astype(str))
    summary, backtest = frames_from_transactions(
        raw, as_of=pd.Timestamp("1998-06-30"), holdout_days=273
    )
    published = pd.read_csv(DATA / "cdnow_customers_summary.csv").set_index("ID")
    assert len(summary) == len(backtest) == 2357
    # the split at 1997-09-30 is the papers' 39-week calibration period
    np.testing.assert_array_equal(backtest["frequency"], published["frequency"])
    np.testing.assert_allclose(backtest["T"] / 7, published["T"], atol=0.01)
    np.testing.assert_allclose(backtest["recency"] / 7, published["recency"], atol=0.01)
    assert backtest["actual_orders"].sum() > 0
    assert (summary["frequency"] >= backtest["frequency"]).all()


@pytest.mark.django_db
def test_backtest_history_reads_the_split_and_samples_by_customer_id():
    from segmentation.prediction.history import backtest_history
    from tests.customers.factories import CustomerFactory, TransactionFactory

    as_of = dt.date(2026, 6, 30)
    customers = [CustomerFactory() for _ in range(6)]
    for i, customer in enumerate(customers):
        for days in (800, 400 - i, 100):
            TransactionFactory(
                customer=customer, date=as_of - dt.timedelta(days=days), amount=Decimal("10")
            )
    frame = backtest_history(as_of=as_of)
    assert frame.attrs == {"holdout_days": 365, "span": 800}
    assert len(frame) == 6
    assert (frame["frequency"] == 1).all()  # 800 and ~400 days ago are before the split
    assert (frame["actual_orders"] == 1).all()  # 100 days ago is in the holdout
    assert (frame["T"] == 800 - 365).all()
    sampled = backtest_history(as_of=as_of, customers=300_000)  # → every 3rd id
    assert len(sampled) >= 1
    assert all(int(i) % 3 == 0 for i in sampled.index)
    short = backtest_history(as_of=as_of, span_days=40)
    assert short.attrs["holdout_days"] is None
    assert short.empty


def test_a_diverged_fit_is_stored_as_null_not_nan():
    """A candidate whose fit diverged leaves NaN in its row; PostgreSQL's json type refuses NaN,
    so the nightly run failed storing the table. The stored summary turns them into null."""
    import dataclasses
    import json

    sim = SIMULATED["mbgnbd"]()
    frame = _frame(sim)
    summary = frame.drop(columns="actual_orders")
    fitted = predict_customer_value(
        summary=summary, backtest=frame, holdout_days=365, model="mbgnbd"
    )
    backtest = fitted.backtest
    assert backtest is not None
    broken = backtest.rows[0] | {"predicted_total": float("nan"), "log_likelihood": float("-inf")}
    poisoned = dataclasses.replace(
        fitted, backtest=dataclasses.replace(backtest, rows=[broken, *backtest.rows[1:]])
    )
    stored = poisoned.as_dict()
    text = json.dumps(stored, allow_nan=False)  # raises on NaN / inf
    row = json.loads(text)["backtest"]["rows"][0]
    assert row["predicted_total"] is None
    assert row["log_likelihood"] is None
    assert row["model"] == broken["model"]
