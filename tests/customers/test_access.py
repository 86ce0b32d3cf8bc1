"""The access selector: who sees which customer. Objects outside the scope are 404, never 403."""

import pytest
from django.http import Http404

from customers import access
from tests.customers.factories import (
    ContactFactory,
    ContactLogFactory,
    CustomerFactory,
    ReferralFactory,
    SatisfactionSurveyFactory,
    ServiceCaseFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(personas):
    """One customer per rep, with one of each related record."""
    customers = {
        name: CustomerFactory(owner=personas[name])
        for name in ("rep_alice", "rep_amy", "rep_bob_other_team")
    }
    for c in customers.values():
        TransactionFactory(customer=c)
        ContactFactory(customer=c)
        ContactLogFactory(customer=c)
        ServiceCaseFactory(customer=c)
        SatisfactionSurveyFactory(customer=c)
        ReferralFactory(referrer=c)
    return customers


EXPECTED = {
    "rep_alice": {"rep_alice"},
    "rep_amy": {"rep_amy"},
    "rep_bob_other_team": {"rep_bob_other_team"},
    "manager_maria": {"rep_alice", "rep_amy"},
    "manager_mike_other_team": {"rep_bob_other_team"},
    "director_dora": {"rep_alice", "rep_amy", "rep_bob_other_team"},
    "admin_ada": {"rep_alice", "rep_amy", "rep_bob_other_team"},
}

RELATED = [
    access.transactions_visible_to,
    access.contacts_visible_to,
    access.contact_logs_visible_to,
    access.service_cases_visible_to,
    access.surveys_visible_to,
    access.referrals_visible_to,
]


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_role_sees_exactly_its_scope(persona, personas, book):
    user = personas[persona]
    expected_ids = {book[owner].pk for owner in EXPECTED[persona]}
    assert set(access.customers_visible_to(user).values_list("pk", flat=True)) == expected_ids
    for selector in RELATED:
        assert selector(user).count() == len(expected_ids), selector.__name__


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_customer_get_for_user_is_404_outside_scope(persona, personas, book):
    user = personas[persona]
    for owner, customer in book.items():
        if owner in EXPECTED[persona]:
            assert access.customer_get_for_user(user=user, customer_id=customer.pk) == customer
        else:
            with pytest.raises(Http404):
                access.customer_get_for_user(user=user, customer_id=customer.pk)


@pytest.mark.parametrize("bad_id", [-1, 0, "abc", None, "1; DROP TABLE"])
def test_missing_or_malformed_id_is_404(bad_id, admin_ada):
    with pytest.raises(Http404):
        access.customer_get_for_user(user=admin_ada, customer_id=bad_id)


def test_fails_closed(personas, book):
    from django.contrib.auth.models import AnonymousUser

    assert not access.customers_visible_to(AnonymousUser()).exists()
    inactive = personas["director_dora"]
    inactive.is_active = False
    assert not access.customers_visible_to(inactive).exists()
    # A manager without a team sees nothing rather than everything.
    lone = personas["manager_maria"]
    lone.team = None
    assert not access.customers_visible_to(lone).exists()
    # An unknown role sees nothing.
    odd = personas["rep_alice"]
    odd.role = "intern"
    assert not access.customers_visible_to(odd).exists()
