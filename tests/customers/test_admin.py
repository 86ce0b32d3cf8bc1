"""Managers browse customers in admin, scoped by the access selector."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.customers.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def can_view(manager_maria):
    perms = Permission.objects.filter(
        content_type__app_label="customers", codename__startswith="view_"
    )
    manager_maria.user_permissions.add(*perms)
    return manager_maria


def test_manager_sees_only_team_customers_in_admin(client, can_view, rep_alice, rep_bob_other_team):
    own = CustomerFactory(owner=rep_alice, name="Own team customer")
    other = CustomerFactory(owner=rep_bob_other_team, name="Other team customer")
    client.force_login(can_view)
    page = client.get(reverse("admin:customers_customer_changelist"))
    assert page.status_code == 200
    assert own.name in page.text
    assert other.name not in page.text
    # Another team's customer is not found, not forbidden.
    response = client.get(reverse("admin:customers_customer_change", args=[other.pk]))
    assert response.status_code == 302  # admin redirects "does not exist" to the index
    assert other.name not in client.get(response.url).text


def test_admin_transaction_list_is_scoped(client, can_view, rep_alice, rep_bob_other_team):
    TransactionFactory(customer=CustomerFactory(owner=rep_alice, name="Alpha Ltd"))
    TransactionFactory(customer=CustomerFactory(owner=rep_bob_other_team, name="Beta Ltd"))
    client.force_login(can_view)
    page = client.get(reverse("admin:customers_transaction_changelist"))
    assert "Alpha Ltd" in page.text
    assert "Beta Ltd" not in page.text


@pytest.mark.parametrize(
    "model",
    [
        "customer",
        "contact",
        "category",
        "product",
        "transaction",
        "contactlog",
        "servicecase",
        "satisfactionsurvey",
        "referral",
    ],
)
def test_every_admin_changelist_and_add_page_renders(client, admin_ada, model):
    client.force_login(admin_ada)
    assert client.get(reverse(f"admin:customers_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:customers_{model}_add")).status_code == 200


def test_changelist_query_count_does_not_grow(client, admin_ada, django_assert_max_num_queries):
    CustomerFactory.create_batch(30)
    client.force_login(admin_ada)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("admin:customers_customer_changelist")).status_code == 200
