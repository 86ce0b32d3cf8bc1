"""Predicted customer value: probability still active, chance of an order, expected orders and
revenue in 365 days.

Models (published closed-form likelihoods fitted by maximum likelihood with scipy, plus one
regression), chosen per business by a backtest on its own history (issue 21, `backtest.py`):
* BG/NBD (Fader, Hardie & Lee 2005), MBG/NBD (Batislam et al. 2007), Pareto/NBD (Schmittlein et
  al. 1987; `pareto.py`, 2F1 evaluated after Euler's transformation, in logs), and a Poisson /
  logistic regression on RFM and rhythm features trained on a time split (`regression.py`) for
  customers who buy regularly;
* the latest part of the history is held out, every candidate fitted before it and scored on
  it (total error, RMSE, MAE, ROC AUC); the documented rule picks one, which is refitted on all
  history and its total corrected by the backtest's bias;
* spend — Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV") where its premise holds (order
  value independent of frequency), each customer's own mean otherwise.
Issue 10's measurements (why MBG/NBD is the default without a backtest) are in
docs/prediction.md.

Why our own scipy implementation rather than a library (measured on this machine, Python 3.11,
pandas 3, numpy 2): lifetimes 0.11.3 is archived and 12 of its own tests fail on pandas 3; btyd
does not import on Python 3.11; pymc-marketing is maintained and correct but brings ~790 MB
(pymc, pytensor) and a g++ compile of ~17 s on first use, for what is here ~300 lines of tested
closed-form code. With scipy (~110 MB) the fit plus scoring of 1M customers takes 15-26 s on this
machine, thanks to grouping identical (x, t_x, T) rows and analytic gradients; our fits and
formulas agree with lifetimes' to 5 significant digits and ~1e-13 respectively. Correctness is
tested, not trusted: published CDNOW values, numerical integration, parameter recovery.

Public API (pure: no ORM, no settings, no clock; time in days):
    predict_customer_value(summary=frame[, backtest=frame]) → Prediction(scores, fits, backtest,
        notices, …); history.backtest_for_run(as_of=…, summary=…) builds the backtest frame
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
