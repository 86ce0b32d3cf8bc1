"""Customer list, customer page, logging a contact, editing: every persona, query counts."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Contact, ContactLog, Customer
from tests.conftest import PERSONAS, SEES_ALICE
from tests.customers.factories import (
    ContactFactory,
    ContactLogFactory,
    CustomerFactory,
    SatisfactionSurveyFactory,
    ServiceCaseFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_customer(rep_alice):
    return CustomerFactory(
        owner=rep_alice, name="华星机械", external_code="HX001", phone="13800000001"
    )


def _login(client, user):
    client.force_login(user)
    return client


# ---------------------------------------------------------------- list


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_only_visible_customers(client, personas, alice_customer, persona):
    response = _login(client, personas[persona]).get(reverse("customers:list"))
    assert response.status_code == 200
    assert (alice_customer.name in response.content.decode()) == (persona in SEES_ALICE)


def test_list_requires_login(client):
    response = client.get(reverse("customers:list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_list_filters_and_search(client, rep_alice):
    CustomerFactory(owner=rep_alice, name="甲公司", industry="retail", external_code="A1")
    CustomerFactory(owner=rep_alice, name="乙公司", industry="finance", external_code="B1")
    c3 = CustomerFactory(owner=rep_alice, name="丙公司", industry="finance", external_code="C1")
    ContactFactory(customer=c3, name="王小明先生")
    _login(client, rep_alice)
    body = client.get(reverse("customers:list"), {"industry": "finance"}).content.decode()
    assert "乙公司" in body
    assert "丙公司" in body
    assert "甲公司" not in body
    body = client.get(reverse("customers:list"), {"q": "王小明"}).content.decode()
    assert "丙公司" in body
    assert "乙公司" not in body
    body = client.get(reverse("customers:list"), {"q": "b1"}).content.decode()
    assert "乙公司" in body
    assert "甲公司" not in body


def test_list_owner_filter_is_scoped_to_the_managers_team(
    client, manager_maria, rep_bob_other_team
):
    CustomerFactory(owner=rep_bob_other_team, name="别队客户")
    response = _login(client, manager_maria).get(
        reverse("customers:list"), {"owner": rep_bob_other_team.pk}
    )
    assert response.status_code == 200
    assert "别队客户" not in response.content.decode()
    # An owner outside the team is not a valid choice: the form says so.
    assert response.context["filter"].errors


def test_list_keyset_pages_walk_forward_and_back(client, rep_alice):
    for i in range(7):
        CustomerFactory(owner=rep_alice, name=f"客户{i:02d}")
    from customers import selectors

    _login(client, rep_alice)
    old = selectors.PER_PAGE
    selectors.PER_PAGE = 3
    try:
        # customer_list reads PER_PAGE as a default argument; pass through the view instead.
        from customers.selectors import customer_list

        names = []
        params = {"sort": "name"}
        while True:
            _, page = customer_list(user=rep_alice, params=params, per_page=3)
            names += [c.name for c in page.items]
            if not page.next_cursor:
                break
            params = {"sort": "name", "after": page.next_cursor}
        assert names == [f"客户{i:02d}" for i in range(7)]
        _, back = customer_list(
            user=rep_alice, params={"sort": "name", "before": page.prev_cursor}, per_page=3
        )
        assert [c.name for c in back.items] == ["客户03", "客户04", "客户05"]
        assert back.count == 7
    finally:
        selectors.PER_PAGE = old


def test_list_sorted_descending(client, rep_alice):
    for name in ["b", "a", "c"]:
        CustomerFactory(owner=rep_alice, name=name)
    from customers.selectors import customer_list

    _, page = customer_list(user=rep_alice, params={"sort": "-name"})
    assert [c.name for c in page.items] == ["c", "b", "a"]


def _cursor(raw: str) -> str:
    import base64

    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%garbage",
        _cursor("[null, 1]"),  # a null sort key: used to be a 500
        _cursor('["a", "1:2"]'),
        _cursor('["a"]'),
        _cursor('{"a": 1}'),
        _cursor('["a", true]'),
        _cursor('[["a"], 1]'),
        _cursor('["a", -5]'),
        _cursor("not json"),
    ],
)
@pytest.mark.parametrize("direction", ["after", "before"])
def test_list_malformed_cursor_is_400(client, rep_alice, alice_customer, cursor, direction):
    response = _login(client, rep_alice).get(reverse("customers:list"), {direction: cursor})
    assert response.status_code == 400
    body = response.content.decode()
    assert "分页链接无效" in body
    assert alice_customer.name not in body


def test_list_bad_date_cursor_for_date_sort_is_400(client, rep_alice, alice_customer):
    response = _login(client, rep_alice).get(
        reverse("customers:list"), {"sort": "-updated", "after": _cursor('["not a date", 3]')}
    )
    assert response.status_code == 400


def test_list_valid_cursor_still_pages(client, rep_alice, alice_customer):
    from customers.paging import encode_cursor

    response = _login(client, rep_alice).get(
        reverse("customers:list"), {"sort": "name", "after": encode_cursor("0", 0 + 1)}
    )
    assert response.status_code == 200
    assert alice_customer.name in response.content.decode()


def test_list_empty_state(client, rep_amy):
    body = _login(client, rep_amy).get(reverse("customers:list")).content.decode()
    assert "empty-state" in body


def test_list_query_count_does_not_grow_with_rows(
    client, manager_maria, rep_alice, rep_amy, django_assert_max_num_queries
):
    _login(client, manager_maria)
    CustomerFactory.create_batch(3, owner=rep_alice)
    # 9: the filter form also reads the custom dimensions' labels (custom_class filter;
    # cached per process) — once per page, whatever the rows.
    with django_assert_max_num_queries(9) as few:
        client.get(reverse("customers:list"))
    CustomerFactory.create_batch(40, owner=rep_amy)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("customers:list"))
    assert len(response.context["customers"]) == 43


def test_list_htmx_returns_results_fragment(client, rep_alice, alice_customer):
    response = _login(client, rep_alice).get(
        reverse("customers:list"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="customer-results",
    )
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="customer-results"' in body


# ---------------------------------------------------------------- customer page


@pytest.mark.parametrize("persona", PERSONAS)
def test_detail_every_persona(client, personas, alice_customer, persona):
    response = _login(client, personas[persona]).get(
        reverse("customers:detail", args=[alice_customer.pk])
    )
    assert response.status_code == (200 if persona in SEES_ALICE else 404)


def test_detail_missing_id_is_404(client, admin_ada):
    response = _login(client, admin_ada).get("/customers/999999/")
    assert response.status_code == 404


def test_detail_shows_figures_contacts_and_timeline(client, rep_alice, alice_customer):
    today = timezone.localdate()
    TransactionFactory(customer=alice_customer, date=today, amount=1500)
    TransactionFactory(customer=alice_customer, date=dt.date(today.year - 1, 6, 1), amount=700)
    TransactionFactory(customer=alice_customer, date=today, amount=999, status="cancelled")
    ContactFactory(customer=alice_customer, name="李决策", role="decision_maker")
    ContactLogFactory(customer=alice_customer, summary="谈了续约")
    ServiceCaseFactory(customer=alice_customer, subject="送货太慢", opened_on=today)
    SatisfactionSurveyFactory(customer=alice_customer, surveyed_on=today, score=2)
    response = _login(client, rep_alice).get(reverse("customers:detail", args=[alice_customer.pk]))
    figures = response.context["figures"]
    assert figures.revenue_this_year == 1500
    assert figures.revenue_last_year == 700
    assert figures.orders == 2
    body = response.content.decode()
    for text in ["李决策", "谈了续约", "送货太慢"]:
        assert text in body
    kinds = {e.kind for e in response.context["timeline"]}
    assert kinds == {"transaction", "log", "case", "survey"}


def test_detail_timeline_is_newest_first_and_paginated(client, rep_alice, alice_customer):
    base = dt.date(2025, 1, 1)
    for i in range(25):
        TransactionFactory(customer=alice_customer, date=base + dt.timedelta(days=i))
    _login(client, rep_alice)
    first = client.get(reverse("customers:detail", args=[alice_customer.pk])).context
    dates = [e.when for e in first["timeline"]]
    assert dates == sorted(dates, reverse=True)
    assert len(dates) == 20
    assert first["timeline_has_more"]
    second = client.get(reverse("customers:timeline", args=[alice_customer.pk]), {"tpage": 2})
    assert second.status_code == 200
    assert len(second.context["timeline"]) == 5


def test_detail_query_count_constant(
    client, rep_alice, alice_customer, django_assert_max_num_queries
):
    _login(client, rep_alice)
    url = reverse("customers:detail", args=[alice_customer.pk])
    # One of each kind first: the timeline loads each kind present with one query.
    TransactionFactory(customer=alice_customer)
    ContactLogFactory(customer=alice_customer)
    ServiceCaseFactory(customer=alice_customer)
    SatisfactionSurveyFactory(customer=alice_customer)
    ContactFactory(customer=alice_customer)
    # The cap leaves room for insight panels other apps register; what matters is that the
    # count does not grow with the customer's history (second block).
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    TransactionFactory.create_batch(30, customer=alice_customer)
    ContactLogFactory.create_batch(10, customer=alice_customer)
    ContactFactory.create_batch(5, customer=alice_customer)
    ServiceCaseFactory.create_batch(5, customer=alice_customer)
    SatisfactionSurveyFactory.create_batch(5, customer=alice_customer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_detail_renders_registered_insight_panel(
    client, rep_alice, alice_customer, tmp_path, settings
):
    from customers import extensions

    (tmp_path / "panel.html").write_text("<p>PANEL for {{ customer.external_code }}</p>")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    extensions.register_insight_panel("panel.html")
    try:
        body = (
            _login(client, rep_alice)
            .get(reverse("customers:detail", args=[alice_customer.pk]))
            .content.decode()
        )
    finally:
        extensions._insight_panels.remove("panel.html")
    assert "PANEL for HX001" in body


# ---------------------------------------------------------------- log a contact


def _log_data(**extra):
    return {
        "channel": "call",
        "direction": "outbound",
        "outcome": "reached",
        "summary": "约了下周拜访",
        "next_follow_up": "",
        **extra,
    }


def test_htmx_log_returns_fragment_and_persists(client, rep_alice, alice_customer):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = _login(client, rep_alice).post(
        reverse("customers:log", args=[alice_customer.pk]),
        _log_data(next_follow_up=tomorrow.isoformat()),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="timeline"' in body
    assert "约了下周拜访" in body
    assert "hx-swap-oob" in body
    log = ContactLog.objects.get(customer=alice_customer)
    assert log.rep == rep_alice
    assert log.next_follow_up == tomorrow


def test_htmx_log_invalid_returns_form_with_errors(client, rep_alice, alice_customer):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = _login(client, rep_alice).post(
        reverse("customers:log", args=[alice_customer.pk]),
        _log_data(summary="  ", next_follow_up=yesterday.isoformat()),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#log-form"
    assert 'class="error"' in response.content.decode()
    assert not ContactLog.objects.exists()


def test_log_without_htmx_redirects(client, rep_alice, alice_customer):
    response = _login(client, rep_alice).post(
        reverse("customers:log", args=[alice_customer.pk]), _log_data()
    )
    assert response.status_code == 302
    assert ContactLog.objects.filter(customer=alice_customer).count() == 1


def test_log_contact_of_another_customer_is_refused(client, rep_alice, alice_customer):
    stranger = ContactFactory(customer=CustomerFactory(owner=rep_alice))
    response = _login(client, rep_alice).post(
        reverse("customers:log", args=[alice_customer.pk]), _log_data(contact=stranger.pk)
    )
    assert response.status_code == 400
    assert not ContactLog.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_log_every_persona(client, personas, alice_customer, persona):
    response = _login(client, personas[persona]).post(
        reverse("customers:log", args=[alice_customer.pk]), _log_data()
    )
    if persona in SEES_ALICE:
        assert response.status_code == 302
        assert ContactLog.objects.filter(customer=alice_customer).count() == 1
    else:
        assert response.status_code == 404
        assert not ContactLog.objects.exists()


# ---------------------------------------------------------------- create / edit


def _customer_data(**extra):
    data = {
        "external_code": "NEW1",
        "name": "新客户",
        "kind": "company",
        "industry": "retail",
        "size": "small",
        "region": "east",
        "market": "domestic",
        "source_channel": "website",
        "industry_outlook": "stable",
        "acquisition_cost": "0",
    }
    data.update(extra)
    return data


def test_rep_creates_customer_owned_by_themselves(client, rep_alice, rep_amy):
    response = _login(client, rep_alice).post(
        reverse("customers:create"), _customer_data(owner=rep_amy.pk)
    )
    assert response.status_code == 302
    customer = Customer.objects.get(external_code="NEW1")
    assert customer.owner == rep_alice
    assert customer.team == rep_alice.team


def test_create_form_errors_are_specific(client, rep_alice):
    response = _login(client, rep_alice).post(
        reverse("customers:create"), _customer_data(name="", acquisition_cost="-5")
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "name" in form.errors
    assert "acquisition_cost" in form.errors
    assert not Customer.objects.exists()


def test_create_warns_about_duplicate_and_links_it(client, rep_alice, alice_customer):
    _login(client, rep_alice)
    response = client.post(reverse("customers:create"), _customer_data(phone="13800000001"))
    assert response.status_code == 400
    body = response.content.decode()
    assert reverse("customers:detail", args=[alice_customer.pk]) in body
    assert not Customer.objects.filter(external_code="NEW1").exists()
    response = client.post(
        reverse("customers:create"), _customer_data(phone="13800000001", confirm_duplicate="on")
    )
    assert response.status_code == 302
    assert Customer.objects.filter(external_code="NEW1").exists()


def test_duplicate_of_invisible_customer_is_counted_not_shown(
    client, rep_bob_other_team, alice_customer
):
    response = _login(client, rep_bob_other_team).post(
        reverse("customers:create"), _customer_data(name="华星机械")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert reverse("customers:detail", args=[alice_customer.pk]) not in body
    assert response.context["form"].hidden_duplicates == 1


@pytest.mark.parametrize("persona", PERSONAS)
def test_edit_every_persona(client, personas, alice_customer, persona):
    _login(client, personas[persona])
    url = reverse("customers:edit", args=[alice_customer.pk])
    assert client.get(url).status_code == (200 if persona in SEES_ALICE else 404)
    data = _customer_data(name="改名了", owner=alice_customer.owner_id)
    data.pop("external_code")
    response = client.post(url, data)
    alice_customer.refresh_from_db()
    if persona in SEES_ALICE:
        assert response.status_code == 302
        assert alice_customer.name == "改名了"
    else:
        assert response.status_code == 404
        assert alice_customer.name == "华星机械"


def test_manager_reassigns_owner_within_team_only(
    client, manager_maria, rep_amy, rep_bob_other_team, alice_customer
):
    _login(client, manager_maria)
    url = reverse("customers:edit", args=[alice_customer.pk])
    data = _customer_data(
        owner=rep_bob_other_team.pk, name=alice_customer.name, phone=alice_customer.phone
    )
    data.pop("external_code")
    response = client.post(url, data)
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    data["owner"] = rep_amy.pk
    assert client.post(url, data).status_code == 302
    alice_customer.refresh_from_db()
    assert alice_customer.owner == rep_amy


def test_rep_cannot_reassign_owner(client, rep_alice, rep_amy, alice_customer):
    data = _customer_data(owner=rep_amy.pk, name=alice_customer.name, phone=alice_customer.phone)
    data.pop("external_code")
    _login(client, rep_alice).post(reverse("customers:edit", args=[alice_customer.pk]), data)
    alice_customer.refresh_from_db()
    assert alice_customer.owner == rep_alice


@pytest.mark.parametrize("persona", PERSONAS)
def test_contact_add_every_persona(client, personas, alice_customer, persona):
    response = _login(client, personas[persona]).post(
        reverse("customers:contact_create", args=[alice_customer.pk]),
        {"name": "赵用户", "role": "user"},
    )
    if persona in SEES_ALICE:
        assert response.status_code == 302
        assert Contact.objects.filter(customer=alice_customer, name="赵用户").exists()
    else:
        assert response.status_code == 404
        assert not Contact.objects.exists()


def test_contact_edit_of_other_customer_is_404(client, rep_alice, alice_customer):
    other = ContactFactory(customer=CustomerFactory(owner=rep_alice))
    response = _login(client, rep_alice).get(
        reverse("customers:contact_edit", args=[alice_customer.pk, other.pk])
    )
    assert response.status_code == 404


def test_new_primary_contact_takes_over(client, rep_alice, alice_customer):
    first = ContactFactory(customer=alice_customer, is_primary=True)
    _login(client, rep_alice).post(
        reverse("customers:contact_create", args=[alice_customer.pk]),
        {"name": "新主联系人", "role": "decision_maker", "is_primary": "on"},
    )
    first.refresh_from_db()
    assert not first.is_primary
    assert Contact.objects.get(name="新主联系人").is_primary


# ---------------------------------------------------------------- languages and 404


def test_pages_in_chinese_by_default_and_english_on_request(client, rep_alice, alice_customer):
    _login(client, rep_alice)
    url = reverse("customers:detail", args=[alice_customer.pk])
    assert "时间线" in client.get(url).content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Timeline" in english
    assert "Log a contact" in english
    listing = client.get(reverse("customers:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Filters" in listing


def test_other_reps_customer_gets_a_friendly_404(client, rep_bob_other_team, alice_customer):
    response = _login(client, rep_bob_other_team).get(
        reverse("customers:detail", args=[alice_customer.pk])
    )
    assert response.status_code == 404
    body = response.content.decode()
    assert alice_customer.name not in body
    assert reverse("home") in body  # a way back


@pytest.mark.parametrize("persona", PERSONAS)
def test_timeline_fragment_every_persona(client, personas, alice_customer, persona):
    ContactLogFactory(customer=alice_customer, summary="只给能看的人")
    response = _login(client, personas[persona]).get(
        reverse("customers:timeline", args=[alice_customer.pk])
    )
    assert response.status_code == (200 if persona in SEES_ALICE else 404)
    assert ("只给能看的人" in response.content.decode()) == (persona in SEES_ALICE)


@pytest.mark.parametrize("persona", PERSONAS)
def test_contact_edit_every_persona(client, personas, alice_customer, persona):
    contact = ContactFactory(customer=alice_customer, name="原名")
    url = reverse("customers:contact_edit", args=[alice_customer.pk, contact.pk])
    response = _login(client, personas[persona]).post(url, {"name": "新名", "role": "user"})
    contact.refresh_from_db()
    if persona in SEES_ALICE:
        assert response.status_code == 302
        assert contact.name == "新名"
    else:
        assert response.status_code == 404
        assert contact.name == "原名"


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_page_every_persona(client, personas, persona):
    _login(client, personas[persona])
    assert client.get(reverse("customers:create")).status_code == 200
    data = _customer_data(external_code=f"P-{persona}")
    user = personas[persona]
    # Managers own or assign; an admin is not a sales user and assigns a rep.
    owner = personas["rep_alice"] if user.is_crm_admin else user
    if not user.is_rep:
        data["owner"] = owner.pk
    response = client.post(reverse("customers:create"), data)
    assert response.status_code == 302
    created = Customer.objects.get(external_code=f"P-{persona}")
    assert created.owner == owner
    assert created.team == owner.team


def test_anonymous_is_sent_to_login_everywhere(client, alice_customer):
    for url in [
        reverse("customers:detail", args=[alice_customer.pk]),
        reverse("customers:edit", args=[alice_customer.pk]),
        reverse("customers:timeline", args=[alice_customer.pk]),
        reverse("customers:create"),
        reverse("customers:import"),
        reverse("customers:export", args=["csv"]),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert reverse("login") in response["Location"]
    response = client.post(reverse("customers:log", args=[alice_customer.pk]), _log_data())
    assert response.status_code == 302
    assert not ContactLog.objects.exists()
