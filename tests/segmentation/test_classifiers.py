"""Pure classifier tests at every threshold boundary (no database)."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from segmentation.classifiers import cut_points_compute
from segmentation.dimensions.compute import apply_dwell, apply_pins, classify
from segmentation.rules import Rules
from tests.segmentation.factories import metrics_frame

RULES = Rules()  # dormant 120, churned 365, loyal 6 orders in window + 365 days tenure
NO_CUTS = {"r": [], "f": [], "m": [], "value_core": None, "value_important": None}
NON_BUYER = {
    "orders_total": 0.0,
    "orders_window": 0.0,
    "orders_prev_window": 0.0,
    "revenue_total": 0.0,
    "revenue_window": 0.0,
    "revenue_prev_window": 0.0,
    "recency_days": math.nan,
    "tenure_days": math.nan,
    "interval_days": math.nan,
    "active_months": 0.0,
}


def one(dimension, rules=RULES, cuts=NO_CUTS, **metrics):
    out = classify(metrics_frame(metrics), rules, cuts)
    return out[dimension].iat[0], out[f"{dimension}_why"].iat[0]


@pytest.mark.parametrize(
    ("recency", "expected"),
    [
        (120, "repeat"),  # at the threshold: still active
        (121, "dormant"),
        (365, "dormant"),
        (366, "churned"),
    ],
)
def test_lifecycle_dormant_and_churned_thresholds(recency, expected):
    # A rhythm of 30 days × 2 = 60 < 120, so the plain thresholds apply.
    assert one("lifecycle", recency_days=recency, orders_window=1)[0] == expected


@pytest.mark.parametrize(
    ("recency", "expected", "why"),
    [
        (200, "repeat", "repeat"),  # usually buys every 100 days: 2 × 100 = 200 is the threshold
        (201, "dormant", "dormant_rhythm"),
        (400, "dormant", "dormant_rhythm"),  # churned = max(365, 4 × 100) = 400
        (401, "churned", "churned_rhythm"),
    ],
)
def test_lifecycle_follows_the_customers_own_rhythm(recency, expected, why):
    got = one("lifecycle", recency_days=recency, interval_days=100.0, orders_window=1)
    assert got == (expected, why)


def test_rhythm_needs_enough_orders():
    # Two orders do not make a rhythm (rhythm_min_orders = 3): plain thresholds apply.
    got = one("lifecycle", recency_days=150, interval_days=100.0, orders_total=2.0)
    assert got == ("dormant", "dormant")


@pytest.mark.parametrize(
    ("orders_window", "tenure", "expected", "why"),
    [
        (6, 365, "loyal", "loyal"),
        (5, 365, "repeat", "repeat"),
        (6, 364, "repeat", "repeat_tenure"),
    ],
)
def test_lifecycle_loyal_boundaries(orders_window, tenure, expected, why):
    got = one("lifecycle", orders_window=float(orders_window), tenure_days=float(tenure))
    assert got == (expected, why)


@pytest.mark.parametrize(
    ("metrics", "expected", "why"),
    [
        ({}, "prospect", "prospect"),
        ({"interest_days": 180.0}, "intent", "intent"),
        ({"interest_days": 181.0}, "prospect", "prospect_stale"),
    ],
)
def test_lifecycle_before_the_first_order(metrics, expected, why):
    assert one("lifecycle", **NON_BUYER, **metrics) == (expected, why)


def test_one_order_is_new_and_duplicates_are_unclassified():
    assert one("lifecycle", orders_total=1.0, orders_window=1.0, interval_days=math.nan) == (
        "new",
        "new",
    )
    assert one("lifecycle", duplicate_of=7.0) == ("unclassified", "duplicate")
    assert one("value_tier", duplicate_of=7.0) == ("unclassified", "duplicate")


@pytest.mark.parametrize(
    ("revenue", "expected"),
    [(100000.0, "core"), (99999.99, "important"), (20000.0, "important"), (19999.0, "ordinary")],
)
def test_value_tier_against_cut_amounts(revenue, expected):
    cuts = {**NO_CUTS, "value_core": 100000.0, "value_important": 20000.0}
    assert one("value_tier", cuts=cuts, revenue_window=revenue)[0] == expected


def test_value_tier_for_non_buyers_and_orders_without_amounts():
    assert one("value_tier", **NON_BUYER) == ("potential", "no_purchases")
    assert one("value_tier", revenue_total=0.0, revenue_window=0.0) == (
        "unclassified",
        "no_amounts",
    )
    short = Rules(value_min_tenure_days=90)
    assert one("value_tier", rules=short, tenure_days=89.0) == ("unclassified", "short_history")


def test_pareto_cut_points_split_the_revenue():
    # 10 buyers: one makes 80% of revenue → he alone is core under an 80% rule.
    revenues = [800.0] + [200.0 / 9] * 9
    frame = metrics_frame(*({"revenue_window": r} for r in revenues))
    cuts = cut_points_compute(frame=frame, rules=RULES)
    assert cuts["value_core"] == 800.0
    tiers = classify(frame, RULES, cuts)["value_tier"]
    assert (tiers == "core").sum() == 1


def test_percentile_and_absolute_methods():
    frame = metrics_frame(*({"revenue_window": float(r)} for r in range(1, 11)))
    pct = Rules(value_method="percentile", core_top_pct=20, important_top_pct=50)
    tiers = classify(frame, pct, cut_points_compute(frame=frame, rules=pct))["value_tier"]
    assert list(tiers) == ["ordinary"] * 5 + ["important"] * 3 + ["core"] * 2
    absolute = Rules(value_method="absolute", core_min_amount=9, important_min_amount=5)
    tiers = classify(frame, absolute, cut_points_compute(frame=frame, rules=absolute))["value_tier"]
    assert list(tiers) == ["ordinary"] * 4 + ["important"] * 4 + ["core"] * 2


@pytest.mark.parametrize(
    ("metrics", "expected", "why"),
    [
        ({"tenure_days": 364.0}, "new", "short_tenure"),
        ({"tenure_days": 365.0, "active_months": 6.0}, "loyal", "regular"),
        ({"tenure_days": 365.0, "active_months": 5.0}, "swing", "irregular"),
        ({"active_months": 5.0, "referrals": 2.0}, "loyal", "referrals"),
        ({"active_months": 12.0, "satisfaction": 3.0}, "swing", "low_satisfaction"),
        ({"active_months": 12.0, "satisfaction": 4.0}, "loyal", "regular"),
    ],
)
def test_loyalty_boundaries(metrics, expected, why):
    assert one("loyalty", **metrics) == (expected, why)


def test_potential_score_weights_and_boundaries():
    # Everything at full marks → 100; nothing → 0 + neutral trend (0.5 × 0.15 = 7.5).
    full = {
        "size_score": 1.0,
        "annual_budget": 2e6,
        "outlook_score": 1.0,
        "growth_rate": 50.0,
        "spend_trend_pct": 100.0,
        "categories": 9.0,
    }
    frame = metrics_frame(full, {"size_score": 0.0, "outlook_score": 0.0, "categories": 0.0})
    out = classify(frame, RULES, NO_CUTS)
    assert list(out["potential_score"]) == [100.0, 7.5]
    assert list(out["potential"]) == ["high", "low"]
    medium = Rules(potential_high_min=101, potential_medium_min=100)
    assert classify(frame, medium, NO_CUTS)["potential"].iat[0] == "medium"


@pytest.mark.parametrize(
    ("value_cuts", "pot_high", "expected"),
    [
        (100.0, 0, "star"),
        (100.0, 101, "cash_cow"),
        (1e12, 0, "potential"),
        (1e12, 101, "long_tail"),
    ],
)
def test_value_potential_matrix(value_cuts, pot_high, expected):
    rules = Rules(potential_high_min=pot_high, potential_medium_min=min(pot_high, 100) - 0.5)
    cuts = {**NO_CUTS, "value_core": value_cuts, "value_important": value_cuts}
    assert one("value_potential", rules=rules, cuts=cuts)[0] == expected


@pytest.mark.parametrize(("orders", "expected"), [(6, "high"), (5, "low"), (1, "low"), (0, "zero")])
def test_frequency_boundaries(orders, expected):
    assert one("frequency", orders_window=float(orders))[0] == expected


def test_rfm_scores_and_segments():
    cuts = {**NO_CUTS, "r": [10, 20, 30, 40], "f": [1, 2, 3, 4], "m": [100, 200, 300, 400]}
    frame = metrics_frame(
        {"recency_days": 10.0, "orders_window": 5.0, "revenue_window": 500.0},  # 5,5,5
        {"recency_days": 41.0, "orders_window": 1.0, "revenue_window": 100.0},  # 1,1,1
        {"recency_days": 41.0, "orders_window": 5.0, "revenue_window": 401.0},  # 1,5,5
        {"recency_days": 11.0, "orders_window": 1.0, "revenue_window": 150.0},  # 4,1,2
        NON_BUYER,
    )
    out = classify(frame, RULES, cuts)
    assert list(out["rfm_r"]) == ["5", "1", "1", "4", "unclassified"]
    assert list(out["rfm_f"]) == ["5", "1", "5", "1", "unclassified"]
    assert list(out["rfm_m"]) == ["5", "1", "5", "2", "unclassified"]
    assert list(out["rfm_segment"]) == [
        "champions",
        "lost",
        "cant_lose",
        "promising",
        "unclassified",
    ]


@pytest.mark.parametrize(
    ("metrics", "expected", "why"),
    [
        (
            {"revenue_prev_window": 1000.0, "orders_prev_window": 5.0, "spend_trend_pct": -30.0},
            "yes",
            "spend_drop",
        ),
        (
            {"revenue_prev_window": 1000.0, "orders_prev_window": 5.0, "spend_trend_pct": -29.9},
            "no",
            "steady",
        ),
        # Already dormant: the lifecycle says so; no second warning.
        (
            {
                "revenue_prev_window": 1000.0,
                "orders_prev_window": 5.0,
                "spend_trend_pct": -100.0,
                "recency_days": 200.0,
                "interval_days": 30.0,
            },
            "no",
            "steady",
        ),
        # Two to four orders a year: one order fewer is a third less spend, not a warning.
        (
            {"revenue_prev_window": 1000.0, "orders_prev_window": 4.0, "spend_trend_pct": -75.0},
            "no",
            "steady",
        ),
        ({"recency_days": 46.0, "interval_days": 30.0}, "yes", "rhythm_overdue"),  # > 1.5 × 30
        ({"recency_days": 45.0, "interval_days": 30.0}, "no", "steady"),
        ({"recency_days": 200.0, "interval_days": 30.0}, "no", "steady"),  # already dormant
    ],
)
def test_churn_warning(metrics, expected, why):
    assert one("churn_warning", **metrics) == (expected, why)


def test_churn_warning_minimum_orders_is_a_rule_set_setting():
    drop = {"revenue_prev_window": 1000.0, "orders_prev_window": 2.0, "spend_trend_pct": -50.0}
    assert one("churn_warning", **drop) == ("no", "steady")
    loose = dataclasses.replace(RULES, churn_trend_min_orders=2)
    assert one("churn_warning", rules=loose, **drop) == ("yes", "spend_drop")


@pytest.mark.parametrize(
    ("metrics", "expected", "why"),
    [
        ({"overdue_days": 31.0, "overdue_amount": 500.0}, "yes", "overdue"),
        ({"overdue_days": 30.0, "overdue_amount": 500.0}, "no", "few_invoices"),
        ({"due_orders": 3.0, "on_time_pct": 79.9}, "yes", "late_payer"),
        ({"due_orders": 3.0, "on_time_pct": 80.0}, "no", "punctual"),
        ({"due_orders": 2.0, "on_time_pct": 0.0}, "no", "few_invoices"),
    ],
)
def test_payment_risk(metrics, expected, why):
    assert one("payment_risk", **metrics) == (expected, why)


@pytest.mark.parametrize(
    ("complaints", "returns", "repairs", "expected"),
    [(1, 1, 1, "yes"), (2, 0, 0, "no"), (0, 0, 3, "yes")],
)
def test_problem_customer(complaints, returns, repairs, expected):
    got = one(
        "problem_customer",
        complaints=float(complaints),
        returns=float(returns),
        repairs=float(repairs),
    )
    assert got == (expected, "cases")


def _prev(frame_classes, **override):
    prev = frame_classes.copy()
    for key, value in override.items():
        prev[key] = value
    prev["pending"] = None
    return prev


def test_dwell_holds_a_change_until_it_persisted():
    new = classify(metrics_frame({"recency_days": 121.0}), RULES, NO_CUTS)
    prev = _prev(new, lifecycle="repeat")
    first, pending = apply_dwell(new, prev, min_runs=2)
    assert first["lifecycle"].iat[0] == "repeat"
    assert first["lifecycle_why"].iat[0] == "held"
    assert pending.iat[0] == {"lifecycle": ["dormant", 1]}
    prev2 = _prev(first)
    prev2["pending"] = pending
    second, pending2 = apply_dwell(new, prev2, min_runs=2)
    assert second["lifecycle"].iat[0] == "dormant"
    assert pending2.iat[0] is None


def test_dwell_off_and_exempt_changes_apply_at_once():
    new = classify(metrics_frame({"recency_days": 121.0}), RULES, NO_CUTS)
    out, _pending = apply_dwell(new, _prev(new, lifecycle="repeat"), min_runs=1)
    assert out["lifecycle"].iat[0] == "dormant"
    out, _pending = apply_dwell(new, _prev(new, lifecycle="prospect"), min_runs=3)
    assert out["lifecycle"].iat[0] == "dormant"


def test_pins_replace_the_class_and_say_so():
    classes = classify(metrics_frame({}, {}), RULES, NO_CUTS)
    pins = pd.DataFrame(
        {"customer_id": [2, 99], "dimension": ["lifecycle", "lifecycle"], "code": ["loyal"] * 2}
    )
    out = apply_pins(classes, pins)
    assert list(out["lifecycle"]) == ["repeat", "loyal"]
    assert list(out["lifecycle_why"]) == ["repeat", "pinned"]
    assert len(out) == 2  # a pin of a customer outside the frame adds nobody


def test_cut_points_with_no_buyers():
    cuts = cut_points_compute(frame=metrics_frame(NON_BUYER), rules=RULES)
    assert cuts["value_core"] is None
    assert cuts["r"] == []
    out = classify(metrics_frame(NON_BUYER), RULES, cuts)
    assert np.all(out["rfm_segment"] == "unclassified")
