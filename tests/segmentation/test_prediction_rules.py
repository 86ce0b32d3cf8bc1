"""Rule-set options that use the prediction: expected revenue in the potential score, a
churn warning on a low chance of still being active. Off by default; tested at the boundary."""

import dataclasses

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from segmentation.dimensions.compute import classify
from segmentation.models import CustomerClasses, RuleSet
from segmentation.reasons import reason_text
from segmentation.rules import Rules, rules_from_ruleset
from segmentation.services import ruleset_activate, ruleset_save_version, segmentation_run
from tests.segmentation.factories import metrics_frame
from tests.segmentation.test_run_prediction import AS_OF, shop  # noqa: F401 — fixture

NO_CUTS = {"r": [], "f": [], "m": [], "value_core": None, "value_important": None}
ONLY_EXPECTED = dataclasses.replace(
    Rules(),
    weight_size=0.0,
    weight_budget=0.0,
    weight_outlook=0.0,
    weight_growth=0.0,
    weight_trend=0.0,
    weight_breadth=0.0,
    weight_expected_revenue=1.0,
)


def one(dimension, rules, **metrics):
    out = classify(metrics_frame(metrics), rules, NO_CUTS)
    return out[dimension].iat[0], out[f"{dimension}_why"].iat[0], out


@pytest.mark.django_db
def test_defaults_leave_the_classification_unchanged():
    rules = rules_from_ruleset(RuleSet.objects.get(is_active=True))
    assert rules.weight_expected_revenue == 0.0
    assert rules.churn_p_alive_below_pct is None
    plain = classify(metrics_frame({}), Rules(), NO_CUTS)
    scored = classify(
        metrics_frame({"p_alive": 0.01, "expected_revenue_365d": 1e9}), Rules(), NO_CUTS
    )
    assert plain["potential_score"].iat[0] == scored["potential_score"].iat[0]
    assert scored["churn_warning"].iat[0] == plain["churn_warning"].iat[0] == "no"


@pytest.mark.parametrize(
    ("expected_revenue", "score"),
    [
        (50_000.0, 50.0),  # half the full-marks amount
        (100_000.0, 100.0),
        (250_000.0, 100.0),  # capped
        (np.nan, 0.0),  # no purchase: nothing expected
    ],
)
def test_potential_score_weights_expected_revenue(expected_revenue, score):
    _code, _why, out = one("potential", ONLY_EXPECTED, expected_revenue_365d=expected_revenue)
    assert out["potential_score"].iat[0] == score


def test_potential_score_without_prediction_columns_counts_zero():
    out = classify(metrics_frame({}), ONLY_EXPECTED, NO_CUTS)
    assert out["potential_score"].iat[0] == 0.0


@pytest.mark.parametrize(
    ("p_alive", "expected", "why"),
    [
        (0.199, "yes", "p_alive_low"),
        (0.20, "no", "steady"),  # at the threshold: no warning
        (np.nan, "no", "steady"),  # model not fitted: not known, no warning
    ],
)
def test_churn_warning_fires_below_the_p_alive_threshold(p_alive, expected, why):
    rules = dataclasses.replace(Rules(), churn_p_alive_below_pct=20.0)
    code, got_why, _out = one("churn_warning", rules, p_alive=p_alive)
    assert (code, got_why) == (expected, why)


def test_churn_warning_on_p_alive_skips_customers_already_dormant():
    rules = dataclasses.replace(Rules(), churn_p_alive_below_pct=20.0)
    code, why, out = one("churn_warning", rules, p_alive=0.05, recency_days=200.0)
    assert out["lifecycle"].iat[0] == "dormant"
    assert (code, why) == ("no", "steady")


def test_churn_reason_names_the_value_and_the_threshold():
    rules = dataclasses.replace(Rules(), churn_p_alive_below_pct=20.0)
    row = {"p_alive": 0.12}
    with translation.override("en"):
        text = reason_text("churn_warning", "yes", "p_alive_low", row, rules, NO_CUTS, None)
    assert "only 12% likely still active" in text
    assert "warning below 20%" in text
    with translation.override("zh-hans"):
        text = reason_text("churn_warning", "yes", "p_alive_low", row, rules, NO_CUTS, None)
    assert "12%" in text
    assert "20%" in text
    assert "仍活跃" in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"weight_expected_revenue": 0.2}, "weight_size", "1.2"),  # weights must still sum to 1
        ({"churn_p_alive_below_pct": 120}, "churn_p_alive_below_pct", "100"),
        ({"churn_p_alive_below_pct": -1}, "churn_p_alive_below_pct", "0"),
        ({"weight_expected_revenue": 1.5}, "weight_expected_revenue", "1"),
        ({"expected_revenue_full_amount": 0}, "expected_revenue_full_amount", "1"),
    ],
)
def test_bad_prediction_options_are_refused_and_nothing_is_stored(changes, field, fragment):
    with pytest.raises(ValidationError) as info:
        ruleset_save_version(data=changes)
    messages = info.value.message_dict[field]
    assert any(fragment in m for m in messages), messages
    assert RuleSet.objects.count() == 1


@pytest.mark.django_db
def test_valid_prediction_options_make_a_version_the_run_applies(shop):  # noqa: F811
    version = ruleset_save_version(
        data={"weight_breadth": 0.0, "weight_expected_revenue": 0.1, "churn_p_alive_below_pct": 100}
    )
    ruleset_activate(rule_set=version)
    run = segmentation_run(as_of=AS_OF)
    rows = CustomerClasses.objects.filter(run=run)
    warned = rows.filter(churn_warning_why="p_alive_low")
    assert warned.exists()
    for row in warned:
        assert row.p_alive < 1.0
        assert row.lifecycle not in {"dormant", "churned"}
    assert not rows.filter(p_alive__isnull=True, churn_warning_why="p_alive_low").exists()
    assert run.rule_set == version
