"""Database constraints: bad data is refused by the database itself, not only by forms."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from customers.models import Customer, Transaction
from tests.customers.factories import (
    CustomerFactory,
    ReferralFactory,
    SatisfactionSurveyFactory,
    ServiceCaseFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db


def _refused(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


def test_valid_records_are_accepted():
    t = TransactionFactory(
        date=dt.date(2026, 1, 1), due_date=dt.date(2026, 1, 31), paid_date=dt.date(2026, 1, 1)
    )
    assert t.profit == Decimal("400.00")
    assert Transaction.objects.count() == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"amount": Decimal("-0.01")},
        {"cost": Decimal("-1")},
        {"date": dt.date(2026, 2, 1), "due_date": dt.date(2026, 1, 31)},
        {"date": dt.date(2026, 2, 1), "paid_date": dt.date(2026, 1, 31)},
        {"status": "lost"},
    ],
    ids=["negative-amount", "negative-cost", "due-before-order", "paid-before-order", "status"],
)
def test_transaction_constraints(kwargs):
    _refused(TransactionFactory, **kwargs)


def test_customer_code_is_unique_and_amounts_non_negative():
    CustomerFactory(external_code="C1")
    _refused(CustomerFactory, external_code="C1")
    _refused(CustomerFactory, acquisition_cost=Decimal("-5"))
    _refused(CustomerFactory, annual_budget=Decimal("-5"))
    assert Customer.objects.count() == 1


def test_service_case_cannot_close_before_it_opens():
    _refused(ServiceCaseFactory, opened_on=dt.date(2026, 3, 2), closed_on=dt.date(2026, 3, 1))
    _refused(ServiceCaseFactory, service_cost=Decimal("-1"))


@pytest.mark.parametrize("score", [0, 6])
def test_survey_score_between_1_and_5(score):
    _refused(SatisfactionSurveyFactory, score=score)


def test_referral_cannot_refer_itself_and_must_name_someone():
    c = CustomerFactory()
    _refused(ReferralFactory, referrer=c, referred=c)
    _refused(ReferralFactory, referrer=c, referred=None, referred_name="")
    assert ReferralFactory(referrer=c, referred=CustomerFactory()).pk
