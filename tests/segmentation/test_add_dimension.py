"""Adding a dimension touches one module (segmentation/dimensions/builtin.py), its test and its
translations (docs/architecture.md, "How to add a dimension"). This test adds a throwaway
dimension the way that page says — one DimensionSpec appended to BUILTIN — and checks that
every consumer picks it up without another line of code: the nightly run, its history, the
customer page with its reason, pins, the list filter, the export, the dashboards'
aggregates and the playbook trigger choices."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from segmentation.dimensions import DimensionSpec, JsonStorage, builtin, grouped_class_choices
from segmentation.models import ClassAggregate, ClassChange
from segmentation.selectors import (
    classes_for_export,
    customer_classes_get,
    customers_in_class,
    export_headers,
)
from segmentation.services import class_pin_set, segmentation_run
from tests.customers.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db

BIG = 1000


def _classify(df, ctx, got):
    big = df["avg_order_value"].astype("float64").fillna(0).to_numpy() >= BIG
    return (
        np.where(big, "big", "small").astype(object),
        np.full(len(df), "average_order", dtype=object),
    )


ORDER_SIZE = DimensionSpec(
    key="order_size",
    name=lambda: "Order size",
    classes=lambda: (("big", "Big orders"), ("small", "Small orders")),
    storage=JsonStorage("_order_size", default=lambda: "small"),
    classify=_classify,
    reason=lambda code, why, ctx: f"average order {ctx.row.get('avg_order_value'):.0f}",
)


@pytest.fixture
def order_size(monkeypatch):
    monkeypatch.setattr(builtin, "BUILTIN", (*builtin.BUILTIN, ORDER_SIZE))
    return ORDER_SIZE


@pytest.fixture
def two(rep_alice):
    today = timezone.localdate()
    big = CustomerFactory(owner=rep_alice, team=rep_alice.team, name="大单客户")
    small = CustomerFactory(owner=rep_alice, team=rep_alice.team, name="小单客户")
    TransactionFactory(customer=big, date=today - dt.timedelta(days=10), amount=Decimal(5000))
    TransactionFactory(customer=small, date=today - dt.timedelta(days=10), amount=Decimal(50))
    return {"big": big, "small": small}


def test_a_new_dimension_reaches_every_consumer(order_size, two, rep_alice, client):
    today = timezone.localdate()
    run = segmentation_run(as_of=today - dt.timedelta(days=1))
    assert run.counts["order_size"] == {"big": 1, "small": 1}

    # The customer page: class, label and reason.
    view = next(
        c
        for c in customer_classes_get(customer_id=two["big"].pk)["classes"]
        if c.dimension == "order_size"
    )
    assert (view.code, view.label, view.reason) == ("big", "Big orders", "average order 5000")

    # The list filter and the selectors.
    ids = customers_in_class(Customer.objects.all(), dimension="order_size", code="big")
    assert list(ids.values_list("pk", flat=True)) == [two["big"].pk]
    client.force_login(rep_alice)
    response = client.get(reverse("customers:list"), {"in_class": "order_size:big"})
    assert response.status_code == 200
    assert "大单客户" in response.text
    assert "小单客户" not in response.text

    # The export column.
    column = export_headers().index("order_size")
    exported = classes_for_export([two["big"].pk, two["small"].pk])
    assert exported[two["big"].pk][column] == "big"
    assert exported[two["small"].pk][column] == "small"

    # The dashboards' aggregates.
    assert ClassAggregate.objects.filter(run=run, dimension="order_size", code="big").exists()

    # Playbook triggers and pins offer its classes.
    options = {v for _group, opts in grouped_class_choices(pinnable=True) for v, _l in opts}
    assert {"order_size:big", "order_size:small"} <= options

    # History: the small buyer places a big order; the next night records the move.
    TransactionFactory(customer=two["small"], date=today, amount=Decimal(9000))
    segmentation_run(as_of=today)
    change = ClassChange.objects.get(dimension="order_size", customer=two["small"])
    assert (change.from_code, change.to_code) == ("small", "big")

    # A pin wins on the next run, with its reason.
    class_pin_set(
        actor=rep_alice,
        customer_id=two["big"].pk,
        dimension="order_size",
        code="small",
        reason="框架合同，单笔金额不代表规模",
        expires_on=today + dt.timedelta(days=30),
    )
    segmentation_run(as_of=today, force=True)
    view = next(
        c
        for c in customer_classes_get(customer_id=two["big"].pk)["classes"]
        if c.dimension == "order_size"
    )
    assert view.code == "small"
    assert view.pin is not None
