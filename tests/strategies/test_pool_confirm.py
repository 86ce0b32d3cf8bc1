"""A pool claim spends a limited quota: it is confirmed first; pool names link to the
customer page where the user's scope allows."""

import pytest
from django.urls import reverse

from strategies.models import PoolEvent, StrategySettings
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pooled(rep_alice):
    return CustomerFactory(owner=None, team=rep_alice.team, name="无主公司")


def test_an_unconfirmed_claim_asks_first_and_changes_nothing(client, rep_alice, pooled):
    StrategySettings.objects.update(claim_limit=3)
    client.force_login(rep_alice)
    response = client.post(reverse("strategies:pool_claim", args=[pooled.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "无主公司" in body
    assert 'name="confirmed" value="1"' in body
    assert "3" in body  # how many claims are left
    pooled.refresh_from_db()
    assert pooled.owner is None
    assert not PoolEvent.objects.exists()


def test_a_confirmed_claim_claims(client, rep_alice, pooled):
    client.force_login(rep_alice)
    response = client.post(reverse("strategies:pool_claim", args=[pooled.pk]), {"confirmed": "1"})
    assert response.status_code == 302
    pooled.refresh_from_db()
    assert pooled.owner == rep_alice
    assert PoolEvent.objects.filter(kind="claim").count() == 1


def test_confirm_page_without_claims_left_offers_no_claim(client, rep_alice, pooled):
    StrategySettings.objects.update(claim_limit=0)
    client.force_login(rep_alice)
    body = client.post(reverse("strategies:pool_claim", args=[pooled.pk])).content.decode()
    assert 'name="confirmed" value="1"' not in body


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rep_bob_other_team", 404), ("manager_maria", 403), ("admin_ada", 403)],
)
def test_the_confirm_step_refuses_like_the_claim(client, personas, pooled, persona, status):
    client.force_login(personas[persona])
    response = client.post(reverse("strategies:pool_claim", args=[pooled.pk]))
    assert response.status_code == status
    assert pooled.name not in response.content.decode()
    pooled.refresh_from_db()
    assert pooled.owner is None


def test_pool_page_has_the_confirm_dialog(client, rep_alice, pooled):
    client.force_login(rep_alice)
    body = client.get(reverse("strategies:pool")).content.decode()
    assert 'data-confirm-dialog="claim-dialog"' in body
    assert '<dialog id="claim-dialog"' in body


@pytest.mark.parametrize(("persona", "linked"), [("rep_alice", False), ("manager_maria", True)])
def test_pool_names_link_where_the_scope_allows(client, personas, pooled, persona, linked):
    client.force_login(personas[persona])
    body = client.get(reverse("strategies:pool")).content.decode()
    assert "无主公司" in body
    link = f'href="{reverse("customers:detail", args=[pooled.pk])}"'
    assert (link in body) is linked
    if linked:
        assert client.get(reverse("customers:detail", args=[pooled.pk])).status_code == 200


def test_pool_page_query_count_does_not_grow(client, manager_maria, django_assert_max_num_queries):
    for _ in range(30):
        CustomerFactory(owner=None, team=manager_maria.team)
    client.force_login(manager_maria)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("strategies:pool")).status_code == 200
