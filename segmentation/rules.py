"""The rule set as the classifier reads it: a frozen dataclass of plain numbers, built from a
RuleSet row, plus the cross-field validation the admin shows as clear messages."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .models import RuleSet

WEIGHT_FIELDS = (
    "weight_size",
    "weight_budget",
    "weight_outlook",
    "weight_growth",
    "weight_trend",
    "weight_breadth",
    "weight_expected_revenue",
)
# Weights are floats typed by people: 0.333 + 0.333 + 0.334 must count as 1.
WEIGHT_TOLERANCE = 0.001


@dataclass(frozen=True)
class Rules:
    version: int = 0
    window_days: int = 365
    contact_window_days: int = 90
    intent_window_days: int = 180
    dormant_days: int = 120
    churned_days: int = 365
    rhythm_min_orders: int = 3
    dormant_rhythm_factor: float = 2.0
    churned_rhythm_factor: float = 4.0
    loyal_min_orders: int = 6
    loyal_min_tenure_days: int = 365
    value_basis: str = "revenue"
    value_method: str = "pareto"
    core_share_pct: float = 80.0
    important_share_pct: float = 95.0
    core_top_pct: float = 20.0
    important_top_pct: float = 50.0
    core_min_amount: float = 500000.0
    important_min_amount: float = 100000.0
    value_min_tenure_days: int = 0
    loyalty_min_tenure_days: int = 365
    loyalty_min_active_months: int = 6
    loyalty_min_referrals: int = 2
    loyalty_min_satisfaction: int = 4
    weight_size: float = 0.20
    weight_budget: float = 0.25
    weight_outlook: float = 0.15
    weight_growth: float = 0.15
    weight_trend: float = 0.15
    weight_breadth: float = 0.10
    weight_expected_revenue: float = 0.0
    expected_revenue_full_amount: float = 100000.0
    budget_full_amount: float = 1000000.0
    growth_full_pct: float = 20.0
    breadth_full_categories: int = 5
    potential_high_min: float = 60.0
    potential_medium_min: float = 35.0
    frequency_high_min_orders: int = 6
    churn_trend_drop_pct: float = 30.0
    churn_trend_min_orders: int = 5
    churn_rhythm_overdue_factor: float = 1.5
    churn_p_alive_below_pct: float | None = None  # None = off
    payment_min_on_time_pct: float = 80.0
    payment_min_due_orders: int = 3
    payment_grace_days: int = 30
    problem_min_cases: int = 3
    min_dwell_runs: int = 1


RULE_FIELDS = tuple(f.name for f in dataclasses.fields(Rules) if f.name != "version")


def rules_from_ruleset(rule_set: RuleSet) -> Rules:
    """The frozen rules of one stored version (Decimals become floats for numpy)."""
    values: dict[str, Any] = {}
    for name in RULE_FIELDS:
        value = getattr(rule_set, name)
        default = getattr(Rules, name)
        if default is None:  # optional threshold: None means off
            values[name] = None if value is None else float(value)
        else:
            values[name] = type(default)(value)
    return Rules(version=rule_set.version, **values)


def ruleset_errors(obj: Any) -> dict[str, list[str]]:
    """Cross-field checks, as {field: [message]}: each message names the values involved.

    `obj` is a RuleSet (or anything with the same attributes); single-field ranges are the
    fields' own validators."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    def get(name: str) -> float | None:
        value = getattr(obj, name, None)
        return None if value is None else float(value)

    pairs = [
        (
            "dormant_days",
            "churned_days",
            _("Dormant after ({a} days) must be shorter than churned after ({b} days)."),
        ),
        (
            "dormant_rhythm_factor",
            "churned_rhythm_factor",
            _("The dormant rhythm factor ({a}) must be smaller than the churned one ({b})."),
        ),
        (
            "core_share_pct",
            "important_share_pct",
            _("Pareto: the core share ({a}%) must be smaller than core + important ({b}%)."),
        ),
        (
            "core_top_pct",
            "important_top_pct",
            _("Percentile: the core top ({a}%) must be smaller than core + important ({b}%)."),
        ),
        (
            "important_min_amount",
            "core_min_amount",
            _("Absolute: the important amount ({a}) must be below the core amount ({b})."),
        ),
        (
            "potential_medium_min",
            "potential_high_min",
            _("The medium potential score ({a}) must be below the high one ({b})."),
        ),
    ]
    for low, high, message in pairs:
        a, b = get(low), get(high)
        if a is not None and b is not None and a >= b:
            add(high, message.format(a=_fmt(a), b=_fmt(b)))
    for name in ("core_share_pct", "important_share_pct", "core_top_pct", "important_top_pct"):
        value = get(name)
        if value is not None and not 0 < value < 100:
            add(
                name,
                _("A percentage here must be above 0 and below 100 (got {v}).").format(
                    v=_fmt(value)
                ),
            )
    weights = [get(name) for name in WEIGHT_FIELDS]
    if all(w is not None for w in weights):
        total = sum(w for w in weights if w is not None)
        if abs(total - 1) > WEIGHT_TOLERANCE:
            add(
                "weight_size",
                _("The potential weights must add up to 1; they add up to {t}.").format(
                    t=_fmt(total)
                ),
            )
    window, loyal = get("window_days"), get("loyal_min_orders")
    if window is not None and loyal is not None and loyal > window:
        add(
            "loyal_min_orders",
            _("Loyal needs {a} orders in a window of only {b} days.").format(
                a=_fmt(loyal), b=_fmt(window)
            ),
        )
    return errors


def _fmt(value: float) -> str:
    return f"{value:g}"
