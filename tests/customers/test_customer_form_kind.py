"""The customer form: 获客成本 is optional; fields are shown by customer kind."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Customer
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

DATA = {
    "external_code": "NEW1",
    "name": "新客户",
    "kind": "company",
    "industry": "retail",
    "size": "small",
    "region": "east",
    "market": "domestic",
    "source_channel": "website",
    "industry_outlook": "stable",
}


def test_acquisition_cost_may_be_left_blank(client, rep_alice):
    client.force_login(rep_alice)
    response = client.post(reverse("customers:create"), {**DATA, "acquisition_cost": ""})
    assert response.status_code == 302
    assert Customer.objects.get(external_code="NEW1").acquisition_cost == Decimal(0)


def test_acquisition_cost_is_not_marked_required(client, rep_alice):
    client.force_login(rep_alice)
    body = client.get(reverse("customers:create")).content.decode()
    field = re.search(r'<input[^>]*name="acquisition_cost"[^>]*>', body).group(0)
    assert "required" not in field


def test_a_given_acquisition_cost_is_kept(client, rep_alice):
    client.force_login(rep_alice)
    client.post(reverse("customers:create"), {**DATA, "acquisition_cost": "350"})
    assert Customer.objects.get(external_code="NEW1").acquisition_cost == Decimal(350)


@pytest.mark.parametrize(
    ("field", "css_class"),
    [
        ("age_band", "only-individual"),
        ("marital_status", "only-individual"),
        ("employees", "only-company"),
        ("tax_number", "only-company"),
    ],
)
def test_fields_are_marked_by_customer_kind(client, rep_alice, field, css_class):
    customer = CustomerFactory(owner=rep_alice, kind="company")
    client.force_login(rep_alice)
    body = client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    label = re.search(
        rf'<label class="[^"]*">[^<]*(?:<[^l][^>]*>[^<]*)*?<[^>]*name="{field}"', body
    )
    assert label is not None, field
    assert css_class in label.group(0)
    # Fields shared by both kinds carry neither class.
    shared = re.search(r'<label class="([^"]*)">[^<]*<input[^>]*name="name"', body)
    assert "only-" not in shared.group(1)
