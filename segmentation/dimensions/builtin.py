"""The built-in dimensions as specs: classes from segmentation.models.choices, classifiers
from segmentation.classifiers.dimensions, reasons from segmentation.reasons, each stored in
a column of its own. Order matters: a classifier may read the results of the ones before it
(value × potential reads value tier and potential; churn warning reads lifecycle)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from segmentation.classifiers import dimensions as d
from segmentation.models.choices import CLASS_CHOICES, Dimension
from segmentation.reasons import reason_text

from .base import ClassifyContext, ColumnStorage, DimensionSpec, ReasonContext, Result

Classifier = Callable[[pd.DataFrame, ClassifyContext, dict[str, Result]], Result]


def _rfm(key: str) -> Classifier:
    """The four RFM dimensions come out of one computation: the first asks, the others
    read what it left in the results."""

    def classify(df: pd.DataFrame, ctx: ClassifyContext, got: dict[str, Result]) -> Result:
        if key not in got:
            got.update(d.rfm(df, dict(ctx.cuts)))
        return got[key]

    return classify


CLASSIFIERS: dict[str, Classifier] = {
    "lifecycle": lambda df, ctx, got: d.lifecycle(df, ctx.rules),
    "value_tier": lambda df, ctx, got: d.value_tier(df, ctx.rules, dict(ctx.cuts)),
    "loyalty": lambda df, ctx, got: d.loyalty(df, ctx.rules),
    "potential": lambda df, ctx, got: d.potential(df, ctx.rules),
    "value_potential": lambda df, ctx, got: d.value_potential(
        got["value_tier"][0], got["potential"][0]
    ),
    "frequency": lambda df, ctx, got: d.frequency(df, ctx.rules),
    "rfm_r": _rfm("rfm_r"),
    "rfm_f": _rfm("rfm_f"),
    "rfm_m": _rfm("rfm_m"),
    "rfm_segment": _rfm("rfm_segment"),
    "churn_warning": lambda df, ctx, got: d.churn_warning(df, ctx.rules, got["lifecycle"][0]),
    "payment_risk": lambda df, ctx, got: d.payment_risk(df, ctx.rules),
    "problem_customer": lambda df, ctx, got: d.problem_customer(df, ctx.rules),
}

# Not offered as a customer-list filter: the RFM monetary score (the RFM segment filter and
# the R × F grid drill-down cover daily work; the score is in the export).
_NO_LIST_FILTER = {"rfm_m"}
_RFM_SCORES = {"rfm_r", "rfm_f", "rfm_m"}


def _builtin(key: str) -> DimensionSpec:
    choices = CLASS_CHOICES[key]

    def reason(code: str, why: str, ctx: ReasonContext) -> str:
        return reason_text(key, code, why, ctx.row, ctx.rules, ctx.cuts, ctx.pending)

    return DimensionSpec(
        key=key,
        name=lambda: str(Dimension(key).label),
        classes=lambda: tuple((str(c), str(label)) for c, label in choices.choices),
        storage=ColumnStorage(key),
        classify=CLASSIFIERS[key],
        reason=reason,
        list_filter=key not in _NO_LIST_FILTER,
        overview=key not in _RFM_SCORES,
    )


BUILTIN: tuple[DimensionSpec, ...] = tuple(_builtin(key) for key in Dimension.values)
