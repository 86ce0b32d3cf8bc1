"""Service tests of the run: classes written, idempotent, recovery, lock, history, pins."""

import datetime as dt
from decimal import Decimal

import pytest

from segmentation.models import CustomerClasses, RuleSet, RunStatus
from segmentation.services import (
    segmentation_run,
)
from tests.customers.factories import (
    CustomerFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


def _buyer(days_ago_list, amount="1000.00", **kwargs):
    customer = CustomerFactory(**kwargs)
    for days in days_ago_list:
        TransactionFactory(
            customer=customer, date=AS_OF - dt.timedelta(days=days), amount=Decimal(amount)
        )
    return customer


@pytest.fixture
def book(db):
    return {
        "loyal": _buyer([5, 40, 70, 100, 130, 160, 200, 400], amount="9000.00"),
        "dormant": _buyer([142, 300], amount="500.00"),
        "churned": _buyer([500], amount="200.00"),
        "prospect": CustomerFactory(),
        "new": _buyer([10]),
    }


def _classes(run, customer):
    return CustomerClasses.objects.get(run=run, customer=customer)


def test_run_classifies_every_customer_and_becomes_current(book):
    run = segmentation_run(as_of=AS_OF)
    assert run.status == RunStatus.SUCCEEDED
    assert run.is_current
    assert run.customers_total == 5
    assert run.rule_set == RuleSet.objects.get(is_active=True)
    assert _classes(run, book["loyal"]).lifecycle == "loyal"
    assert _classes(run, book["dormant"]).lifecycle == "dormant"
    assert _classes(run, book["dormant"]).recency_days == 142
    assert _classes(run, book["churned"]).lifecycle == "churned"
    assert _classes(run, book["prospect"]).lifecycle == "prospect"
    assert _classes(run, book["prospect"]).value_tier == "potential"
    assert _classes(run, book["new"]).lifecycle == "new"
    assert _classes(run, book["loyal"]).value_tier == "core"
    assert run.counts["lifecycle"]["dormant"] == 1
