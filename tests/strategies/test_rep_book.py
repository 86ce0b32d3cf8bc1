"""The rep's book of business: classes, movements since last month, tasks, overdue touch."""

import datetime as dt

import pytest
from django.http import Http404

from customers.models import Customer
from segmentation.models import CustomerClasses
from strategies.selectors.rep_book import rep_book_get
from strategies.services.touch import touch_due_refresh
from tests.customers.factories import ContactLogFactory, CustomerFactory
from tests.strategies.factories import (
    ClassChangeFactory,
    EnrollmentFactory,
    PlaybookFactory,
    RunFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


def days(n):
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def book(no_library, rep_alice, rep_amy):
    run = RunFactory(as_of=TODAY, is_current=True)
    old = RunFactory(as_of=days(30))
    c1 = CustomerFactory(owner=rep_alice, name="一号")
    c2 = CustomerFactory(owner=rep_alice, name="二号")
    c3 = CustomerFactory(owner=rep_alice, name="三号")
    c4 = CustomerFactory(owner=rep_amy, name="四号")
    rows = [
        (run, c1, "dormant", "core", 100.0),
        (run, c2, "loyal", "core", 300.0),
        (run, c3, "dormant", "ordinary", None),
        (run, c4, "loyal", "core", 1000.0),
        (old, c1, "repeat", "core", 900.0),  # an older run: not counted
    ]
    for r, c, life, value, revenue in rows:
        CustomerClasses.objects.create(
            run=r, customer=c, lifecycle=life, value_tier=value, revenue_window=revenue
        )
    ClassChangeFactory(customer=c1, run=run, from_code="repeat", to_code="dormant", as_of=days(3))
    ClassChangeFactory(customer=c2, run=run, from_code="repeat", to_code="loyal", as_of=days(10))
    ClassChangeFactory(customer=c3, run=old, dimension="value_tier", from_code="core",
                       to_code="ordinary", as_of=days(40))  # fmt: skip  # before last month
    ClassChangeFactory(customer=c1, run=run, dimension="rfm_r", from_code="3", to_code="1",
                       as_of=days(3))  # fmt: skip  # not a listed dimension
    ClassChangeFactory(customer=c4, run=run, from_code="repeat", to_code="loyal", as_of=days(3))
    TaskFactory(customer=c1, due_on=days(1))  # overdue
    TaskFactory(customer=c2, due_on=TODAY)  # due today
    TaskFactory(customer=c3, due_on=days(20), status="snoozed",
                snoozed_until=TODAY + dt.timedelta(days=1))  # fmt: skip  # open, not overdue
    TaskFactory(customer=c3, due_on=days(5), status="done", closed_on=days(5),
                completed_at=dt.datetime(2026, 11, 18, 9, tzinfo=dt.UTC))  # fmt: skip
    TaskFactory(customer=c3, due_on=days(5), kind="pool_notice")  # not a playbook step
    TaskFactory(customer=c4, due_on=days(1))  # amy's
    pb = PlaybookFactory(max_interval_days=30)
    EnrollmentFactory(customer=c1, playbook=pb, started_on=days(60))  # never contacted
    EnrollmentFactory(customer=c2, playbook=pb, started_on=days(10))  # gap not yet passed
    # Overdue touch counts from the last contact, else the customer's creation.
    Customer.objects.filter(pk__in=[c1.pk, c2.pk, c3.pk, c4.pk]).update(
        created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    )
    ContactLogFactory(customer=c2, occurred_at=dt.datetime.combine(days(10), dt.time(9), dt.UTC))
    # Rows written directly: the next contact deadlines as the night's rebuild leaves them.
    touch_due_refresh()
    return c1, c2, c3, c4


def test_the_book_of_one_rep(book, manager_maria, rep_alice):
    c1, _c2, _c3, _c4 = book
    result = rep_book_get(user=manager_maria, rep_id=rep_alice.pk, today=TODAY)
    assert result.rep == rep_alice
    assert (result.customers, result.revenue_window) == (3, 400.0)
    by_dim = {d.dimension: d for d in result.dimensions}
    life = [(c.code, c.customers, c.revenue) for c in by_dim["lifecycle"].classes]
    assert life == [("loyal", 1, 300.0), ("dormant", 2, 100.0)]  # best class first
    value = [(c.code, c.customers) for c in by_dim["value_tier"].classes]
    assert value == [("core", 2), ("ordinary", 1)]
    moves = [
        (m.dimension, m.from_code, m.to_code, m.customers, m.direction) for m in result.movements
    ]
    assert sorted(moves) == [
        ("lifecycle", "repeat", "dormant", 1, -1),
        ("lifecycle", "repeat", "loyal", 1, 1),
    ]
    assert (result.improved, result.slipped) == (1, 1)
    assert (result.tasks.open, result.tasks.overdue, result.tasks.due_today) == (3, 1, 1)
    assert [c.pk for c in result.overdue_touch] == [c1.pk]
    assert result.overdue_touch_count == 1


def test_a_book_without_a_run_is_empty_but_shows_tasks(no_library, rep_alice):
    TaskFactory(customer=CustomerFactory(owner=rep_alice), due_on=days(1))
    result = rep_book_get(user=rep_alice, rep_id=rep_alice.pk, today=TODAY)
    assert result.run is None
    assert result.customers == 0
    assert all(not d.classes for d in result.dimensions)
    assert result.tasks.overdue == 1


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("rep_alice", True),
        ("rep_amy", False),
        ("rep_bob_other_team", False),
        ("manager_maria", True),
        ("manager_mike_other_team", False),
        ("director_dora", True),
        ("admin_ada", True),
    ],
)
def test_who_may_open_alices_book(book, personas, persona, allowed):
    alice = personas["rep_alice"]
    if allowed:
        assert rep_book_get(user=personas[persona], rep_id=alice.pk, today=TODAY).customers == 3
    else:
        with pytest.raises(Http404):
            rep_book_get(user=personas[persona], rep_id=alice.pk, today=TODAY)


@pytest.mark.parametrize("rep_id", ["x", None, -1, "99999"])
def test_a_missing_or_malformed_rep_is_a_404(book, manager_maria, rep_id):
    with pytest.raises(Http404):
        rep_book_get(user=manager_maria, rep_id=rep_id, today=TODAY)


def test_the_book_costs_the_same_queries_for_a_bigger_book(
    book, manager_maria, rep_alice, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        rep_book_get(user=manager_maria, rep_id=rep_alice.pk, today=TODAY)
    current = CustomerClasses.objects.filter(customer=book[0]).first().run
    for i in range(20):
        c = CustomerFactory(owner=rep_alice)
        CustomerClasses.objects.create(
            run=current, customer=c, lifecycle="new", value_tier="ordinary"
        )
        ClassChangeFactory(
            customer=c, run=current, from_code="intent", to_code="new", as_of=days(i % 20)
        )
        TaskFactory(customer=c, due_on=days(i))
    with django_assert_num_queries(len(small.captured_queries)):
        bigger = rep_book_get(user=manager_maria, rep_id=rep_alice.pk, today=TODAY)
    assert bigger.customers == 23


def test_the_task_page_narrowed_to_one_rep(
    client, book, manager_maria, rep_alice, rep_bob_other_team
):
    from django.urls import reverse

    client.force_login(manager_maria)
    url = reverse("strategies:tasks")
    page = client.get(url, {"owner": rep_alice.pk}).content.decode()
    assert "一号" in page
    assert "四号" not in page  # amy's customer
    assert "四号" in client.get(url).content.decode()  # the whole team without the filter
    assert client.get(url, {"owner": rep_bob_other_team.pk}).status_code == 404
    assert client.get(url, {"owner": "x"}).status_code == 404


def test_the_book_narrowed_to_customer_attributes(book, manager_maria, rep_alice):
    _c1, c2, _c3, _c4 = book
    c2.industry = "retail"
    c2.save()
    retail = rep_book_get(
        user=manager_maria, rep_id=rep_alice.pk, today=TODAY, attrs={"industry": "retail"}
    )
    assert (retail.customers, retail.revenue_window) == (1, 300.0)
    assert [(m.to_code, m.customers) for m in retail.movements] == [("loyal", 1)]
    assert (retail.tasks.open, retail.tasks.due_today, retail.tasks.overdue) == (1, 1, 0)
    assert retail.overdue_touch == []
    with pytest.raises(ValueError, match="unknown attributes"):
        rep_book_get(user=manager_maria, rep_id=rep_alice.pk, today=TODAY, attrs={"name": "x"})


def test_every_book_dimension_is_a_customer_list_filter():
    from customers.filters import CustomerFilter
    from strategies.selectors.rep_book import BOOK_DIMENSIONS

    assert set(BOOK_DIMENSIONS) <= set(CustomerFilter.base_filters)


def test_overdue_touch_of_the_book_follows_the_task_pages_rule(book, manager_maria, rep_alice):
    """The book counts overdue touch in one pass; the task page's selector is the rule."""
    from customers.models import Customer
    from strategies.selectors import overdue_touch_for

    more = PlaybookFactory(max_interval_days=7)
    for i in range(6):
        c = CustomerFactory(owner=rep_alice)
        Customer.objects.filter(pk=c.pk).update(created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
        EnrollmentFactory(customer=c, playbook=more, started_on=days(30))
        if i % 2:
            ContactLogFactory(
                customer=c, occurred_at=dt.datetime.combine(days(3 + i), dt.time(9), dt.UTC)
            )
    touch_due_refresh()
    result = rep_book_get(user=manager_maria, rep_id=rep_alice.pk, today=TODAY)
    rule = overdue_touch_for(user=manager_maria, today=TODAY, owner_id=rep_alice.pk, limit=100)
    assert [(c.pk, c.touch_due_on) for c in result.overdue_touch] == [
        (c.pk, c.touch_due_on) for c in rule
    ]
    # c1, three never contacted, one whose last call (8 days ago) is past the 7-day gap
    assert result.overdue_touch_count == len(rule) == 5
