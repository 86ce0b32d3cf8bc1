"""The predicted-value model inside the nightly run: inputs from the metrics frame, one fit
stored with the run, three scores per customer, fallbacks that never fail the run."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from segmentation.models import CustomerClasses, RunStatus
from segmentation.prediction.inputs import summary_from_metrics
from segmentation.prediction.simulate import simulate_customers
from segmentation.services import segmentation_run
from tests.customers.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


def _buyer(days_ago_list, amount="100.00"):
    customer = CustomerFactory()
    for days in days_ago_list:
        TransactionFactory(
            customer=customer, date=AS_OF - dt.timedelta(days=days), amount=Decimal(amount)
        )
    return customer


def _row(run, customer):
    return CustomerClasses.objects.get(run=run, customer=customer)


def test_summary_from_metrics_counts_purchase_days_in_consistent_day_units():
    frame = pd.DataFrame(
        {
            "purchase_days": [3.0, 1.0, 0.0],
            "recency_days": [10.0, 50.0, np.nan],
            "tenure_days": [110.0, 50.0, np.nan],
            "revenue_total": [300.0, 80.0, 0.0],
        },
        index=pd.Index([7, 8, 9], name="customer_id"),
    )
    summary = summary_from_metrics(frame)
    assert list(summary.index) == [7, 8]  # no purchase → not in the model
    assert summary.loc[7].to_dict() == {
        "frequency": 2.0,
        "recency": 100.0,  # first → last purchase
        "T": 110.0,  # first purchase → run date
        "monetary_value": 100.0,
    }
    assert summary.loc[8].to_dict() == {
        "frequency": 0.0,
        "recency": 0.0,
        "T": 50.0,
        "monetary_value": 0.0,
    }


def test_two_orders_on_one_day_are_one_purchase_occasion():
    customer = _buyer([30, 30, 90])
    run = segmentation_run(as_of=AS_OF)
    row = _row(run, customer)
    assert (row.orders_total, row.purchase_days) == (3, 2)


@pytest.fixture
def shop(db):
    """80 buyers drawn from the MBG/NBD story (seeded) and written as transactions, plus one
    clearly regular buyer, one clearly lapsed one and a prospect without purchases."""
    drawn = simulate_customers(
        n=80,
        params=(0.5, 60.0, 0.8, 2.5),
        big_t=np.linspace(200.0, 700.0, 80).round(),
        model="mbgnbd",
        spend_params=(6.0, 4.0, 150.0),
        seed=3,
    ).summary
    customers = {"prospect": CustomerFactory()}
    for i, row in enumerate(drawn.itertuples()):
        x, first = int(row.frequency), int(row.T)
        last = first - round(row.recency)
        # first purchase T days ago, the last one t_x later, the others in between
        days = {first, last, *np.linspace(first, last, x + 1).round().astype(int).tolist()}
        days = sorted(days)[: x + 1] if len(days) > x + 1 else sorted(days)
        amount = f"{max(row.monetary_value, 20.0):.2f}"
        customers[f"drawn{i}"] = _buyer(days, amount=amount)
    customers["regular"] = _buyer([3, 33, 63, 93, 123, 153, 183, 213])
    customers["lapsed"] = _buyer([500, 560, 620])
    return customers


def test_run_fits_once_stores_the_fit_and_scores_every_buyer(shop):
    run = segmentation_run(as_of=AS_OF)
    assert run.status == RunStatus.SUCCEEDED
    fit = run.prediction
    # ~700 days of history: the backtest holds out 350 days (half, in whole weeks) and says so.
    assert [n["code"] for n in fit["notices"]] == ["backtest_short_holdout"], fit["notices"]
    assert fit["notices"][0]["params"] == {"days": 350}
    backtest = fit["backtest"]
    assert backtest["holdout_days"] == 350
    assert {r["model"] for r in backtest["rows"]} == {
        "bgnbd",
        "mbgnbd",
        "pnbd",
        "regression",
        "own_rate",
    }
    assert backtest["winner"] in {"bgnbd", "mbgnbd", "pnbd", "regression"}
    assert fit["count_method"] == backtest["winner"]
    assert 0.5 <= fit["bias_factor"] <= 2.0
    assert fit["n_customers"] == 82  # the prospect has no purchase
    assert fit["count_fit"]["converged"] is True
    assert len(fit["count_fit"]["params"]) == 4
    assert "prediction" in run.timings

    regular, lapsed = _row(run, shop["regular"]), _row(run, shop["lapsed"])
    assert regular.p_alive > lapsed.p_alive
    assert regular.expected_orders_365d > lapsed.expected_orders_365d
    assert regular.expected_revenue_365d > 0
    assert regular.p_buy_365d > lapsed.p_buy_365d
    assert 0 < regular.p_buy_365d <= regular.p_alive
    prospect = _row(run, shop["prospect"])
    assert (
        prospect.p_alive,
        prospect.expected_orders_365d,
        prospect.expected_revenue_365d,
        prospect.p_buy_365d,
    ) == (None, None, None, None)


def test_a_run_with_no_repeat_buyers_succeeds_with_the_fallback(db):
    buyers = [_buyer([10 + i]) for i in range(5)]
    run = segmentation_run(as_of=AS_OF)
    assert run.status == RunStatus.SUCCEEDED
    assert run.prediction["count_method"] == "pooled_rate"
    assert [n["code"] for n in run.prediction["notices"]] == ["no_repeat_buyers"]
    row = _row(run, buyers[0])
    assert row.p_alive is None  # not known rather than invented
    assert row.expected_orders_365d == 0.0


def test_a_run_without_any_purchase_succeeds(db):
    prospect = CustomerFactory()
    run = segmentation_run(as_of=AS_OF)
    assert run.status == RunStatus.SUCCEEDED
    assert [n["code"] for n in run.prediction["notices"]] == ["no_customers"]
    assert _row(run, prospect).expected_orders_365d is None


def test_a_forced_rerun_recomputes_the_fit(shop):
    first = segmentation_run(as_of=AS_OF)
    again = segmentation_run(as_of=AS_OF, force=True)
    assert again.prediction["count_fit"]["params"] == first.prediction["count_fit"]["params"]
    assert _row(again, shop["regular"]).p_alive == pytest.approx(
        _row(first, shop["regular"]).p_alive
    )


def test_a_fit_whose_scores_are_not_finite_falls_back_with_a_notice(monkeypatch):
    from segmentation.prediction import predict as predict_module

    monkeypatch.setattr(
        predict_module,
        "count_predict",
        lambda fit, horizon, x, *args: (np.full(len(x), 0.5), np.full(len(x), np.nan), x * 0),
    )
    summary = simulate_customers(
        n=500, params=(0.5, 60.0, 0.8, 2.5), big_t=400.0, model="mbgnbd", seed=5
    ).summary
    prediction = predict_module.predict_customer_value(summary=summary)
    assert prediction.count_method == "pooled_rate"
    assert prediction.notices[0].code == "count_fit_not_converged"
    assert np.isfinite(prediction.scores["expected_orders_365d"]).all()
    assert prediction.scores["p_alive"].isna().all()


def test_export_data_customers_has_the_three_prediction_columns(shop, tmp_path):
    import csv
    import io

    from django.core.management import call_command

    run = segmentation_run(as_of=AS_OF)
    out = tmp_path / "customers.csv"
    call_command("export_data", "customers", "--out", str(out))
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
    header = next(iter(rows.values())).keys()
    wanted = {"p_alive", "expected_orders_365d", "expected_revenue_365d", "p_buy_365d"}
    assert [h for h in header if h in wanted] == [
        "p_alive",
        "expected_orders_365d",
        "expected_revenue_365d",
        "p_buy_365d",
    ]
    regular = rows[shop["regular"].external_code]
    stored = _row(run, shop["regular"])
    assert float(regular["p_alive"]) == pytest.approx(stored.p_alive)
    assert float(regular["expected_orders_365d"]) == pytest.approx(stored.expected_orders_365d)
    assert float(regular["expected_revenue_365d"]) == pytest.approx(stored.expected_revenue_365d)
    assert float(regular["p_buy_365d"]) == pytest.approx(stored.p_buy_365d)
    prospect = rows[shop["prospect"].external_code]
    assert prospect["p_alive"] == prospect["expected_orders_365d"] == prospect["p_buy_365d"] == ""


def test_customer_panel_shows_the_prediction_and_its_reason_in_both_languages(shop, rep_alice):
    from django.template import Context, Template
    from django.test import RequestFactory
    from django.utils import translation

    from segmentation.selectors import customer_classes_get

    run = segmentation_run(as_of=AS_OF)
    stored = _row(run, shop["regular"])
    pct = round(100 * stored.p_alive)
    buy = round(100 * stored.p_buy_365d)
    for language, history, outlook in (
        ("en", "bought 8 times, every ~30 days; last 3 days ago", f"{pct}% likely still active"),
        ("zh-hans", "购买 8 次，约每 30 天一次；最近一次在 3 天前", f"{pct}%"),
    ):
        with translation.override(language):
            view = customer_classes_get(customer_id=shop["regular"].pk)["prediction"]
        assert view["p_alive_pct"] == pct
        assert view["p_buy_pct"] == buy
        chance = (
            f"{buy}% chance of an order within 365 days" if language == "en" else "365 天内下单"
        )
        assert chance in view["reason"], view["reason"]
        assert view["expected_orders"] == pytest.approx(stored.expected_orders_365d)
        assert history in view["reason"], view["reason"]
        assert outlook in view["reason"]
    request = RequestFactory().get("/")
    request.user = rep_alice
    template = Template("{% load segmentation_tags %}{% customer_classes customer %}")
    with translation.override("zh-hans"):
        html = template.render(Context({"customer": shop["regular"], "request": request}))
    assert "价值预测" in html
    assert f"{pct}%" in html
    assert "365 天内下单的可能性" in html
    assert f"{buy}%" in html
    with translation.override("en"):
        html = template.render(Context({"customer": shop["prospect"], "request": request}))
    assert "seg-classes" in html
    assert "seg-prediction" not in html  # no purchase, nothing predicted


def test_customer_panel_explains_a_fallback(db):
    from django.utils import translation

    from segmentation.selectors import customer_classes_get

    buyer = _buyer([40])
    segmentation_run(as_of=AS_OF)
    with translation.override("en"):
        view = customer_classes_get(customer_id=buyer.pk)["prediction"]
    assert view["p_alive_pct"] is None
    assert "bought once, 40 days ago" in view["reason"]
    assert "All purchases fall on a single day" in view["notices"][0]


def test_run_admin_shows_the_fit(shop, admin_ada, client):
    from django.urls import reverse

    run = segmentation_run(as_of=AS_OF)
    client.force_login(admin_ada)
    response = client.get(reverse("admin:segmentation_run_change", args=[run.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert run.prediction["count_method"] in body
    assert "alpha" in body
    assert str(run.prediction["n_customers"]) in body
    # the backtest table, read-only, in the admin's language (zh-hans by default here)
    backtest = run.prediction["backtest"]
    for label in ("BG/NBD", "MBG/NBD", "Pareto/NBD"):
        assert f"<td>{label}</td>" in body
    assert body.count("<tr><td>") == len(backtest["rows"])
    winner_row = next(r for r in backtest["rows"] if r["model"] == backtest["winner"])
    assert f"{winner_row['rmse']:.4f}" in body
    assert body.count("← ") == 1
