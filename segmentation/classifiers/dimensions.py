"""One pure, vectorised function per dimension: (metrics, rules[, cuts]) → (class, why).

No ORM, no settings, no clock. Conditions are evaluated with numpy.select in priority order,
so every customer gets exactly one class per dimension."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.models.choices import UNCLASSIFIED
from segmentation.rules import Rules

from .cuts import value_basis_column

Result = tuple[np.ndarray, np.ndarray]  # (class codes, why codes), object arrays


def _select(df: pd.DataFrame, rows: list[tuple[object, str, str]], default: tuple[str, str]):
    conds = [np.asarray(c, dtype=bool) for c, _, _ in rows]
    classes = np.select(conds, [cls for _, cls, _ in rows], default=default[0]).astype(object)
    whys = np.select(conds, [why for _, _, why in rows], default=default[1]).astype(object)
    return classes, whys


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name].astype("float64")


def _optional_col(df: pd.DataFrame, name: str) -> pd.Series:
    """A column that only exists when the run computed it (the prediction): NaN otherwise."""
    if name not in df:
        return pd.Series(np.nan, index=df.index, dtype="float64")
    return _col(df, name)


def rhythm_thresholds(df: pd.DataFrame, rules: Rules) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Dormant and churned thresholds in days, stretched to the customer's own rhythm when it
    is known: a customer who buys twice a year is not dormant after 120 days."""
    interval = _col(df, "interval_days")
    known = (_col(df, "orders_total") >= rules.rhythm_min_orders) & interval.notna()
    dormant = np.where(
        known,
        np.maximum(rules.dormant_days, rules.dormant_rhythm_factor * interval),
        rules.dormant_days,
    )
    churned = np.where(
        known,
        np.maximum(rules.churned_days, rules.churned_rhythm_factor * interval),
        rules.churned_days,
    )
    return pd.Series(dormant, index=df.index), pd.Series(churned, index=df.index), known


def lifecycle(df: pd.DataFrame, rules: Rules) -> Result:
    orders = _col(df, "orders_total")
    recency = _col(df, "recency_days")
    interest = _col(df, "interest_days")
    buyer = orders > 0
    dormant_t, churned_t, known = rhythm_thresholds(df, rules)
    rhythm_churn = known & (
        rules.churned_rhythm_factor * _col(df, "interval_days") > rules.churned_days
    )
    rhythm_dormant = known & (
        rules.dormant_rhythm_factor * _col(df, "interval_days") > rules.dormant_days
    )
    loyal_orders = _col(df, "orders_window") >= rules.loyal_min_orders
    loyal_tenure = _col(df, "tenure_days") >= rules.loyal_min_tenure_days
    return _select(
        df,
        [
            (df["duplicate_of"].notna(), UNCLASSIFIED, "duplicate"),
            (
                ~buyer & interest.notna() & (interest <= rules.intent_window_days),
                "intent",
                "intent",
            ),
            (~buyer & interest.notna(), "prospect", "prospect_stale"),
            (~buyer, "prospect", "prospect"),
            ((recency > churned_t) & rhythm_churn, "churned", "churned_rhythm"),
            (recency > churned_t, "churned", "churned"),
            ((recency > dormant_t) & rhythm_dormant, "dormant", "dormant_rhythm"),
            (recency > dormant_t, "dormant", "dormant"),
            (loyal_orders & loyal_tenure, "loyal", "loyal"),
            ((orders >= 2) & loyal_orders, "repeat", "repeat_tenure"),
            (orders >= 2, "repeat", "repeat"),
        ],
        ("new", "new"),
    )


def value_tier(df: pd.DataFrame, rules: Rules, cuts: dict) -> Result:
    basis = _col(df, value_basis_column(rules))
    orders = _col(df, "orders_total")
    core = cuts.get("value_core")
    important = cuts.get("value_important")
    core_v = np.inf if core is None else core
    important_v = np.inf if important is None else important
    method = rules.value_method
    short = (
        (_col(df, "tenure_days") < rules.value_min_tenure_days)
        if rules.value_min_tenure_days
        else pd.Series(False, index=df.index)
    )
    return _select(
        df,
        [
            (df["duplicate_of"].notna(), UNCLASSIFIED, "duplicate"),
            (orders == 0, "potential", "no_purchases"),
            (_col(df, "revenue_total") <= 0, UNCLASSIFIED, "no_amounts"),
            (short, UNCLASSIFIED, "short_history"),
            ((basis > 0) & (basis >= core_v), "core", method),
            ((basis > 0) & (basis >= important_v), "important", method),
        ],
        ("ordinary", method),
    )


def loyalty(df: pd.DataFrame, rules: Rules) -> Result:
    sat = _col(df, "satisfaction")
    return _select(
        df,
        [
            (df["duplicate_of"].notna(), UNCLASSIFIED, "duplicate"),
            (_col(df, "orders_total") == 0, UNCLASSIFIED, "no_purchases"),
            (_col(df, "tenure_days") < rules.loyalty_min_tenure_days, "new", "short_tenure"),
            (sat.notna() & (sat < rules.loyalty_min_satisfaction), "swing", "low_satisfaction"),
            (_col(df, "active_months") >= rules.loyalty_min_active_months, "loyal", "regular"),
            (_col(df, "referrals") >= rules.loyalty_min_referrals, "loyal", "referrals"),
        ],
        ("swing", "irregular"),
    )


def potential_score(df: pd.DataFrame, rules: Rules) -> pd.Series:
    """0–100: a weighted sum of component scores in 0–1. Unknown budget or growth scores 0;
    no spend in the previous window makes the trend neutral (0.5)."""
    budget = (_col(df, "annual_budget") / rules.budget_full_amount).clip(0, 1).fillna(0)
    growth = (_col(df, "growth_rate") / rules.growth_full_pct).clip(0, 1).fillna(0)
    trend = (0.5 + _col(df, "spend_trend_pct") / 200).clip(0, 1).fillna(0.5)
    breadth = (_col(df, "categories") / rules.breadth_full_categories).clip(0, 1).fillna(0)
    expected = (
        (_optional_col(df, "expected_revenue_365d") / rules.expected_revenue_full_amount)
        .clip(0, 1)
        .fillna(0)
    )
    score = (
        rules.weight_size * _col(df, "size_score")
        + rules.weight_budget * budget
        + rules.weight_outlook * _col(df, "outlook_score")
        + rules.weight_growth * growth
        + rules.weight_trend * trend
        + rules.weight_breadth * breadth
        + rules.weight_expected_revenue * expected
    )
    return (score * 100).round(1)


def potential(df: pd.DataFrame, rules: Rules) -> Result:
    score = _col(df, "potential_score")
    return _select(
        df,
        [
            (df["duplicate_of"].notna(), UNCLASSIFIED, "duplicate"),
            (score >= rules.potential_high_min, "high", "score"),
            (score >= rules.potential_medium_min, "medium", "score"),
        ],
        ("low", "score"),
    )


def value_potential(value: np.ndarray, pot: np.ndarray) -> Result:
    value = np.asarray(value, dtype=object)
    pot = np.asarray(pot, dtype=object)
    high_value = np.isin(value, ["core", "important"])
    high_pot = pot == "high"
    unknown = (value == UNCLASSIFIED) | (pot == UNCLASSIFIED)
    conds = [unknown, high_value & high_pot, high_value, high_pot]
    classes = np.select(conds, [UNCLASSIFIED, "star", "cash_cow", "potential"], "long_tail")
    whys = np.where(unknown, "inputs", "matrix")
    return classes.astype(object), whys.astype(object)


def frequency(df: pd.DataFrame, rules: Rules) -> Result:
    orders = _col(df, "orders_window")
    return _select(
        df,
        [
            (df["duplicate_of"].notna(), UNCLASSIFIED, "duplicate"),
            (orders >= rules.frequency_high_min_orders, "high", "orders"),
            (orders >= 1, "low", "orders"),
        ],
        ("zero", "orders"),
    )


def _score(values: pd.Series, cuts: list[float], *, lower_is_better: bool) -> np.ndarray:
    if not cuts:
        return np.full(len(values), 3)
    below = np.searchsorted(np.asarray(cuts), values.to_numpy(dtype="float64"), side="left")
    return (5 - below) if lower_is_better else (1 + below)


# RFM segments on the usual recency × frequency grid (rows R 1–5, columns F 1–5).
_GRID = [
    # F=1             F=2              F=3               F=4           F=5
    ["lost", "hibernating", "at_risk", "at_risk", "cant_lose"],  # R=1
    ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],  # R=2
    ["about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"],  # R=3
    ["promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"],  # R=4
    ["new", "potential_loyalist", "potential_loyalist", "champions", "champions"],  # R=5
]
_GRID_ARRAY = np.array(_GRID, dtype=object)


def rfm(df: pd.DataFrame, cuts: dict) -> dict[str, Result]:
    buyer = (_col(df, "orders_total") > 0) & df["duplicate_of"].isna()
    none_why = np.where(df["duplicate_of"].notna(), "duplicate", "no_purchases").astype(object)
    r = _score(_col(df, "recency_days").fillna(1e9), cuts.get("r", []), lower_is_better=True)
    f = _score(_col(df, "orders_window"), cuts.get("f", []), lower_is_better=False)
    m = _score(_col(df, "revenue_window"), cuts.get("m", []), lower_is_better=False)
    segment = _GRID_ARRAY[r - 1, f - 1]
    out: dict[str, Result] = {}
    for name, values in (("rfm_r", r), ("rfm_f", f), ("rfm_m", m)):
        out[name] = (
            np.where(buyer, values.astype(str), UNCLASSIFIED).astype(object),
            np.where(buyer, "quintile", none_why).astype(object),
        )
    out["rfm_segment"] = (
        np.where(buyer, segment, UNCLASSIFIED).astype(object),
        np.where(buyer, "grid", none_why).astype(object),
    )
    return out


def churn_warning(df: pd.DataFrame, rules: Rules, life: np.ndarray) -> Result:
    interval = _col(df, "interval_days")
    known = (_col(df, "orders_total") >= rules.rhythm_min_orders) & interval.notna()
    active = ~np.isin(life, ["dormant", "churned"])
    overdue = (
        known & active & (_col(df, "recency_days") > rules.churn_rhythm_overdue_factor * interval)
    )
    threshold = rules.churn_p_alive_below_pct
    alive = _optional_col(df, "p_alive")
    unlikely_active = (
        active & alive.notna() & (alive * 100 < threshold)
        if threshold is not None
        else pd.Series(False, index=df.index)
    )
    drop = (
        active
        & (_col(df, "revenue_prev_window") > 0)
        & (_col(df, "orders_prev_window") >= rules.churn_trend_min_orders)
        & (_col(df, "spend_trend_pct") <= -rules.churn_trend_drop_pct)
    )
    return _select(
        df,
        [
            (df["duplicate_of"].notna(), UNCLASSIFIED, "duplicate"),
            (_col(df, "orders_total") == 0, "no", "no_purchases"),
            (drop, "yes", "spend_drop"),
            (overdue, "yes", "rhythm_overdue"),
            (unlikely_active, "yes", "p_alive_low"),
        ],
        ("no", "steady"),
    )


def payment_risk(df: pd.DataFrame, rules: Rules) -> Result:
    due = _col(df, "due_orders")
    return _select(
        df,
        [
            (df["duplicate_of"].notna(), UNCLASSIFIED, "duplicate"),
            (_col(df, "overdue_days") > rules.payment_grace_days, "yes", "overdue"),
            (
                (due >= rules.payment_min_due_orders)
                & (_col(df, "on_time_pct") < rules.payment_min_on_time_pct),
                "yes",
                "late_payer",
            ),
            (due < rules.payment_min_due_orders, "no", "few_invoices"),
        ],
        ("no", "punctual"),
    )


def problem_customer(df: pd.DataFrame, rules: Rules) -> Result:
    cases = _col(df, "complaints") + _col(df, "returns") + _col(df, "repairs")
    return _select(
        df,
        [
            (df["duplicate_of"].notna(), UNCLASSIFIED, "duplicate"),
            (cases >= rules.problem_min_cases, "yes", "cases"),
        ],
        ("no", "cases"),
    )
