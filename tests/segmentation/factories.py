"""Factories for segmentation tests: metric frames for the pure classifiers, and model rows."""

import datetime as dt

import factory
import numpy as np
import pandas as pd

from segmentation.models import ClassPin, RuleSet
from tests.crm.factories import UserFactory
from tests.customers.factories import CustomerFactory

# A typical steady buyer; tests override the metric under test.
METRIC_DEFAULTS = {
    "orders_total": 10.0,
    "orders_window": 4.0,
    "orders_prev_window": 4.0,
    "revenue_total": 10000.0,
    "revenue_window": 4000.0,
    "revenue_prev_window": 4000.0,
    "profit_total": 3000.0,
    "profit_window": 1200.0,
    "margin_pct": 30.0,
    "avg_order_value": 1000.0,
    "categories": 2.0,
    "active_months": 4.0,
    "due_orders": 0.0,
    "on_time_pct": np.nan,
    "overdue_amount": 0.0,
    "overdue_days": np.nan,
    "complaints": 0.0,
    "returns": 0.0,
    "repairs": 0.0,
    "service_cost": 0.0,
    "contacts_window": 1.0,
    "referrals": 0.0,
    "satisfaction": np.nan,
    "recency_days": 30.0,
    "tenure_days": 800.0,
    "interest_days": np.nan,
    "customer_days": 900.0,
    "interval_days": 30.0,
    "spend_trend_pct": 0.0,
    "net_value": 3000.0,
    "duplicate_of": np.nan,
    "size_score": 0.5,
    "outlook_score": 0.5,
    "annual_budget": np.nan,
    "growth_rate": np.nan,
    "acquisition_cost": 0.0,
    "size": "medium",
    "industry_outlook": "stable",
}


def metrics_frame(*rows: dict) -> pd.DataFrame:
    """One customer per dict (ids 1, 2, …), every unspecified metric at its default."""
    records = [{**METRIC_DEFAULTS, **row} for row in rows]
    frame = pd.DataFrame.from_records(records, index=pd.RangeIndex(1, len(records) + 1))
    frame.index.name = "customer_id"
    return frame


class RuleSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RuleSet

    version = factory.Sequence(lambda n: 100 + n)
    name = "Test"


class ClassPinFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassPin

    customer = factory.SubFactory(CustomerFactory)
    dimension = "lifecycle"
    code = "loyal"
    reason = "Key account, seasonal buyer"
    expires_on = dt.date(2030, 1, 1)
    created_by = factory.SubFactory(UserFactory)
