"""The one ordering of classes per dimension ("is this a better class?")."""

import pytest

from segmentation.models import (
    CLASS_CHOICES,
    CLASS_ORDER,
    DIMENSIONS,
    UNCLASSIFIED,
    better_classes,
    class_move,
    class_rank,
    worse_classes,
)


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_every_class_but_unclassified_is_ranked_exactly_once(dimension):
    ranked = [code for tier in CLASS_ORDER[dimension] for code in tier]
    assert len(ranked) == len(set(ranked))
    assert set(ranked) == set(CLASS_CHOICES[dimension].values) - {UNCLASSIFIED}


@pytest.mark.parametrize(
    ("dimension", "from_code", "to_code", "move"),
    [
        ("lifecycle", "dormant", "repeat", 1),
        ("lifecycle", "dormant", "churned", -1),
        ("lifecycle", "loyal", "dormant", -1),
        ("lifecycle", "new", "repeat", 1),
        ("lifecycle", "dormant", "unclassified", 0),
        ("lifecycle", "unclassified", "loyal", 0),
        ("loyalty", "new", "swing", 0),  # same tier
        ("loyalty", "swing", "loyal", 1),
        ("value_potential", "potential", "cash_cow", 0),
        ("value_potential", "long_tail", "potential", 1),
        ("churn_warning", "yes", "no", 1),
        ("payment_risk", "no", "yes", -1),
        ("rfm_r", "2", "5", 1),
        ("rfm_segment", "important_value", "important_keep", -1),
        ("nonsense", "a", "b", 0),
    ],
)
def test_class_move(dimension, from_code, to_code, move):
    assert class_move(dimension, from_code, to_code) == move


def test_better_and_worse_classes():
    assert set(better_classes("lifecycle", "dormant")) == {
        "prospect", "intent", "new", "repeat", "loyal",
    }  # fmt: skip
    assert worse_classes("lifecycle", "dormant") == ("churned",)
    assert better_classes("lifecycle", "loyal") == ()
    assert better_classes("churn_warning", "yes") == ("no",)
    assert class_rank("value_tier", "core") == 3
    assert class_rank("value_tier", UNCLASSIFIED) is None
