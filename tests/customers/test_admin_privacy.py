"""Personal data in Django admin: a staff user who may open another team's customers in admin
(a director) but lacks `customers.export_personal_data` sees their phone, e-mail and WeChat
masked — in change lists, change and view forms, inlines and history versions — and cannot
save over them; holders of the permission and administrators see everything."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from customers.models import Contact, Customer
from tests.crm.test_audit_trail import admin_form_data
from tests.customers.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

PHONE, EMAIL = "13700002222", "bob.secret@example.com"
C_PHONE, C_EMAIL, C_WECHAT = "13655556666", "li.secret@example.com", "bob_wechat_id"
FULL = (PHONE, EMAIL, C_PHONE, C_EMAIL, C_WECHAT)
MASKED = ("137****2222", "b***@example.com", "136****6666", "l***@example.com", "bo****")


def _perms(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="customers", codename__in=codenames)
    )
    return type(user).objects.get(pk=user.pk)  # has_perm caches


EDIT = ("view_customer", "change_customer", "view_contact", "change_contact", "add_contact")


@pytest.fixture
def bob_customer(rep_bob_other_team):
    customer = CustomerFactory(
        owner=rep_bob_other_team, name="Bob Trading", phone=PHONE, email=EMAIL
    )
    ContactFactory(
        customer=customer, name="Li Contact", phone=C_PHONE, email=C_EMAIL, wechat=C_WECHAT
    )
    return customer


@pytest.fixture
def dora(director_dora):
    """A director (sees every team) who may edit customers and contacts in admin, without
    the personal-data permission."""
    return _perms(director_dora, *EDIT)


def _assert_masked(text: str) -> None:
    for value in FULL:
        assert value not in text, value


def test_customer_change_form_is_masked_and_read_only(client, dora, bob_customer):
    client.force_login(dora)
    url = reverse("admin:customers_customer_change", args=[bob_customer.pk])
    page = client.get(url)
    assert page.status_code == 200
    _assert_masked(page.text)
    for masked in ("137****2222", "b***@example.com", "136****6666", "l***@example.com"):
        assert masked in page.text, masked
    assert 'name="phone"' not in page.text
    assert 'name="email"' not in page.text
    assert 'name="contacts-0-phone"' not in page.text
    # The form still saves the other fields; a crafted value for a masked one changes nothing.
    data = admin_form_data(page.text)
    assert "name" in data  # non-personal fields stay editable
    data.update(
        name=["Bob Trading Renamed"],
        phone=["000"],
        email=["x@example.com"],
        **{"contacts-0-phone": ["111"], "contacts-0-email": ["y@example.com"]},
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.text[-3000:]
    bob_customer.refresh_from_db()
    assert bob_customer.name == "Bob Trading Renamed"
    assert (bob_customer.phone, bob_customer.email) == (PHONE, EMAIL)
    contact = Contact.objects.get(customer=bob_customer)
    assert (contact.phone, contact.email, contact.wechat) == (C_PHONE, C_EMAIL, C_WECHAT)


def test_contact_change_form_is_masked_and_read_only(client, dora, bob_customer):
    contact = Contact.objects.get(customer=bob_customer)
    client.force_login(dora)
    url = reverse("admin:customers_contact_change", args=[contact.pk])
    page = client.get(url)
    assert page.status_code == 200
    _assert_masked(page.text)
    for masked in ("136****6666", "l***@example.com", "bo****"):
        assert masked in page.text, masked
    for name in ("phone", "email", "wechat"):
        assert f'name="{name}"' not in page.text
    data = admin_form_data(page.text)
    data.update(title=["Buyer"], phone=["000"], email=["x@example.com"], wechat=["someone_else"])
    response = client.post(url, data)
    assert response.status_code == 302, response.text[-3000:]
    contact.refresh_from_db()
    assert contact.title == "Buyer"
    assert (contact.phone, contact.email, contact.wechat) == (C_PHONE, C_EMAIL, C_WECHAT)


def test_view_only_admin_pages_are_masked(client, director_dora, bob_customer):
    viewer = _perms(director_dora, "view_customer", "view_contact")
    contact = Contact.objects.get(customer=bob_customer)
    client.force_login(viewer)
    for url in (
        reverse("admin:customers_customer_change", args=[bob_customer.pk]),
        reverse("admin:customers_contact_change", args=[contact.pk]),
        reverse("admin:customers_contact_changelist"),
        reverse("admin:customers_customer_changelist"),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        _assert_masked(page.text)
    page = client.get(reverse("admin:customers_contact_change", args=[contact.pk])).text
    assert "136****6666" in page


def test_history_version_view_is_masked(client, dora, bob_customer):
    """A history version shows the current values of the fields the history does not keep
    (phone, e-mail): masked like the change form."""
    version = Customer.history.filter(id=bob_customer.pk).latest("history_date")
    client.force_login(dora)
    url = reverse(
        "admin:customers_customer_simple_history", args=[bob_customer.pk, version.history_id]
    )
    page = client.get(url)
    assert page.status_code == 200
    _assert_masked(page.text)
    assert "137****2222" in page.text
    history = client.get(reverse("admin:customers_customer_history", args=[bob_customer.pk]))
    assert history.status_code == 200
    _assert_masked(history.text)


def test_history_version_is_masked_by_the_current_owner_not_the_old_one(
    client, dora, rep_alice, rep_bob_other_team
):
    """A version from when the customer was in dora's team shows today's phone: today's
    team decides."""
    customer = CustomerFactory(owner=rep_alice, phone=PHONE)
    old = Customer.history.filter(id=customer.pk).latest("history_date")
    customer.owner, customer.team = rep_bob_other_team, rep_bob_other_team.team
    customer.save()
    client.force_login(dora)
    url = reverse("admin:customers_customer_simple_history", args=[customer.pk, old.history_id])
    page = client.get(url).text
    assert PHONE not in page
    assert "137****2222" in page


def test_search_by_phone_finds_no_masked_customer(client, dora, bob_customer, rep_alice):
    """Searching by a full number must not confirm whose it is when the result shows it
    masked; one's own team is still found by phone."""
    own = CustomerFactory(owner=rep_alice, name="Own Team Ltd", phone="13811110000")
    client.force_login(dora)
    customers = reverse("admin:customers_customer_changelist")
    assert "Bob Trading" not in client.get(customers, {"q": PHONE}).text
    assert "Bob Trading" in client.get(customers, {"q": "Bob Trading"}).text
    assert own.name in client.get(customers, {"q": "13811110000"}).text
    contacts = reverse("admin:customers_contact_changelist")
    assert "Li Contact" not in client.get(contacts, {"q": C_PHONE}).text
    assert "Li Contact" in client.get(contacts, {"q": "Li Contact"}).text


def test_permission_holder_and_admin_see_everything(client, dora, admin_ada, bob_customer):
    holder = _perms(dora, "export_personal_data")
    contact = Contact.objects.get(customer=bob_customer)
    for user in (holder, admin_ada):
        client.force_login(user)
        page = client.get(reverse("admin:customers_customer_change", args=[bob_customer.pk]))
        assert f'value="{PHONE}"' in page.text
        assert f'value="{C_PHONE}"' in page.text  # the inline
        page = client.get(reverse("admin:customers_contact_change", args=[contact.pk]))
        assert f'value="{C_WECHAT}"' in page.text
        listed = client.get(reverse("admin:customers_contact_changelist")).text
        assert C_PHONE in listed
        found = client.get(reverse("admin:customers_customer_changelist"), {"q": PHONE}).text
        assert "Bob Trading" in found


def test_own_team_is_editable_in_full(client, rep_alice):
    from tests.crm.factories import UserFactory

    maria = UserFactory(username="maria2", role="manager", team=rep_alice.team, is_staff=True)
    maria = _perms(maria, *EDIT)
    customer = CustomerFactory(owner=rep_alice, phone=PHONE)
    client.force_login(maria)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    page = client.get(url)
    assert f'value="{PHONE}"' in page.text
    data = admin_form_data(page.text)
    data["phone"] = ["13900000000"]
    assert client.post(url, data).status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "13900000000"


def test_admin_change_form_query_count_is_bounded(
    client, dora, bob_customer, django_assert_max_num_queries
):
    for _ in range(10):
        ContactFactory(customer=bob_customer, phone="13000000000")
    client.force_login(dora)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("admin:customers_customer_change", args=[bob_customer.pk]))
    assert "130****0000" in page.text
