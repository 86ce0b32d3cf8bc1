"""The rule set as the classifier reads it: the frozen `Rules` (declared, with every threshold, in
segmentation.thresholds), built from a RuleSet row, plus the cross-field validation the admin
shows as clear messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from .thresholds import THRESHOLDS, WEIGHT, Rules

if TYPE_CHECKING:
    from .models import RuleSet

# The potential weights, which must add up to 1.
WEIGHT_FIELDS = tuple(t.name for t in THRESHOLDS if t.kind is WEIGHT)
# Weights are floats typed by people: 0.333 + 0.333 + 0.334 must count as 1.
WEIGHT_TOLERANCE = 0.001
RULE_FIELDS = tuple(t.name for t in THRESHOLDS)


def rules_from_ruleset(rule_set: RuleSet) -> Rules:
    """The frozen rules of one stored version (Decimals become floats for numpy; an optional
    threshold left empty stays None, meaning off)."""
    values: dict[str, Any] = {t.name: t.to_rules(getattr(rule_set, t.name)) for t in THRESHOLDS}
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
                WEIGHT_FIELDS[0],
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
