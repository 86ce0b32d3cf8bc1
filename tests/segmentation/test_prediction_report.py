"""The history selector (one set-based query) and `manage.py prediction_report`."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from customers.models import Transaction
from segmentation.prediction.history import purchase_history_summarise
from tests.customers.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2024, 6, 30)


def _order(customer, day, amount, status="paid"):
    return TransactionFactory(customer=customer, date=day, amount=Decimal(amount), status=status)


def test_history_counts_purchase_days_statuses_and_windows(django_assert_num_queries):
    buyer = CustomerFactory()
    _order(buyer, dt.date(2024, 1, 10), "100")
    _order(buyer, dt.date(2024, 1, 10), "50", status="open")  # same day: one purchase occasion
    _order(buyer, dt.date(2024, 3, 1), "200")
    _order(buyer, dt.date(2024, 4, 1), "999", status="refunded")
    _order(buyer, dt.date(2024, 5, 1), "999", status="cancelled")
    _order(buyer, dt.date(2024, 6, 1), "300")
    _order(buyer, dt.date(2024, 8, 1), "10")
    _order(buyer, dt.date(2024, 8, 1), "10")
    _order(buyer, dt.date(2025, 6, 30), "10")  # last day of the 365-day holdout
    _order(buyer, dt.date(2025, 7, 1), "10")  # after it
    newcomer = CustomerFactory()
    _order(newcomer, dt.date(2024, 7, 1), "10")  # first purchase after the split: not fitted
    refunded_only = CustomerFactory()
    _order(refunded_only, dt.date(2024, 1, 1), "10", status="refunded")
    single = CustomerFactory()
    _order(single, dt.date(2023, 1, 1), "70")

    with django_assert_num_queries(1):
        history = purchase_history_summarise(as_of=AS_OF)

    assert list(history.index) == [buyer.pk, single.pk]
    row = history.loc[buyer.pk]
    assert row["frequency"] == 2
    assert row["recency"] == (dt.date(2024, 6, 1) - dt.date(2024, 1, 10)).days
    assert row["T"] == (AS_OF - dt.date(2024, 1, 10)).days
    assert row["monetary_value"] == pytest.approx(250.0)  # (200 + 300) / 2, first day excluded
    assert row["actual_orders"] == 2
    assert row["last_year_orders"] == 3
    lone = history.loc[single.pk]
    assert (lone["frequency"], lone["recency"], lone["monetary_value"]) == (0, 0, 0)
    assert lone["T"] == (AS_OF - dt.date(2023, 1, 1)).days
    assert lone["last_year_orders"] == 0


def _generated_history(n_customers=80, seed=1):
    """Customers buying at their own Poisson rate from a random start until a random stop."""
    rng = np.random.default_rng(seed)
    start = dt.date(2022, 1, 1)
    orders = []
    owner = CustomerFactory().owner
    for customer in CustomerFactory.create_batch(n_customers, owner=owner):
        first = int(rng.integers(0, 800))
        stop = first + int(rng.exponential(500))
        gap = float(rng.gamma(2.0, 40.0))
        day = float(first)
        while day <= min(stop, 1200):
            orders.append(
                Transaction(
                    customer=customer,
                    date=start + dt.timedelta(days=int(day)),
                    amount=Decimal(int(rng.gamma(4.0, 300.0)) + 1),
                    status="paid",
                )
            )
            day += rng.exponential(gap) + 1
    Transaction.objects.bulk_create(orders)


def test_report_command_writes_table_csvs_and_chart(tmp_path, capsys):
    _generated_history()
    call_command("prediction_report", as_of="2023-12-31", out_dir=str(tmp_path))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "prediction_calibration.csv",
        "prediction_ranking.csv",
        "prediction_report.png",
        "prediction_report.txt",
        "prediction_selection.csv",
        "prediction_totals.csv",
    ]
    out = capsys.readouterr().out
    # Under two years of history before 2023-12-31: the inside backtest holds out about half.
    assert "Model choice inside the history up to 2023-12-31" in out
    held_out = int(out.split("Backtest: held out the last ")[1].split(" days")[0])
    assert 300 <= held_out < 365
    assert held_out % 7 == 0
    assert "Pareto/NBD" in out
    assert "← chosen" in out
    assert "Judged on the 365 days after 2023-12-31:" in out
    selection = (tmp_path / "prediction_selection.csv").read_text(encoding="utf-8").splitlines()
    assert selection[0] == "method,predicted_total,total_error_pct,rmse,mae,auc"
    methods = [line.split(",")[0] for line in selection[1:]]
    assert methods[0].startswith("selected: ")
    assert methods[2:] == ["plain BG/NBD", "baseline: own average rate"]
    assert (tmp_path / "prediction_report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (tmp_path / "prediction_report.txt").read_text(encoding="utf-8")
    assert "fitted on purchases up to 2023-12-31" in text
    assert "baseline: last year's count" in text
    assert "recency (fewer days since last purchase)" in text
    totals = (tmp_path / "prediction_totals.csv").read_text(encoding="utf-8").splitlines()
    assert totals[0] == "method,total_orders,mae_per_customer"
    assert [line.split(",")[0] for line in totals[1:]] == [
        "actual",
        "bgnbd",
        "mbgnbd",
        "baseline: last year's count",
        "baseline: own average rate",
    ]
    ranking = (tmp_path / "prediction_ranking.csv").read_text(encoding="utf-8")
    auc = {line.split(",")[0]: float(line.split(",")[1]) for line in ranking.splitlines()[1:]}
    # Recency is a real signal in this data: plain recency must beat chance.
    assert auc["recency (fewer days since last purchase)"] > 0.5
    for value in auc.values():
        assert np.isnan(value) or 0.0 <= value <= 1.0


def test_report_on_a_handful_of_customers_explains_the_fallback(tmp_path, capsys):
    customer = CustomerFactory()
    _order(customer, dt.date(2023, 1, 1), "10")
    _order(customer, dt.date(2023, 3, 1), "10")
    call_command("prediction_report", as_of="2023-12-31", out_dir=str(tmp_path))
    out = capsys.readouterr().out
    assert "pooled_rate" in out
    assert "1 customers, 1 repeat buyers" in out
    assert (tmp_path / "prediction_report.png").exists()


def test_report_refuses_a_bad_date(tmp_path):
    with pytest.raises(CommandError, match="'2023-13-01' is not a date in the form YYYY-MM-DD"):
        call_command("prediction_report", as_of="2023-13-01", out_dir=str(tmp_path))


def test_report_refuses_an_empty_history(tmp_path):
    with pytest.raises(CommandError, match="No paid or open transaction on or before 2023-12-31"):
        call_command("prediction_report", as_of="2023-12-31", out_dir=str(tmp_path))
    assert not tmp_path.joinpath("prediction_report.txt").exists()


def test_report_prints_the_backtest_stored_with_the_current_run(capsys):
    from segmentation.services import segmentation_run

    _generated_history()
    run = segmentation_run(as_of=dt.date(2024, 12, 31))
    call_command("prediction_report", "--run")  # without an id: the current run
    out = capsys.readouterr().out
    assert f"Run {run.pk} as of 2024-12-31" in out
    stored = run.prediction["backtest"]
    assert f"held out the last {stored['holdout_days']} days" in out
    for label in ("BG/NBD", "MBG/NBD", "Pareto/NBD", "RFM + rhythm regression"):
        assert label in out
    assert "baseline: own average rate" in out
    assert out.count("← chosen") == 1
    call_command("prediction_report", run=str(run.pk))
    assert "← chosen" in capsys.readouterr().out


def test_report_run_refuses_a_missing_or_bad_run():
    with pytest.raises(CommandError, match="No current run yet"):
        call_command("prediction_report", run="current")
    with pytest.raises(CommandError, match="Run 999 does not exist"):
        call_command("prediction_report", run="999")
    with pytest.raises(CommandError, match="'x' is not a run id"):
        call_command("prediction_report", run="x")
    with pytest.raises(CommandError, match="give --as-of DATE or --run"):
        call_command("prediction_report")
