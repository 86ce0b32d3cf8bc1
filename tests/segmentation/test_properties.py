"""Property tests: whatever the metrics, every customer gets exactly one known class per
dimension, and value tiers partition the revenue as the rule set says."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.classifiers import cut_points_compute
from segmentation.dimensions.compute import classify
from segmentation.models.choices import CLASS_CHOICES, DIMENSIONS
from segmentation.rules import Rules
from tests.segmentation.factories import metrics_frame

maybe_nan = st.one_of(st.just(math.nan), st.floats(0, 5000, allow_nan=False))

customer = st.fixed_dictionaries(
    {
        "orders_total": st.integers(0, 50).map(float),
        "orders_window": st.integers(0, 20).map(float),
        "revenue_window": st.floats(0, 1e6, allow_nan=False),
        "revenue_prev_window": st.floats(0, 1e6, allow_nan=False),
        "recency_days": maybe_nan,
        "tenure_days": maybe_nan,
        "interval_days": maybe_nan,
        "interest_days": maybe_nan,
        "spend_trend_pct": st.one_of(st.just(math.nan), st.floats(-100, 500)),
        "satisfaction": st.one_of(st.just(math.nan), st.integers(1, 5).map(float)),
        "duplicate_of": st.one_of(st.just(math.nan), st.just(1.0)),
        "overdue_days": maybe_nan,
        "due_orders": st.integers(0, 10).map(float),
        "on_time_pct": st.floats(0, 100),
        "complaints": st.integers(0, 4).map(float),
    }
)
methods = st.sampled_from(["pareto", "percentile", "absolute"])


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(customer, min_size=1, max_size=40), method=methods)
def test_exactly_one_valid_class_per_dimension(rows, method):
    rules = Rules(value_method=method)
    frame = metrics_frame(*rows)
    out = classify(frame, rules, cut_points_compute(frame=frame, rules=rules))
    assert len(out) == len(rows)
    for dim in DIMENSIONS:
        valid = set(CLASS_CHOICES[dim].values)
        assert out[dim].isin(valid).all(), (dim, set(out[dim]) - valid)
        assert (out[f"{dim}_why"] != "").all()


@settings(max_examples=60, deadline=None)
@given(
    revenues=st.lists(st.floats(1, 1e6, allow_nan=False), min_size=1, max_size=60),
    core=st.floats(5, 90),
    extra=st.floats(1, 9),
)
def test_pareto_tiers_add_up_and_reach_their_share(revenues, core, extra):
    rules = Rules(core_share_pct=core, important_share_pct=core + extra)
    frame = metrics_frame(*({"revenue_window": r} for r in revenues))
    out = classify(frame, rules, cut_points_compute(frame=frame, rules=rules))
    revenue = frame["revenue_window"].to_numpy()
    total = revenue.sum()
    share = {
        t: revenue[(out["value_tier"] == t).to_numpy()].sum()
        for t in ("core", "important", "ordinary")
    }
    assert math.isclose(sum(share.values()), total, rel_tol=1e-9)
    # Core customers together reach the core share; core + important the important share.
    assert share["core"] >= total * core / 100 * (1 - 1e-9)
    assert share["core"] + share["important"] >= total * (core + extra) / 100 * (1 - 1e-9)
    # …and are the biggest customers: nobody outside core outspends someone inside.
    core_mask = (out["value_tier"] == "core").to_numpy()
    if core_mask.any() and (~core_mask).any():
        assert revenue[~core_mask].max() <= revenue[core_mask].min()
    assert np.isin(out["value_tier"], ["core", "important", "ordinary"]).all()
