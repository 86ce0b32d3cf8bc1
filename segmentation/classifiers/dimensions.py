"""One pure, vectorised function per dimension: (metrics, rules[, cuts]) → (class, why).

No ORM, no settings, no clock. Conditions are evaluated with numpy.select in priority order,
so every customer gets exactly one class per dimension."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.models.choices import NOT_APPLICABLE, UNCLASSIFIED
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


# Where a prospect's interest came from (metrics: interest_source), as the intent's why code.
INTENT_WHY = {
    "interested": "intent_interested",
    "follow_up": "intent_follow_up",
    "inbound": "intent_inbound",
}


def _intent_why(df: pd.DataFrame) -> np.ndarray:
    if "interest_source" not in df:
        return np.full(len(df), "intent", dtype=object)
    return df["interest_source"].map(INTENT_WHY).fillna("intent").to_numpy(dtype=object)


def lifecycle(df: pd.DataFrame, rules: Rules) -> Result:
    """Behaviour, with one refinement from attitude (docs/classification.md): a customer who
    buys often enough for loyal but whose loyalty is swing is a repeat buyer, not loyal
    (the sources' 忠诚客户 recognises the brand; 摇摆 weighs suppliers)."""
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
    swing = loyalty_attitude(df, rules)[0] == "swing"
    fresh_interest = ~buyer & interest.notna() & (interest <= rules.intent_window_days)
    classes, whys = _select(
        df,
        [
            (df["duplicate_of"].notna(), UNCLASSIFIED, "duplicate"),
            (fresh_interest, "intent", "intent"),
            (~buyer & interest.notna(), "prospect", "prospect_stale"),
            (~buyer, "prospect", "prospect"),
            ((recency > churned_t) & rhythm_churn, "churned", "churned_rhythm"),
            (recency > churned_t, "churned", "churned"),
            ((recency > dormant_t) & rhythm_dormant, "dormant", "dormant_rhythm"),
            (recency > dormant_t, "dormant", "dormant"),
            (loyal_orders & loyal_tenure & swing, "repeat", "repeat_swing"),
            (loyal_orders & loyal_tenure, "loyal", "loyal"),
            ((orders >= 2) & loyal_orders, "repeat", "repeat_tenure"),
            (orders >= 2, "repeat", "repeat"),
        ],
        ("new", "new"),
    )
    whys = np.where(whys == "intent", _intent_why(df), whys).astype(object)
    return classes, whys


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


def loyalty_attitude(df: pd.DataFrame, rules: Rules) -> Result:
    """Loyalty from the metrics alone (the lifecycle reads it to keep swing buyers out of
    loyal); `loyalty` adds the lifecycle's churned customers as not applicable."""
    sat = _col(df, "satisfaction")
    return _select(
        df,
        [
            (df["duplicate_of"].notna(), UNCLASSIFIED, "duplicate"),
            (_col(df, "orders_total") == 0, NOT_APPLICABLE, "no_purchases"),
            (_col(df, "tenure_days") < rules.loyalty_min_tenure_days, "new", "short_tenure"),
            (sat.notna() & (sat < rules.loyalty_min_satisfaction), "swing", "low_satisfaction"),
            (_col(df, "active_months") >= rules.loyalty_min_active_months, "loyal", "regular"),
            (_col(df, "referrals") >= rules.loyalty_min_referrals, "loyal", "referrals"),
        ],
        ("swing", "irregular"),
    )


def loyalty(df: pd.DataFrame, rules: Rules, life: np.ndarray) -> Result:
    """Attitude: not applicable to a churned or never-bought customer (never swing)."""
    classes, whys = loyalty_attitude(df, rules)
    churned = (np.asarray(life, dtype=object) == "churned") & (classes != UNCLASSIFIED)
    return (
        np.where(churned, NOT_APPLICABLE, classes).astype(object),
        np.where(churned, "churned", whys).astype(object),
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
    """The value × potential matrix. A customer who never bought (value tier "potential")
    has no value to place: they sit in the prospect cell by their potential alone, never in
    the long tail (docs/classification.md)."""
    value = np.asarray(value, dtype=object)
    pot = np.asarray(pot, dtype=object)
    high_value = np.isin(value, ["core", "important"])
    high_pot = pot == "high"
    unknown = (value == UNCLASSIFIED) | (pot == UNCLASSIFIED)
    never_bought = value == "potential"
    conds = [unknown, never_bought, high_value & high_pot, high_value, high_pot]
    classes = np.select(
        conds, [UNCLASSIFIED, "prospect", "star", "cash_cow", "potential"], "long_tail"
    )
    whys = np.select([unknown, never_bought], ["inputs", "prospect"], "matrix")
    return classes.astype(object), whys.astype(object)


def value_tier_peak(df: pd.DataFrame, rules: Rules, cuts: dict) -> Result:
    """The value tier of the customer's best 365 days (metric peak_value, in the rule set's
    basis) against today's cut points: a churned former core customer stays visible as a
    lost core customer. Cut points of the absolute method are the fixed amounts."""
    peak = _optional_col(df, "peak_value")
    orders = _col(df, "orders_total")
    core = cuts.get("value_core")
    important = cuts.get("value_important")
    core_v = np.inf if core is None else core
    important_v = np.inf if important is None else important
    return _select(
        df,
        [
            (df["duplicate_of"].notna(), UNCLASSIFIED, "duplicate"),
            (orders == 0, "potential", "no_purchases"),
            (peak.isna() | (peak <= 0), UNCLASSIFIED, "no_amounts"),
            (peak >= core_v, "core", "peak"),
            (peak >= important_v, "important", "peak"),
        ],
        ("ordinary", "peak"),
    )


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


# The eight RFM value classes (重要价值 … 一般挽留客户): each of R, F and M is high when its
# quintile score is 3 or more (at or above the middle fifth), low otherwise. M decides
# important / general; R × F decide value (both high), develop (recent, not yet frequent),
# keep (frequent, not recent) and win back (neither).
RFM_HIGH_SCORE = 3
ACTIVE_LIFECYCLE = ("new", "repeat", "loyal")


def rfm_class(r: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The value class of scores (1–5) per customer."""
    r_high, f_high = r >= RFM_HIGH_SCORE, f >= RFM_HIGH_SCORE
    weight = np.where(m >= RFM_HIGH_SCORE, "important_", "general_")
    rf = np.select(
        [r_high & f_high, r_high, f_high], ["value", "develop", "keep"], default="retain"
    )
    return np.char.add(weight.astype(str), rf.astype(str)).astype(object)


def rfm(df: pd.DataFrame, cuts: dict, life: np.ndarray | None = None) -> dict[str, Result]:
    """R, F and M quintile scores and the value class. A customer whose lifecycle is active
    (new, repeat, loyal: not yet dormant by their own rhythm) counts as recent whatever
    their R quintile, so a recent buyer is never in a keep or win-back class."""
    buyer = (_col(df, "orders_total") > 0) & df["duplicate_of"].isna()
    none_why = np.where(df["duplicate_of"].notna(), "duplicate", "no_purchases").astype(object)
    r = _score(_col(df, "recency_days").fillna(1e9), cuts.get("r", []), lower_is_better=True)
    f = _score(_col(df, "orders_window"), cuts.get("f", []), lower_is_better=False)
    m = _score(_col(df, "revenue_window"), cuts.get("m", []), lower_is_better=False)
    active = (
        np.isin(np.asarray(life, dtype=object), ACTIVE_LIFECYCLE)
        if life is not None
        else np.zeros(len(df), dtype=bool)
    )
    r_class = np.where(active, np.maximum(r, RFM_HIGH_SCORE), r)
    segment = rfm_class(r_class, np.asarray(f), np.asarray(m))
    out: dict[str, Result] = {}
    for name, values in (("rfm_r", r), ("rfm_f", f), ("rfm_m", m)):
        out[name] = (
            np.where(buyer, values.astype(str), UNCLASSIFIED).astype(object),
            np.where(buyer, "quintile", none_why).astype(object),
        )
    out["rfm_segment"] = (
        np.where(buyer, segment, UNCLASSIFIED).astype(object),
        np.where(
            buyer, np.where(active & (r < RFM_HIGH_SCORE), "grid_active", "grid"), none_why
        ).astype(object),
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
