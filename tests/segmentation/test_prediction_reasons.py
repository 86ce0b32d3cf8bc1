"""The plain-language reason: numbers first, then a sentence in the reader's language."""

import json
import math

import pandas as pd
import pytest
from django.utils import translation

from segmentation.prediction import reason_build, reason_render, reasons_build


def test_reason_carries_the_numbers_of_the_issue_example():
    # 7 purchases = 6 repeats over 240 days → every ~40 days; last one 150 days ago.
    reason = reason_build(
        frequency=6, recency=240, tenure=390, p_alive=0.2312, expected_orders=0.8765
    )
    assert (reason.orders, reason.every_days, reason.last_days_ago) == (7, 40, 150)
    assert reason.p_alive_pct == 23
    assert reason.expected_orders == pytest.approx(0.88)
    assert json.loads(json.dumps(reason.as_dict()))["p_alive_pct"] == 23


def test_reason_renders_in_english():
    reason = reason_build(frequency=6, recency=240, tenure=390, p_alive=0.23, expected_orders=1)
    with translation.override("en"):
        text = reason_render(reason)
    assert text == "bought 7 times, every ~40 days; last 150 days ago → 23% likely still active"


def test_reason_renders_in_chinese():
    reason = reason_build(frequency=6, recency=240, tenure=390, p_alive=0.23, expected_orders=1)
    with translation.override("zh-hans"):
        text = reason_render(reason)
    assert text == "购买 7 次，约每 40 天一次；最近一次在 150 天前 → 仍活跃的可能性 23%"


def test_single_purchase_and_unknown_p_alive():
    reason = reason_build(frequency=0, recency=0, tenure=1, p_alive=math.nan, expected_orders=0.4)
    assert reason.every_days is None
    assert reason.p_alive_pct is None
    with translation.override("en"):
        text = reason_render(reason)
    assert text == "bought once, 1 day ago → 0.4 orders expected in the next 365 days"


def test_reasons_build_aligns_with_the_customers():
    summary = pd.DataFrame(
        {"frequency": [0, 3], "recency": [0, 90], "T": [10, 100], "monetary_value": [0, 5]},
        index=pd.Index([41, 42], name="customer_id"),
    )
    scores = pd.DataFrame(
        {"p_alive": [0.9, 0.5], "expected_orders_365d": [0.3, 2.0]}, index=summary.index
    )
    reasons = reasons_build(summary=summary, scores=scores)
    assert list(reasons.index) == [41, 42]
    assert reasons[42].every_days == 30
    assert reasons[42].last_days_ago == 10
    assert reasons[41].p_alive_pct == 90
