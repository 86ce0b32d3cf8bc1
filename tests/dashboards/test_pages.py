"""Movements, funnel, value × potential, RFM and risk pages: permissions, scoping, exact
numbers on the small book, drill-down links, exports and constant query counts."""

import pytest
from django.urls import reverse

from segmentation.models import ClassChange, CustomerClasses
from tests.conftest import PERSONAS

pytestmark = pytest.mark.django_db

PAGES = ["movements", "funnel", "value", "rfm", "risks"]


def _url(page):
    return reverse(f"dashboards:{page}")


def _listed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert not response.context["filter"].errors, response.context["filter"].errors
    return {c.pk for c in response.context["customers"]}


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_goes_to_login(client, page):
    response = client.get(_url(page))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_gets_every_page(client, book, request, page, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(_url(page))
    assert response.status_code == 200
    for fmt in ("csv", "xlsx"):
        assert client.get(_url(page), {"export": fmt}).status_code == 200


def test_movements_matrix_and_drill_down(client, book, manager_maria):
    client.force_login(manager_maria)
    data = client.get(_url("movements"), {"dimension": "lifecycle"}).context["data"]
    moves = {(r["from_code"], r["to_code"]): r for r in data["rows"]}
    assert {k: r["customers"] for k, r in moves.items()} == {
        ("new", "repeat"): 1,
        ("repeat", "dormant"): 1,
    }
    assert data["consecutive"]
    assert data["heat"]["cells"]
    assert data["sankey"]["links"]
    c = book["customers"]
    assert _listed(client, moves[("new", "repeat")]["url"]) == {c["amy_new"].pk}
    assert _listed(client, moves[("repeat", "dormant")]["url"]) == {c["alice_dormant"].pk}


def test_movements_of_another_team_are_invisible(client, book, manager_mike_other_team):
    client.force_login(manager_mike_other_team)
    data = client.get(_url("movements"), {"dimension": "lifecycle"}).context["data"]
    team_b = {book["customers"]["bob_loyal"].pk, book["customers"]["bob_prospect"].pk}
    expected = ClassChange.objects.filter(
        run=book["second"], dimension="lifecycle", customer_id__in=team_b
    ).count()
    assert data["total"] == expected


def test_movements_rep_with_attribute_filter_reads_changes(client, book, rep_amy):
    client.force_login(rep_amy)
    data = client.get(_url("movements"), {"dimension": "lifecycle", "industry": "retail"})
    rows = data.context["data"]["rows"]
    assert [(r["from_code"], r["to_code"], r["customers"]) for r in rows] == [("new", "repeat", 1)]


def test_bad_moved_filter_is_reported_on_the_list(client, book, manager_maria):
    client.force_login(manager_maria)
    response = client.get(reverse("customers:list"), {"moved": "lifecycle:nope:loyal:x:y"})
    assert response.context["filter"].errors["moved"]
    assert list(response.context["customers"]) == []


def test_funnel_conversion_exact(client, book, manager_maria):
    client.force_login(manager_maria)
    data = client.get(_url("funnel")).context["data"]
    steps = {s["label"].split(" → ")[0]: s for s in data["steps"]}
    new_step = next(s for s in data["steps"] if s["reference"] == 15)
    # Team A at the first run: amy's customer was the only new one, and bought again.
    assert (new_step["base"], new_step["moved"], new_step["rate"]) == (1, 1, 100.0)
    assert _listed(client, new_step["url"]) == {book["customers"]["amy_new"].pk}
    stages = {s["code"]: s["customers"] for s in data["stages"]}
    assert (stages["prospect"], stages["loyal"], stages["repeat"]) == (1, 1, 1)
    assert len(steps) == 4


def test_value_matrix_and_pareto(client, book, director_dora):
    client.force_login(director_dora)
    data = client.get(_url("value")).context["data"]
    run = book["second"]
    for cell in data["cells"]:
        expected = CustomerClasses.objects.filter(
            run=run, value_tier=cell["tier"], potential=cell["potential"]
        ).count()
        assert cell["customers"] == expected
    busy = max(data["cells"], key=lambda c: c["customers"])
    ids = set(
        CustomerClasses.objects.filter(
            run=run, value_tier=busy["tier"], potential=busy["potential"]
        ).values_list("customer_id", flat=True)
    )
    assert _listed(client, busy["url"]) == ids
    # #17 finding 4: the two never-bought customers are in the prospect cell, not the long
    # tail, and the five cells together hold every classified customer.
    quadrants = {q["code"]: q for q in data["quadrants"]}
    prospects = {book["customers"][k].pk for k in ("alice_prospect", "bob_prospect")}
    assert _listed(client, quadrants["prospect"]["url"]) == prospects
    assert prospects.isdisjoint(_listed(client, quadrants["long_tail"]["url"]))
    assert (
        sum(q["customers"] for q in quadrants.values())
        == CustomerClasses.objects.filter(run=run).exclude(value_potential="unclassified").count()
    )
    assert (
        data["pareto"]["customers"]
        == CustomerClasses.objects.filter(run=run, revenue_window__gt=0).count()
    )
    assert 0 < data["pareto"]["share_for_80"] <= 100
    filtered = client.get(_url("value"), {"industry": "retail"}).context["data"]
    assert filtered["pareto"] is None
    assert filtered["pareto_unavailable"]


def test_rfm_grid_cells_and_drill_down(client, book, manager_maria):
    client.force_login(manager_maria)
    data = client.get(_url("rfm")).context["data"]
    team_a = CustomerClasses.objects.filter(run=book["second"], customer__team__name__isnull=False)
    team_a = team_a.filter(customer__team_id=manager_maria.team_id)
    assert (
        sum(c["customers"] for c in data["cells"])
        == team_a.exclude(rfm_r="unclassified").exclude(rfm_f="unclassified").count()
    )
    cell = next(c for c in data["cells"] if c["customers"])
    ids = set(team_a.filter(rfm_r=cell["r"], rfm_f=cell["f"]).values_list("customer_id", flat=True))
    assert _listed(client, cell["url"]) == ids
    assert sum(s["customers"] for s in data["segments"]) == team_a.count()


def test_risk_lists_sorted_and_scoped(client, book, manager_maria, manager_mike_other_team):
    run = book["second"]
    CustomerClasses.objects.filter(run=run).update(payment_risk="yes")
    for n, cc in enumerate(CustomerClasses.objects.filter(run=run).order_by("customer_id")):
        cc.overdue_amount = 100.0 * (n + 1)
        cc.save(update_fields=["overdue_amount"])
    client.force_login(manager_maria)
    lists = {lst["dimension"]: lst for lst in client.get(_url("risks")).context["data"]["lists"]}
    rows = lists["payment_risk"]["rows"]
    team_a = {c.pk for k, c in book["customers"].items() if not k.startswith("bob")}
    assert {r["customer"].pk for r in rows} == team_a
    values = [r["value"] for r in rows]
    assert values == sorted(values, reverse=True)
    client.force_login(manager_mike_other_team)
    lists = {lst["dimension"]: lst for lst in client.get(_url("risks")).context["data"]["lists"]}
    assert {r["customer"].pk for r in lists["payment_risk"]["rows"]}.isdisjoint(team_a)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("persona", ["manager_maria", "director_dora", "rep_alice"])
def test_query_count_does_not_grow_with_data(
    client, book, request, page, persona, django_assert_max_num_queries
):
    from segmentation.services import segmentation_run
    from tests.customers.factories import CustomerFactory
    from tests.dashboards.conftest import SECOND, buyer

    client.force_login(request.getfixturevalue(persona))
    client.get(_url(page))
    with django_assert_max_num_queries(15) as small:
        client.get(_url(page))
    alice = request.getfixturevalue("rep_alice")
    for i in range(20):
        CustomerFactory(owner=alice)
        buyer(alice, [5 + i, 60 + i], amount="300.00")
    segmentation_run(as_of=SECOND, force=True)
    with django_assert_max_num_queries(15) as large:
        client.get(_url(page))
    assert len(large.captured_queries) == len(small.captured_queries)
