"""Rule sets: default version, validation messages, new version per edit, activation."""

import pytest
from django.core.exceptions import ValidationError

from segmentation.models import RuleSet
from segmentation.rules import Rules, rules_from_ruleset, ruleset_errors
from segmentation.services import ruleset_activate, ruleset_save_version

pytestmark = pytest.mark.django_db


def test_migration_creates_one_active_default_version():
    active = RuleSet.objects.get(is_active=True)
    assert active.version == 1
    assert rules_from_ruleset(active) == Rules(version=1)
    assert ruleset_errors(active) == {}


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"dormant_days": 400}, "churned_days", "400"),
        ({"dormant_days": 365}, "churned_days", "365"),
        ({"dormant_rhythm_factor": 5.0}, "churned_rhythm_factor", "5"),
        ({"core_share_pct": 96}, "important_share_pct", "96"),
        ({"core_top_pct": 60}, "important_top_pct", "60"),
        ({"important_min_amount": 600000}, "core_min_amount", "600000"),
        ({"potential_medium_min": 70}, "potential_high_min", "70"),
        ({"weight_size": 0.5}, "weight_size", "1.3"),
        ({"loyal_min_orders": 40, "window_days": 30}, "loyal_min_orders", "40"),
    ],
)
def test_inconsistent_rules_are_refused_with_the_values_named(changes, field, fragment):
    data = {**{f: getattr(RuleSet.objects.get(is_active=True), f) for f in changes}, **changes}
    with pytest.raises(ValidationError) as info:
        ruleset_save_version(data=data)
    messages = info.value.message_dict[field]
    assert any(fragment in m for m in messages), messages
    assert RuleSet.objects.count() == 1  # nothing stored


def test_percent_out_of_range_is_refused_by_the_field():
    with pytest.raises(ValidationError) as info:
        ruleset_save_version(data={"core_share_pct": 120, "important_share_pct": 130})
    assert "core_share_pct" in info.value.message_dict
    assert "important_share_pct" in info.value.message_dict


def test_churn_trend_minimum_orders_below_one_is_refused_by_the_field():
    with pytest.raises(ValidationError) as info:
        ruleset_save_version(data={"churn_trend_min_orders": 0})
    assert list(info.value.message_dict) == ["churn_trend_min_orders"]
    assert RuleSet.objects.count() == 1
    assert ruleset_save_version(data={"churn_trend_min_orders": 8}).churn_trend_min_orders == 8


def test_weights_adding_up_within_tolerance_are_accepted():
    data = {
        "weight_size": 0.3333,
        "weight_budget": 0.3333,
        "weight_outlook": 0.3334,
        "weight_growth": 0,
        "weight_trend": 0,
        "weight_breadth": 0,
    }
    assert ruleset_save_version(data=data).version == 2


def test_each_save_is_a_new_inactive_version_and_activation_switches(admin_ada):
    v1 = RuleSet.objects.get(is_active=True)
    v2 = ruleset_save_version(
        data={"dormant_days": 90, "note": "tighter"}, actor=admin_ada, based_on=v1
    )
    assert (v2.version, v2.is_active, v2.based_on, v2.created_by) == (2, False, v1, admin_ada)
    v1.refresh_from_db()
    assert v1.dormant_days == 120  # the old version is untouched
    ruleset_activate(rule_set=v2)
    assert list(RuleSet.objects.filter(is_active=True)) == [v2]
