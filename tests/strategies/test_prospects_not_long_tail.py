"""#17 finding 4: never-bought prospects were enrolled in 长尾客户低成本维护 together with
潜在客户识别. They now sit in the prospect cell of value × potential."""

import datetime as dt
from decimal import Decimal

import pytest

from segmentation.models import CustomerClasses
from segmentation.services import segmentation_run
from strategies.models import Enrollment
from strategies.services import strategies_generate
from tests.customers.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


def test_the_long_tail_playbook_never_enrolls_a_never_bought_customer(rep_alice):
    prospect = CustomerFactory(owner=rep_alice, size="small")
    small = CustomerFactory(owner=rep_alice, size="small")
    TransactionFactory(customer=small, date=AS_OF - dt.timedelta(days=20), amount=Decimal("10"))
    big = CustomerFactory(owner=rep_alice)
    TransactionFactory(customer=big, date=AS_OF - dt.timedelta(days=5), amount=Decimal("9000"))
    run = segmentation_run(as_of=AS_OF)
    strategies_generate(run_id=run.pk, backfill=True)  # the first run has no changes

    classes = dict(
        CustomerClasses.objects.filter(run=run).values_list("customer_id", "value_potential")
    )
    assert classes[prospect.pk] == "prospect"
    assert classes[small.pk] == "long_tail"
    enrolled = set(
        Enrollment.objects.filter(customer=prospect).values_list("playbook__code", flat=True)
    )
    assert "life-prospect" in enrolled
    assert "vp-long-tail" not in enrolled
    assert Enrollment.objects.filter(customer=small, playbook__code="vp-long-tail").exists()
