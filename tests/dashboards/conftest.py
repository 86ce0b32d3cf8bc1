"""A small book of business classified twice (a month apart), shared by the dashboard tests.

Team A: rep_alice (3 customers: loyal core buyer, dormant, prospect), rep_amy (2: new buyer in
retail/south, churned). Team B: rep_bob_other_team (2: loyal buyer, prospect). The second run
makes alice's 'new' customer a repeat buyer (it buys again in between)."""

import datetime as dt
from decimal import Decimal

import pytest

from segmentation.services import segmentation_run
from tests.customers.factories import CustomerFactory, TransactionFactory

FIRST = dt.date(2026, 5, 31)
SECOND = dt.date(2026, 6, 30)


def buyer(owner, days_before_second, amount="1000.00", **kwargs):
    customer = CustomerFactory(owner=owner, **kwargs)
    for days in days_before_second:
        TransactionFactory(
            customer=customer,
            date=SECOND - dt.timedelta(days=days),
            amount=Decimal(amount),
        )
    return customer


@pytest.fixture
def book(db, rep_alice, rep_amy, rep_bob_other_team):
    customers = {
        "alice_loyal": buyer(rep_alice, [5, 40, 70, 100, 130, 160, 200, 400], amount="9000.00"),
        "alice_dormant": buyer(rep_alice, [142, 300], amount="500.00"),
        "alice_prospect": CustomerFactory(owner=rep_alice),
        "amy_new": buyer(rep_amy, [10, 45], industry="retail", region="south"),
        "amy_churned": buyer(rep_amy, [500], amount="200.00"),
        "bob_loyal": buyer(rep_bob_other_team, [3, 33, 63, 93, 123, 153, 183, 380], "7000.00"),
        "bob_prospect": CustomerFactory(owner=rep_bob_other_team, kind="individual"),
    }
    first = segmentation_run(as_of=FIRST)
    second = segmentation_run(as_of=SECOND)
    return {"customers": customers, "first": first, "second": second}
