"""The customer list's search and counts at scale: each search branch paged on its own index,
the union paged and counted exactly (up to a cap), no count when one page holds everything."""

import factory
import pytest
from django.db import connection
from django.urls import reverse

from crm.pagination import COUNT_CAP
from customers import selectors
from customers.filters import CustomerFilter, search_branches
from customers.models import Customer
from customers.paging import SortOption, capped_count, keyset_page
from customers.selectors import SEARCH_COUNT_CAP, customer_list
from tests.customers.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(rep_alice, rep_bob_other_team):
    """Alice's customers, each found by a different search branch, and one of Bob's."""
    made = {
        "name": CustomerFactory(owner=rep_alice, name="星河科技有限公司", external_code="K100"),
        "name_latin": CustomerFactory(owner=rep_alice, name="Acme Robotics", external_code="K101"),
        "code": CustomerFactory(owner=rep_alice, name="甲商行", external_code="科技-7"),
        "phone": CustomerFactory(
            owner=rep_alice, name="乙商行", external_code="K102", phone="13812345678"
        ),
        "contact": CustomerFactory(owner=rep_alice, name="丙商行", external_code="K103"),
        "none": CustomerFactory(owner=rep_alice, name="丁商行", external_code="K104"),
        "bob": CustomerFactory(owner=rep_bob_other_team, name="戊科技公司", external_code="K105"),
    }
    ContactFactory(customer=made["contact"], name="王科技员")
    return made


def _names(user, **params):
    _, page = customer_list(user=user, params=params)
    return {c.name for c in page.items}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        # One and two characters: the name only (no trigram for contacts), any case.
        ("科", {"name", "code"}),
        ("科技", {"name", "code"}),
        ("ac", {"name_latin"}),
        ("AC", {"name_latin"}),
        # Three and more: contacts' names too.
        ("王科技", {"contact"}),
        ("robot", {"name_latin"}),
        ("138123", {"phone"}),
        ("科技-", {"code"}),
        ("k10", {"name", "name_latin", "phone", "contact", "none"}),
        ("没有这个", set()),
    ],
)
def test_search_finds_each_branch_in_the_users_scope_only(rep_alice, book, term, expected):
    assert _names(rep_alice, q=term) == {book[k].name for k in expected}


def test_search_of_spaces_only_is_no_search(rep_alice, book):
    assert search_branches("   ") == []
    assert book["bob"].name not in _names(rep_alice, q="   ")
    assert len(_names(rep_alice, q="   ")) == 6


def test_export_queryset_matches_the_list(rep_alice, book):
    """Exports filter with one OR of the branches; the list with the union: same customers."""
    params = {"q": "科技"}
    exported = set(
        selectors.customer_filtered_queryset(user=rep_alice, params=params).values_list(
            "name", flat=True
        )
    )
    assert exported == _names(rep_alice, **params) == {book["name"].name, book["code"].name}


def test_search_pages_walk_forward_and_back_across_branches(rep_alice):
    """Rows found by different branches (and by two at once) interleave in name order, each
    exactly once, forward and back."""
    expected = []
    for i in range(9):
        # Every third matches by name, code and phone at once; the others by one branch.
        name = f"客户{i:02d}" + ("科技" if i % 2 == 0 else "")
        code = f"科技{i}" if i % 3 == 0 else f"X{i}"
        CustomerFactory(owner=rep_alice, name=name, external_code=code)
        if i % 2 == 0 or i % 3 == 0:
            expected.append(name)
    CustomerFactory(owner=rep_alice, name="客户99", external_code="X99")

    seen, params, page = [], {"q": "科技", "sort": "name"}, None
    while True:
        _, page = customer_list(user=rep_alice, params=params, per_page=2)
        seen += [c.name for c in page.items]
        if not page.next_cursor:
            break
        params = {"q": "科技", "sort": "name", "after": page.next_cursor}
    assert seen == expected
    assert page.count == len(expected)

    _, back = customer_list(
        user=rep_alice,
        params={"q": "科技", "sort": "name", "before": page.prev_cursor},
        per_page=2,
    )
    assert [c.name for c in back.items] == expected[-4:-2]


def test_search_sorted_descending(rep_alice):
    for name in ["科技a", "科技c", "科技b", "其他"]:
        CustomerFactory(owner=rep_alice, name=name)
    _, page = customer_list(user=rep_alice, params={"q": "科技", "sort": "-name"})
    assert [c.name for c in page.items] == ["科技c", "科技b", "科技a"]


def test_union_count_counts_a_customer_found_twice_once(rep_alice):
    CustomerFactory(owner=rep_alice, name="科技一号", external_code="科技1")
    CustomerFactory(owner=rep_alice, name="科技二号", external_code="Y2")
    queryset = Customer.objects.filter(owner=rep_alice)
    assert capped_count(queryset, any_of=search_branches("科技")) == 2


def test_union_count_stops_at_the_cap(rep_alice):
    for i in range(4):
        CustomerFactory(owner=rep_alice, name=f"科技{i}", external_code=f"科技{i}")
    queryset = Customer.objects.filter(owner=rep_alice)
    # Each branch stops at cap + 1 (3); the union then holds more than the cap.
    assert capped_count(queryset, any_of=search_branches("科技"), cap=2) == 3


def test_search_says_more_than_the_search_cap(client, rep_alice, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 3)
    for i in range(6):
        CustomerFactory(owner=rep_alice, name=f"科技{i}")
    client.force_login(rep_alice)
    _, page = customer_list(user=rep_alice, params={"q": "科技"}, per_page=2)
    assert (page.count, page.count_is_capped) == (3, True)
    # Without a search the list's own cap applies.
    _, page = customer_list(user=rep_alice, params={}, per_page=2)
    assert (page.count, page.count_is_capped) == (6, False)
    # The page: more rows than one page holds, so the count is run (and capped).
    CustomerFactory.create_batch(
        selectors.PER_PAGE, owner=rep_alice, name=factory.Sequence(lambda n: f"科技公司{n}")
    )
    body = client.get(reverse("customers:list"), {"q": "科技"}).content.decode()
    assert "超过 3 个客户" in body
    assert SEARCH_COUNT_CAP < COUNT_CAP


def test_one_page_of_results_is_counted_without_a_count_query(rep_alice, django_assert_num_queries):
    for i in range(3):
        CustomerFactory(owner=rep_alice, name=f"客户{i}")
    queryset = Customer.objects.filter(owner=rep_alice)
    sort = SortOption("name", "name")
    with django_assert_num_queries(1):
        page = keyset_page(queryset, sort=sort, per_page=3)
    assert (page.count, page.count_is_capped, page.next_cursor) == (3, False, None)
    # One more row than a page: the rows query cannot tell the total, the count does.
    CustomerFactory(owner=rep_alice, name="客户9")
    with django_assert_num_queries(2):
        page = keyset_page(queryset, sort=sort, per_page=3)
    assert page.count == 4


def test_search_query_count_does_not_grow_with_rows(rep_alice, django_assert_num_queries):
    """Branches (name, code, phone, contacts), the page's rows, the count: a fixed number."""
    for i in range(5):
        CustomerFactory(owner=rep_alice, name=f"科技公司{i:02d}")
    with django_assert_num_queries(6) as few:
        customer_list(user=rep_alice, params={"q": "科技公司"}, per_page=2)
    for i in range(30):
        CustomerFactory(owner=rep_alice, name=f"科技公司{i + 5:02d}")
    with django_assert_num_queries(len(few.captured_queries)):
        customer_list(user=rep_alice, params={"q": "科技公司"}, per_page=2)


def test_split_search_keeps_every_other_filter(rep_alice):
    CustomerFactory(owner=rep_alice, name="科技甲", industry="finance")
    CustomerFactory(owner=rep_alice, name="科技乙", industry="retail")
    filterset = CustomerFilter(
        {"q": " 科技 ", "industry": "finance"},
        queryset=Customer.objects.filter(owner=rep_alice),
        user=rep_alice,
    )
    assert filterset.is_valid()
    queryset, term = filterset.split_search()
    assert term == "科技"
    assert list(queryset.values_list("name", flat=True)) == ["科技甲"]
    assert {c.name for c in filterset.qs} == {"科技甲"}


@pytest.mark.parametrize("common", [False, True])
def test_common_two_character_term_pages_the_same(rep_alice, monkeypatch, common):
    """A two-character term found more often than the search counts pages by walking the
    name order (PostgreSQL): same rows, same order, the count capped without counting."""
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 4 if common else 1_000)
    for i in range(7):
        CustomerFactory(owner=rep_alice, name=f"{i}号科技", external_code=f"Z{i}")
    CustomerFactory(owner=rep_alice, name="科学技术", external_code="Z9")  # both characters
    names, params = [], {"q": "科技"}
    while True:
        _, page = customer_list(user=rep_alice, params=params, per_page=3)
        names += [c.name for c in page.items]
        if not page.next_cursor:
            break
        params = {"q": "科技", "after": page.next_cursor}
    assert names == [f"{i}号科技" for i in range(7)]
    assert (page.count, page.count_is_capped) == ((4, True) if common else (7, False))


@pytest.mark.needs_postgres
def test_short_search_writes_the_character_index_expression():
    """The expression the search writes is the one customer_name_chars_idx holds (migration
    0008): if the two drift apart, a one- or two-character search reads every name."""
    queryset = Customer.objects.filter(search_branches("科技")[0]).order_by().values("pk")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_indexdef('customer_name_chars_idx'::regclass)")
        indexdef = cur.fetchone()[0]
        cur.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    expression = indexdef.split("USING gin (", 1)[1].rsplit(")", 1)[0]
    assert expression == "string_to_array(upper((name)::text), NULL::text)"
    assert f"{expression} @> '{{科,技}}'::text[]" in plan


def test_filter_selects_render_as_djangos_and_escape_labels(rep_alice):
    """The filter form writes its <select>s itself (a template per <option> is slow): same
    markup as Django's, labels and values escaped."""
    from django import forms

    from customers.filters import _PlainSelect

    choices = [("", "---------"), ("a&b", "<b>Tom & Jerry</b>"), ("east", "华东")]
    ours = _PlainSelect(choices=choices).render("region", "east", attrs={"id": "id_region"})
    django = forms.Select(choices=choices).render("region", "east", attrs={"id": "id_region"})
    assert ours == django.replace("\n\n", "\n")
    assert '<option value="a&amp;b">&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</option>' in ours
    assert '<option value="east" selected>华东</option>' in ours
    filterset = CustomerFilter({}, queryset=Customer.objects.none(), user=rep_alice)
    assert type(filterset.form.fields["lifecycle"].widget) is _PlainSelect
