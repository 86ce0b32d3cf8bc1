"""Reasons in words. A stored class carries a reason code (`<dimension>_why`); the numbers come
from the metrics in the same row, the run's rule-set version and its cut points, so the same
reason renders in the reader's language: "dormant — last purchase 142 days ago, threshold 120".

`reason_params` (structured: code + params) is what the admin and tests read; `reason_text`
formats it with the translated template."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .classifiers.dimensions import rhythm_thresholds
from .models.choices import CLASS_CHOICES
from .rules import Rules

Row = Mapping[str, Any]

TEMPLATES: dict[str, Any] = {
    "duplicate": _(
        "shares a tax number with customer #%(dup)s (suspected duplicate); merge or "
        "correct the record to classify it"
    ),
    "no_purchases": _("no purchases yet"),
    "pinned": _("set by hand (see the pin)"),
    "held": _(
        "kept: the new class %(to)s was computed on %(n)s of the %(need)s consecutive runs needed"
    ),
    "lifecycle.prospect": _("no orders and no interest recorded; recorded interest → intent"),
    "lifecycle.prospect_stale": _(
        "interest shown %(interest)s days ago, longer than %(limit)s; no orders"
    ),
    "lifecycle.intent": _(
        "interest shown %(interest)s days ago (within %(limit)s), no order yet; a first order → new"
    ),
    "lifecycle.churned": _(
        "last purchase %(recency)s days ago, threshold %(threshold)s; a new order → active again"
    ),
    "lifecycle.churned_rhythm": _(
        "last purchase %(recency)s days ago; usually buys every "
        "%(interval)s days, so the threshold is %(threshold)s"
    ),
    "lifecycle.dormant": _(
        "last purchase %(recency)s days ago, threshold %(threshold)s; "
        "%(left)s more quiet days → churned"
    ),
    "lifecycle.dormant_rhythm": _(
        "last purchase %(recency)s days ago; usually buys every "
        "%(interval)s days, so the threshold is %(threshold)s; "
        "%(left)s more quiet days → churned"
    ),
    "lifecycle.loyal": _(
        "%(orders)s orders in %(window)s days (≥ %(min)s), last %(recency)s "
        "days ago; %(left)s more quiet days → dormant"
    ),
    "lifecycle.repeat": _(
        "%(total)s orders, %(orders)s in the last %(window)s days; %(more)s "
        "more in the window → loyal; %(left)s more quiet days → dormant"
    ),
    "lifecycle.repeat_tenure": _(
        "%(orders)s orders in the window, but a buyer for only "
        "%(tenure)s days; loyal from %(min)s days"
    ),
    "lifecycle.new": _(
        "first order %(tenure)s days ago; a second order → repeat; %(left)s "
        "more quiet days → dormant"
    ),
    "value_tier.no_purchases": _("no purchases yet: potential customer"),
    "value_tier.no_amounts": _("the orders carry no amounts"),
    "value_tier.short_history": _("a buyer for %(tenure)s days; the value tier needs %(min)s"),
    "value_tier.core": _("%(basis)s in the window %(value)s, core from %(cut)s (%(method)s)"),
    "value_tier.important": _(
        "%(basis)s in the window %(value)s, important from %(cut)s, core from %(core)s (%(method)s)"
    ),
    "value_tier.ordinary": _(
        "%(basis)s in the window %(value)s, important from %(cut)s (%(method)s)"
    ),
    "loyalty.short_tenure": _("a buyer for %(tenure)s days; loyalty shows after %(min)s"),
    "loyalty.low_satisfaction": _("latest satisfaction %(sat)s of 5, below %(min)s"),
    "loyalty.regular": _("bought in %(months)s of the last 12 months (≥ %(min)s)"),
    "loyalty.referrals": _("referred %(referrals)s customers (≥ %(min)s)"),
    "loyalty.irregular": _("bought in %(months)s of the last 12 months; loyal from %(min)s"),
    "potential.score": _("score %(score)s of 100 (high from %(high)s, medium from %(medium)s)"),
    "value_potential.matrix": _("value tier “%(value)s” × potential “%(potential)s”"),
    "value_potential.inputs": _("the value tier or the potential is unclassified"),
    "frequency.orders": _("%(orders)s orders in the last %(window)s days (high from %(min)s)"),
    "rfm_r.quintile": _("last purchase %(value)s days ago; quintile cut points %(cuts)s days"),
    "rfm_f.quintile": _("%(value)s orders in the window; quintile cut points %(cuts)s"),
    "rfm_m.quintile": _("%(value)s revenue in the window; quintile cut points %(cuts)s"),
    "rfm_segment.grid": _("R %(r)s · F %(f)s · M %(m)s"),
    "churn_warning.spend_drop": _(
        "spend in the window %(now)s against %(prev)s over %(prev_orders)s orders before "
        "(%(trend)s%%; warning from −%(min)s%%, judged from %(min_orders)s orders)"
    ),
    "churn_warning.rhythm_overdue": _(
        "usually buys every %(interval)s days; last purchase "
        "%(recency)s days ago (warning after %(factor)s×)"
    ),
    "churn_warning.p_alive_low": _(
        "only %(alive)s%% likely still active by the purchase model (warning below %(below)s%%)"
    ),
    "churn_warning.steady": _("spend and buying rhythm steady"),
    "payment_risk.overdue": _(
        "%(amount)s overdue, the oldest by %(days)s days (grace %(grace)s days)"
    ),
    "payment_risk.late_payer": _(
        "%(pct)s%% of %(due)s invoices paid on time (risk below %(min)s%%)"
    ),
    "payment_risk.few_invoices": _(
        "%(due)s invoices due so far; punctuality is judged from %(min)s"
    ),
    "payment_risk.punctual": _("%(pct)s%% of %(due)s invoices paid on time"),
    "problem_customer.cases": _(
        "%(complaints)s complaints, %(returns)s returns, %(repairs)s "
        "repairs in the window (problem from %(min)s in total)"
    ),
}

METHOD_TEXT = {
    "pareto": _("customers making the first %(share)s%% of the total"),
    "percentile": _("the top %(share)s%% of buyers"),
    "absolute": _("fixed amounts"),
}
BASIS_TEXT = {"revenue": _("revenue"), "profit": _("profit")}


def class_label(dimension: str, code: str) -> str:
    """A built-in class's label (reasons name classes of built-in dimensions only)."""
    choices = CLASS_CHOICES.get(dimension)
    return str(dict(choices.choices).get(code, code)) if choices and code else ""


def _num(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):,.{digits}f}"


def _int(value: Any) -> str:
    return _num(value, 0)


def _lifecycle_params(row: Row, rules: Rules, cuts: Mapping) -> dict[str, Any]:
    orders_total = float(row.get("orders_total") or 0)
    interval = row.get("interval_days")
    # The thresholds the lifecycle classifier applied to this customer (stretched to its
    # own rhythm), from the classifier's own function: never recomputed here.
    one = pd.DataFrame(
        {
            "orders_total": [orders_total],
            "interval_days": [math.nan if interval is None else float(interval)],
        }
    )
    dormant_t, churned_t, _known = rhythm_thresholds(one, rules)
    dormant, churned = float(dormant_t.iloc[0]), float(churned_t.iloc[0])
    recency = row.get("recency_days")
    recency_v = 0 if recency is None or math.isnan(float(recency)) else float(recency)
    return {
        "recency": _int(recency),
        "interval": _int(interval),
        "interest": _int(row.get("interest_days")),
        "tenure": _int(row.get("tenure_days")),
        "orders": _int(row.get("orders_window")),
        "total": _int(orders_total),
        "window": rules.window_days,
        "limit": rules.intent_window_days,
        "min": rules.loyal_min_orders,
        "more": max(0, rules.loyal_min_orders - int(row.get("orders_window") or 0)),
        "dormant": _int(dormant),
        "churned": _int(churned),
        "_dormant": dormant,
        "_churned": churned,
        "_recency": recency_v,
    }


def reason_params(
    dimension: str,
    code: str,
    why: str,
    row: Row,
    rules: Rules,
    cuts: Mapping,
    pending: Mapping | None = None,
) -> tuple[str, dict[str, Any]]:
    """(template key, params) for one class of one customer."""
    if why == "duplicate":
        return "duplicate", {"dup": _int(row.get("duplicate_of"))}
    if why == "pinned":
        return "pinned", {}
    if why == "held":
        to, n = ((pending or {}).get(dimension) or ["", 0])[:2]
        return "held", {
            "to": class_label(dimension, to) or to,
            "n": n,
            "need": rules.min_dwell_runs,
        }
    builder = _BUILDERS.get(dimension)
    key = f"{dimension}.{why}"
    if dimension == "value_tier" and why in METHOD_TEXT:
        key = f"value_tier.{code}"
    if key not in TEMPLATES:
        key = why if why in TEMPLATES else "no_purchases"
    return key, builder(row, rules, cuts, code, why) if builder else {}


def _lifecycle(row, rules, cuts, code, why):
    p = _lifecycle_params(row, rules, cuts)
    if code in ("dormant", "churned"):
        threshold = p["_churned"] if code == "churned" else p["_dormant"]
        p["threshold"] = _int(threshold)
        p["left"] = _int(max(1, p["_churned"] - p["_recency"] + 1))
    else:
        p["threshold"] = p["dormant"]
        p["left"] = _int(max(1, p["_dormant"] - p["_recency"] + 1))
    if why == "repeat_tenure":
        p["min"] = rules.loyal_min_tenure_days
    return {k: v for k, v in p.items() if not k.startswith("_")}


def _value(row, rules, cuts, code, why):
    basis_col = "profit_window" if rules.value_basis == "profit" else "revenue_window"
    share = {
        "pareto": rules.core_share_pct if code == "core" else rules.important_share_pct,
        "percentile": rules.core_top_pct if code == "core" else rules.important_top_pct,
    }.get(rules.value_method, 0)
    method = METHOD_TEXT.get(rules.value_method)
    core = cuts.get("value_core")
    important = cuts.get("value_important")
    return {
        "basis": BASIS_TEXT.get(rules.value_basis, rules.value_basis),
        "value": _num(row.get(basis_col)),
        "cut": _num(core if code == "core" else important),
        "core": _num(core),
        "method": (gettext(str(method)) % {"share": _num(share)}) if method else "",
        "tenure": _int(row.get("tenure_days")),
        "min": rules.value_min_tenure_days,
    }


def _loyalty(row, rules, cuts, code, why):
    mins = {
        "short_tenure": rules.loyalty_min_tenure_days,
        "low_satisfaction": rules.loyalty_min_satisfaction,
        "referrals": rules.loyalty_min_referrals,
    }
    return {
        "tenure": _int(row.get("tenure_days")),
        "sat": _int(row.get("satisfaction")),
        "months": _int(row.get("active_months")),
        "referrals": _int(row.get("referrals")),
        "min": mins.get(why, rules.loyalty_min_active_months),
    }


def _rfm(dim: str) -> Callable:
    column, cut_key = {
        "rfm_r": ("recency_days", "r"),
        "rfm_f": ("orders_window", "f"),
        "rfm_m": ("revenue_window", "m"),
    }[dim]

    def build(row, rules, cuts, code, why):
        return {
            "value": _num(row.get(column)),
            "cuts": " / ".join(_num(c) for c in cuts.get(cut_key, [])),
        }

    return build


_BUILDERS: dict[str, Callable] = {
    "lifecycle": _lifecycle,
    "value_tier": _value,
    "loyalty": _loyalty,
    "potential": lambda row, rules, cuts, code, why: {
        "score": _num(row.get("potential_score"), 1),
        "high": _num(rules.potential_high_min),
        "medium": _num(rules.potential_medium_min),
    },
    "value_potential": lambda row, rules, cuts, code, why: {
        "value": class_label("value_tier", row.get("value_tier", "")),
        "potential": class_label("potential", row.get("potential", "")),
    },
    "frequency": lambda row, rules, cuts, code, why: {
        "orders": _int(row.get("orders_window")),
        "window": rules.window_days,
        "min": rules.frequency_high_min_orders,
    },
    "rfm_r": _rfm("rfm_r"),
    "rfm_f": _rfm("rfm_f"),
    "rfm_m": _rfm("rfm_m"),
    "rfm_segment": lambda row, rules, cuts, code, why: {
        "r": row.get("rfm_r"),
        "f": row.get("rfm_f"),
        "m": row.get("rfm_m"),
    },
    "churn_warning": lambda row, rules, cuts, code, why: {
        "now": _num(row.get("revenue_window")),
        "prev": _num(row.get("revenue_prev_window")),
        "trend": _num(row.get("spend_trend_pct")),
        "min": _num(rules.churn_trend_drop_pct),
        "prev_orders": _int(row.get("orders_prev_window")),
        "min_orders": rules.churn_trend_min_orders,
        "interval": _int(row.get("interval_days")),
        "recency": _int(row.get("recency_days")),
        "factor": _num(rules.churn_rhythm_overdue_factor, 1),
        "alive": _num(None if row.get("p_alive") is None else 100 * row["p_alive"]),
        "below": _num(rules.churn_p_alive_below_pct),
    },
    "payment_risk": lambda row, rules, cuts, code, why: {
        "amount": _num(row.get("overdue_amount")),
        "days": _int(row.get("overdue_days")),
        "grace": rules.payment_grace_days,
        "pct": _num(row.get("on_time_pct")),
        "due": _int(row.get("due_orders")),
        "min": (
            rules.payment_min_due_orders
            if why == "few_invoices"
            else _num(rules.payment_min_on_time_pct)
        ),
    },
    "problem_customer": lambda row, rules, cuts, code, why: {
        "complaints": _int(row.get("complaints")),
        "returns": _int(row.get("returns")),
        "repairs": _int(row.get("repairs")),
        "min": rules.problem_min_cases,
    },
}


def reason_text(
    dimension: str,
    code: str,
    why: str,
    row: Row,
    rules: Rules,
    cuts: Mapping,
    pending: Mapping | None = None,
) -> str:
    """The reason in the active language."""
    key, params = reason_params(dimension, code, why, row, rules, cuts, pending)
    return str(TEMPLATES[key]) % params
