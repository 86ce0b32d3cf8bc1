"""Overview page: scoping per persona, filters, drill-down links, export, query count."""

import re
from html import unescape

import pytest
from django.urls import reverse

from tests.conftest import PERSONAS

pytestmark = pytest.mark.django_db

URL = reverse("dashboards:overview")


def _headline(response):
    return response.context["data"]["headline"]


def _lifecycle(response):
    dims = {d["dimension"]: d for d in response.context["data"]["dimensions"]}
    return {r["code"]: r for r in dims["lifecycle"]["rows"]}


def test_anonymous_goes_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(
    ("persona", "customers"),
    [
        ("rep_alice", 3),
        ("rep_amy", 2),
        ("rep_bob_other_team", 2),
        ("manager_maria", 5),
        ("manager_mike_other_team", 2),
        ("director_dora", 7),
        ("admin_ada", 7),
    ],
)
def test_each_persona_sees_exactly_their_scope(client, book, request, persona, customers):
    assert set(PERSONAS) >= {persona}
    client.force_login(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == 200
    assert _headline(response)["customers"] == customers


def test_manager_of_another_team_sees_nothing_of_team_a(client, book, manager_mike_other_team):
    client.force_login(manager_mike_other_team)
    lifecycle = _lifecycle(client.get(URL))
    # Team B: one loyal buyer and one prospect; team A's dormant/churned/new never show.
    shown = {code: r["customers"] for code, r in lifecycle.items() if r["customers"]}
    assert shown == {"loyal": 1, "prospect": 1}


def test_manager_cannot_pick_a_rep_of_another_team(client, book, manager_maria, rep_bob_other_team):
    client.force_login(manager_maria)
    response = client.get(URL, {"owner": rep_bob_other_team.pk})
    assert response.context["filter_form"].errors
    assert _headline(response)["customers"] == 5  # ignored, still the own team only


def test_filters_by_rep_and_attribute(client, book, manager_maria, rep_amy):
    client.force_login(manager_maria)
    by_rep = client.get(URL, {"owner": rep_amy.pk})
    assert _headline(by_rep)["customers"] == 2
    by_industry = client.get(URL, {"industry": "retail"})
    assert _headline(by_industry)["customers"] == 1
    both = client.get(URL, {"owner": rep_amy.pk, "region": "south"})
    assert _headline(both)["customers"] == 1
    assert _lifecycle(both)["repeat"]["customers"] == 1


def test_changes_since_previous_run(client, book, manager_maria):
    client.force_login(manager_maria)
    lifecycle = _lifecycle(client.get(URL))
    # A month ago alice's dormant customer was still a repeat buyer and amy's repeat buyer
    # was new: one in, one out of "repeat".
    assert lifecycle["repeat"]["customers"] == 1
    assert lifecycle["repeat"]["delta_previous"] == 0
    assert lifecycle["dormant"]["delta_previous"] == 1
    assert lifecycle["dormant"]["delta_month"] == 1
    assert lifecycle["new"]["customers"] == 0
    assert lifecycle["new"]["delta_previous"] == -1


def test_drill_down_lands_on_exactly_those_customers(client, book, manager_maria):
    client.force_login(manager_maria)
    row = _lifecycle(client.get(URL, {"industry": "manufacturing"}))["dormant"]
    listing = client.get(row["url"])
    assert listing.status_code == 200
    shown = {c.pk for c in listing.context["customers"]}
    assert shown == {book["customers"]["alice_dormant"].pk}
    active = client.get(_headline(client.get(URL))["active_url"])
    assert {c.pk for c in active.context["customers"]} == {
        book["customers"]["alice_loyal"].pk,
        book["customers"]["amy_new"].pk,
    }


def test_every_class_number_is_a_link_on_the_page(client, book, manager_maria):
    client.force_login(manager_maria)
    html = client.get(URL).content.decode()
    links = set(re.findall(r'href="(/customers/\?[^"]+)"', html))
    assert any("lifecycle=dormant" in unescape(link) for link in links)
    assert 'data-chart="overview-donut"' in html
    assert "<script>" not in html.replace('<script id="', "")  # only json_script data blocks


def test_export_csv_and_xlsx(client, book, manager_maria):
    client.force_login(manager_maria)
    csv = b"".join(client.get(URL, {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("dimension,class,customers")
    assert "lifecycle,dormant,1," in csv
    xlsx = client.get(URL, {"export": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(URL, {"export": "pdf"}).status_code == 404


@pytest.mark.parametrize("persona", ["manager_maria", "director_dora", "rep_alice"])
def test_query_count_is_constant(client, book, request, persona, django_assert_max_num_queries):
    from tests.customers.factories import CustomerFactory
    from tests.dashboards.conftest import SECOND

    client.force_login(request.getfixturevalue(persona))
    client.get(URL)  # warm the session/user queries
    with django_assert_max_num_queries(12) as small:
        client.get(URL)
    for _ in range(40):
        CustomerFactory(owner=request.getfixturevalue("rep_alice"))
    from segmentation.services import segmentation_run

    segmentation_run(as_of=SECOND, force=True)
    with django_assert_max_num_queries(12) as large:
        client.get(URL)
    assert len(large.captured_queries) == len(small.captured_queries)
