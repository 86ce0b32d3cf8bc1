"""Predicted customer value: probability still active, expected orders and revenue in 365 days.

Models (published, closed-form likelihoods, fitted by maximum likelihood with scipy):
* counts — MBG/NBD (Batislam et al. 2007) by default; BG/NBD (Fader, Hardie & Lee 2005) is
  available and reported next to it. BG/NBD gives p_alive = 1 to every customer without a repeat
  purchase, so its p_alive ranks "buys again" badly (ROC AUC ≈ 0.42-0.60 on simulated data,
  below plain recency ≈ 0.76-0.80); MBG/NBD's p_alive ranks like recency (≈ 0.77-0.79) while its
  expected orders are as accurate. See docs/prediction.md for the figures.
* spend — Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV") on the mean repeat-order value.

Why our own scipy implementation rather than a library (measured on this machine, Python 3.11,
pandas 3, numpy 2): lifetimes 0.11.3 is archived and 12 of its own tests fail on pandas 3; btyd
does not import on Python 3.11; pymc-marketing is maintained and correct but brings ~790 MB
(pymc, pytensor) and a g++ compile of ~17 s on first use, for what is here ~300 lines of tested
closed-form code. scipy (~110 MB, already a dependency of most of the scientific stack) fits 1M
customers in a few seconds once identical (x, t_x, T) rows are grouped. Correctness is tested,
not trusted: published CDNOW values, numerical integration, parameter recovery.

Public API (pure: no ORM, no settings, no clock; time in days):
    predict_customer_value(summary=frame) → Prediction(scores, fits, notices, …)
    reason_build / reasons_build / reason_render — the plain-language reason
ORM access lives only in `history.py`; the report card in `evaluation.py`.
"""

from .fitting import FitResult, fit_count_model, fit_spend_model
from .predict import (
    HORIZON_DAYS,
    OUTPUT_COLUMNS,
    Notice,
    Prediction,
    PredictionInputError,
    predict_customer_value,
    summary_validate,
)
from .reasons import PredictionReason, reason_build, reason_render, reasons_build

__all__ = [
    "HORIZON_DAYS",
    "OUTPUT_COLUMNS",
    "FitResult",
    "Notice",
    "Prediction",
    "PredictionInputError",
    "PredictionReason",
    "fit_count_model",
    "fit_spend_model",
    "predict_customer_value",
    "reason_build",
    "reason_render",
    "reasons_build",
    "summary_validate",
]
