"""The invariants between dimensions (docs/classification.md), over generated metric frames:
a customer's classes tell one story. Each property names the #17 finding it guards."""

import math

import numpy as np
import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.classifiers import cut_points_compute
from segmentation.dimensions.compute import classify
from segmentation.models.choices import (
    CLASS_CHOICES,
    NOT_APPLICABLE,
    UNCLASSIFIED,
    Flag,
    RfmScore,
)
from segmentation.rules import Rules
from tests.segmentation.factories import metrics_frame

maybe_nan = st.one_of(st.just(math.nan), st.floats(0, 3000, allow_nan=False))


@st.composite
def customer(draw):
    orders_total = float(draw(st.integers(0, 40)))
    bought = orders_total > 0
    window = float(draw(st.integers(0, int(orders_total)))) if bought else 0.0
    revenue_window = draw(st.floats(0, 1e6, allow_nan=False)) if window else 0.0
    tenure = draw(st.floats(0, 3000, allow_nan=False)) if bought else math.nan
    recency = draw(st.floats(0, tenure, allow_nan=False)) if bought else math.nan
    return {
        "orders_total": orders_total,
        "orders_window": window,
        "revenue_total": revenue_window + (draw(st.floats(0, 1e6)) if bought else 0.0),
        "revenue_window": revenue_window,
        "recency_days": recency,
        "tenure_days": tenure,
        "interval_days": (
            (tenure - recency) / (orders_total - 1) if orders_total >= 2 else math.nan
        ),
        "interest_days": draw(maybe_nan) if not bought else math.nan,
        "active_months": float(draw(st.integers(0, 12))) if bought else 0.0,
        "satisfaction": draw(st.one_of(st.just(math.nan), st.integers(1, 5).map(float))),
        "referrals": float(draw(st.integers(0, 3))),
        "duplicate_of": draw(st.sampled_from([math.nan, math.nan, math.nan, 1.0])),
        "peak_value": (
            max(revenue_window, draw(st.floats(0, 2e6, allow_nan=False))) if bought else math.nan
        ),
        "size_score": draw(st.sampled_from([0.0, 0.2, 0.5, 1.0])),
        "annual_budget": draw(st.one_of(st.just(math.nan), st.floats(0, 2e6))),
    }


frames = st.lists(customer(), min_size=1, max_size=40)
rules_st = st.builds(
    Rules,
    value_method=st.sampled_from(["pareto", "percentile", "absolute"]),
    loyal_min_orders=st.integers(2, 8),
    loyalty_min_active_months=st.integers(1, 12),
    loyalty_min_tenure_days=st.integers(1, 730),
    loyal_min_tenure_days=st.integers(1, 730),
    potential_high_min=st.sampled_from([0.0, 30.0, 60.0, 101.0]),
)


def _classified(rows, rules):
    frame = metrics_frame(*rows)
    return frame, classify(frame, rules, cut_points_compute(frame=frame, rules=rules))


@settings(max_examples=80, deadline=None)
@given(rows=frames, rules=rules_st)
def test_no_loyal_lifecycle_with_swing_loyalty(rows, rules):
    # Finding 2: 忠诚客户 next to 摇摆 is a contradiction; loyalty wins (repeat_swing).
    _frame, out = _classified(rows, rules)
    both = (out["lifecycle"] == "loyal") & (out["loyalty"] == "swing")
    assert not both.any()


@settings(max_examples=80, deadline=None)
@given(rows=frames, rules=rules_st)
def test_churned_and_never_bought_are_not_applicable_on_loyalty(rows, rules):
    # Finding 2: 摇摆 means weighing suppliers; a churned or never-bought customer is neither.
    frame, out = _classified(rows, rules)
    counted = frame["duplicate_of"].isna()
    never = counted & (frame["orders_total"] == 0)
    churned = counted & (out["lifecycle"] == "churned")
    assert (out.loc[never | churned, "loyalty"] == NOT_APPLICABLE).all()
    # …and only they are: a buying, not churned customer is judged.
    judged = counted & ~never & ~churned
    assert (out.loc[judged, "loyalty"] != NOT_APPLICABLE).all()


@settings(max_examples=80, deadline=None)
@given(rows=frames, rules=rules_st)
def test_never_bought_customers_are_never_in_the_long_tail(rows, rules):
    # Finding 4: prospects sit in the prospect cell by potential alone.
    frame, out = _classified(rows, rules)
    never = frame["duplicate_of"].isna() & (frame["orders_total"] == 0)
    assert (out.loc[never, "value_potential"] == "prospect").all()
    assert (out.loc[~never, "value_potential"] != "prospect").all()


@settings(max_examples=80, deadline=None)
@given(rows=frames, rules=rules_st)
def test_a_recent_buyer_is_never_in_a_keep_or_win_back_rfm_class(rows, rules):
    # Finding 2: a repeat buyer who is recent is never 已流失-like.
    _frame, out = _classified(rows, rules)
    active = out["lifecycle"].isin(["new", "repeat", "loyal"])
    slipping = out["rfm_segment"].str.endswith(("_keep", "_retain"))
    assert not (active & slipping).any()


_TIER_RANK = {"ordinary": 0, "important": 1, "core": 2}


@settings(max_examples=80, deadline=None)
@given(rows=frames, rules=rules_st)
def test_value_at_its_best_is_never_below_value_now(rows, rules):
    # Finding 8: the peak is the best 365 days, so it includes the current ones.
    _frame, out = _classified(rows, rules)
    now = out["value_tier"].map(_TIER_RANK)
    peak = out["value_tier_peak"].map(_TIER_RANK)
    both = now.notna() & peak.notna()
    assert (peak[both] >= now[both]).all()


# Labels shared on purpose: unclassified and not applicable mean the same in every
# dimension; the three flags read 是/否; the three RFM scores are 1–5.
_SHARED = {UNCLASSIFIED, NOT_APPLICABLE}
_SHARED_SETS = ({"churn_warning", "payment_risk", "problem_customer"}, {"rfm_r", "rfm_f", "rfm_m"})


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_class_label_of_one_dimension_is_another_dimensions_label(language):
    # Finding 11: e.g. "Loyal" / 忠诚 was a lifecycle, a loyalty and an RFM class.
    seen: dict[str, str] = {}
    with translation.override(language):
        for dimension, choices in CLASS_CHOICES.items():
            if choices in (Flag, RfmScore):
                continue  # shared by design (_SHARED_SETS), checked below
            for code, label in choices.choices:
                if code in _SHARED:
                    continue
                text = str(label)
                assert seen.setdefault(text, dimension) == dimension, (text, dimension)
        flags = {str(label) for _c, label in Flag.choices}
        assert not flags & set(seen)
    assert all(CLASS_CHOICES[d] is Flag for d in _SHARED_SETS[0])
    assert all(CLASS_CHOICES[d] is RfmScore for d in _SHARED_SETS[1])


def test_lifecycle_uses_the_sources_words_and_flags_read_yes_no():
    with translation.override("zh-hans"):
        labels = [str(label) for code, label in CLASS_CHOICES["lifecycle"].choices]
        assert labels[:7] == [
            "潜在客户",
            "意向客户",
            "新客户",
            "重复购买客户",
            "忠诚客户",
            "休眠客户",
            "流失客户",
        ]
        assert [str(label) for _c, label in Flag.choices][:2] == ["是", "否"]
        rfm = [str(label) for _c, label in CLASS_CHOICES["rfm_segment"].choices][:8]
        assert rfm == [
            "重要价值客户",
            "重要发展客户",
            "重要保持客户",
            "重要挽留客户",
            "一般价值客户",
            "一般发展客户",
            "一般保持客户",
            "一般挽留客户",
        ]
        lifecycle_words = set(labels[:7]) | {"忠诚", "流失", "休眠", "潜在"}
        assert not any(word in name for name in rfm for word in lifecycle_words)
    np.testing.assert_equal(len(set(labels)), len(labels))
