"""predict_customer_value: scores, degenerate data (message + fallback) and bad input."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from django.utils import translation

from segmentation.prediction import (
    OUTPUT_COLUMNS,
    PredictionInputError,
    predict_customer_value,
)
from segmentation.prediction.simulate import simulate_customers


def _frame(rows, start_id=1):
    return pd.DataFrame(rows, columns=["frequency", "recency", "T", "monetary_value"]).set_axis(
        pd.Index(range(start_id, start_id + len(rows)), name="customer_id")
    )


@pytest.fixture(autouse=True)
def _english():
    # Notices are asserted in English; zh-Hans is the default language.
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def simulated():
    tenure = np.random.default_rng(4).integers(30, 1095, size=5_000).astype(float)
    return simulate_customers(
        n=5_000,
        params=(0.5, 60.0, 0.8, 2.5),
        big_t=tenure,
        model="mbgnbd",
        spend_params=(6.0, 4.0, 150.0),
        seed=4,
    ).summary.round({"recency": 0})


def test_scores_every_customer_with_the_three_published_columns(simulated):
    prediction = predict_customer_value(summary=simulated)
    scores = prediction.scores
    assert list(scores.index) == list(simulated.index)
    assert set(OUTPUT_COLUMNS) <= set(scores.columns)
    assert prediction.count_method == "mbgnbd"
    assert prediction.spend_method == "gamma_gamma"
    assert prediction.notices == []
    assert scores["p_alive"].between(0, 1).all()
    assert (scores["expected_orders_365d"] >= 0).all()
    np.testing.assert_allclose(
        scores["expected_revenue_365d"],
        scores["expected_orders_365d"] * scores["expected_order_value"],
    )
    stored = prediction.as_dict()
    assert stored["count_fit"]["n_customers"] == 5_000
    assert stored["count_fit"]["converged"] is True


def test_recent_frequent_buyer_outranks_a_lapsed_one(simulated):
    rows = pd.concat([simulated, _frame([[10, 300, 310, 100.0], [10, 300, 900, 100.0]], 10**6)])
    scores = predict_customer_value(summary=rows).scores
    recent, lapsed = scores.loc[10**6], scores.loc[10**6 + 1]
    assert recent["p_alive"] > 0.8 > 0.2 > lapsed["p_alive"]
    assert recent["expected_orders_365d"] > 5 * lapsed["expected_orders_365d"]


def test_bgnbd_can_be_chosen_and_gives_one_to_single_buyers(simulated):
    prediction = predict_customer_value(summary=simulated, model="bgnbd")
    single = simulated["frequency"] == 0
    assert prediction.count_method == "bgnbd"
    assert (prediction.scores.loc[single, "p_alive"] == 1.0).all()


# --- degenerate data: a notice with a clear message, and a fallback -----------------------------


def test_no_customers():
    prediction = predict_customer_value(summary=_frame([]))
    assert [n.code for n in prediction.notices] == ["no_customers"]
    assert prediction.scores.empty
    assert "nothing to predict" in prediction.notices[0].message


def test_no_repeat_buyers_falls_back_to_zero_orders():
    rows = _frame([[0, 0, float(t), 0.0] for t in range(40, 100)])
    prediction = predict_customer_value(summary=rows)
    assert [n.code for n in prediction.notices] == ["no_repeat_buyers"]
    assert "None of the 60 customers has bought a second time" in prediction.notices[0].message
    assert prediction.count_method == "pooled_rate"
    assert prediction.count_fit is None
    assert prediction.scores["p_alive"].isna().all()
    assert (prediction.scores["expected_orders_365d"] == 0).all()
    assert (prediction.scores["expected_revenue_365d"] == 0).all()


@pytest.mark.parametrize("tenure", [0.0, 30.0])
def test_all_purchases_on_one_day(tenure):
    rows = _frame([[0, 0, tenure, 0.0]] * 50)
    prediction = predict_customer_value(summary=rows)
    assert [n.code for n in prediction.notices] == ["single_purchase_day"]
    assert "single day" in prediction.notices[0].message
    assert (prediction.scores["expected_orders_365d"] == 0).all()
    assert prediction.scores["p_alive"].isna().all()


def test_a_handful_of_customers_gets_the_pooled_rate():
    rows = _frame([[2, 100, 200, 50.0], [0, 0, 100, 0.0], [4, 300, 400, 80.0], [1, 10, 50, 20.0]])
    prediction = predict_customer_value(summary=rows)
    codes = [n.code for n in prediction.notices]
    assert codes == ["too_few_customers", "too_few_spend_buyers"]
    message = prediction.notices[0].message
    assert "4 customers, 3 repeat buyers (at least 30 and 10 are needed)" in message
    rate = (2 + 0 + 4 + 1) / (200 + 100 + 400 + 50)
    np.testing.assert_allclose(prediction.scores["expected_orders_365d"], rate * 365)
    # Own average order value for repeat buyers, the mean of those for the single buyer.
    np.testing.assert_allclose(
        prediction.scores["expected_order_value"], [50.0, (50 + 80 + 20) / 3, 80.0, 20.0]
    )


def test_a_fit_that_does_not_converge_falls_back(simulated):
    prediction = predict_customer_value(summary=simulated, maxiter=1)
    codes = [n.code for n in prediction.notices]
    assert "count_fit_not_converged" in codes
    assert "spend_fit_not_converged" in codes
    assert prediction.count_method == "pooled_rate"
    assert prediction.spend_method == "own_mean"
    assert prediction.count_fit is not None
    assert prediction.count_fit.converged is False
    assert "did not converge" in prediction.notices[0].message
    assert prediction.scores["expected_orders_365d"].notna().all()


def test_wildly_varying_order_values_fall_back_to_own_means(simulated):
    rows = simulated.copy()
    repeat = rows["frequency"] > 0
    rng = np.random.default_rng(0)
    # Pareto(0.6) order values: no finite mean, so Gamma-Gamma's q must end below 1.
    rows.loc[repeat, "monetary_value"] = 10 * (1 + rng.pareto(0.6, size=int(repeat.sum())))
    prediction = predict_customer_value(summary=rows)
    codes = [n.code for n in prediction.notices]
    assert codes in (["spend_fit_heavy_tail"], ["spend_fit_not_converged"])
    assert prediction.spend_method == "own_mean"
    np.testing.assert_allclose(
        prediction.scores.loc[repeat, "expected_order_value"], rows.loc[repeat, "monetary_value"]
    )


# --- bad input: a specific error naming the customer and the field -----------------------------


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ([1, 10, -5, 10.0], r"customer 2: T = -5 — must not be negative"),
        ([1, 50, 40, 10.0], r"customer 2: recency = 50 — the last purchase cannot come after"),
        ([1.5, 10, 40, 10.0], r"customer 2: frequency = 1.5 — must be a whole number"),
        ([0, 10, 40, 0.0], r"customer 2: recency = 10 — a customer without repeat purchases"),
        ([1, 10, np.nan, 10.0], r"customer 2: T = nan — is not a finite number"),
    ],
)
def test_bad_rows_are_named(row, message):
    rows = _frame([[1, 10, 40, 10.0], row, row])
    with pytest.raises(PredictionInputError, match=message + r".*\(and 1 more rows\)"):
        predict_customer_value(summary=rows)


def test_missing_column_is_named():
    rows = _frame([[1, 10, 40, 10.0]]).drop(columns="T")
    with pytest.raises(PredictionInputError, match="lacks column"):
        predict_customer_value(summary=rows)


def test_no_dropout_limit_is_explained(simulated, monkeypatch):
    from segmentation.prediction import predict as predict_module

    real_fit = predict_module.fit_count_model

    def fit_at_limit(**kwargs):
        fit = real_fit(**kwargs)
        return replace(fit, extra={"no_dropout": 1.0})

    monkeypatch.setattr(predict_module, "fit_count_model", fit_at_limit)
    prediction = predict_customer_value(summary=simulated)
    assert prediction.count_method == "mbgnbd"
    assert [n.code for n in prediction.notices] == ["no_dropout"]
    assert "drop-out probability is about zero" in prediction.notices[0].message
    with translation.override("zh-hans"):
        assert "流失概率约为零" in prediction.notices[0].message
    assert prediction.as_dict()["count_fit"]["no_dropout"] == 1.0


def test_notices_are_translated_to_chinese():
    rows = _frame([[0, 0, float(t), 0.0] for t in range(40, 100)])
    prediction = predict_customer_value(summary=rows)
    with translation.override("zh-hans"):
        message = prediction.notices[0].message
    assert "60" in message
    assert "None of" not in message
