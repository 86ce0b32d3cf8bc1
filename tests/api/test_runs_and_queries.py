"""A real run started through the API (admins only), the classes and counts it produces as
the API shows them, and the query counts of the list endpoints (constant, whatever the size
of the page)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.api.conftest import bearer
from tests.customers.factories import ContactLogFactory, CustomerFactory, TransactionFactory
from tests.strategies.factories import TaskFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


def _buyer(owner, days, amount="1000.00"):
    customer = CustomerFactory(owner=owner)
    for d in days:
        TransactionFactory(
            customer=customer, date=AS_OF - dt.timedelta(days=d), amount=Decimal(amount)
        )
    return customer


def test_admin_starts_a_run_and_reads_its_classes(api, tokens, personas):
    alice = personas["rep_alice"]
    loyal = _buyer(alice, [5, 40, 70, 100, 130, 160, 200, 400], "9000.00")
    _buyer(alice, [142, 300], "500.00")
    _buyer(personas["rep_bob_other_team"], [500], "200.00")
    refused = bearer(api, tokens["manager_maria"]).post(
        "/api/v1/runs/", {"as_of": AS_OF.isoformat()}, format="json"
    )
    assert refused.status_code == 403
    r = bearer(api, tokens["admin_ada"]).post(
        "/api/v1/runs/", {"as_of": AS_OF.isoformat()}, format="json"
    )
    assert r.status_code == 202, r.content
    run = r.json()
    assert run["status"] == "succeeded"  # eager Celery: the run finished in the request
    assert run["triggered_by"] == "api:admin_ada"
    assert bearer(api, tokens["rep_alice"]).get(f"/api/v1/runs/{run['id']}/").status_code == 200

    client = bearer(api, tokens["rep_alice"])
    classes = client.get(f"/api/v1/customers/{loyal.external_code}/classes/").json()
    assert classes["run"]["id"] == run["id"]
    lifecycle = next(c for c in classes["classes"] if c["dimension"] == "lifecycle")
    assert lifecycle["code"]
    assert lifecycle["reason"]
    listed = client.get("/api/v1/customers/?lifecycle=" + lifecycle["code"]).json()["results"]
    assert loyal.external_code in [c["code"] for c in listed]
    assert listed[0]["classes"]["lifecycle"]

    # Counts per team and rep: a rep sees their own book, a director every team.
    mine = client.get("/api/v1/class-counts/?dimension=lifecycle").json()
    assert [t["team_id"] for t in mine["teams"]] == [alice.team_id]
    assert sum(mine["teams"][0]["classes"].values()) == 2
    assert {r["username"] for r in mine["teams"][0]["reps"]} == {"rep_alice"}
    everyone = bearer(api, tokens["director_dora"]).get("/api/v1/class-counts/").json()
    assert sum(sum(t["classes"].values()) for t in everyone["teams"]) == 3


def test_second_run_while_one_is_running_is_refused(api, tokens, monkeypatch):
    from segmentation.pipeline import executors as workflow
    from segmentation.services import RunInProgress

    def busy(**kwargs):
        raise RunInProgress("a run as of 2026-06-30 is in progress (40%)")

    monkeypatch.setattr(workflow, "run_start", busy)
    r = bearer(api, tokens["admin_ada"]).post("/api/v1/runs/", {}, format="json")
    assert r.status_code == 409
    assert "in progress" in r.json()["detail"]


@pytest.mark.parametrize("rows", [3, 30])
def test_customer_list_query_count_is_constant(
    api, tokens, personas, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        ContactLogFactory(customer=CustomerFactory(owner=personas["rep_alice"]))
    client = bearer(api, tokens["manager_maria"])
    # token, page (+ capped count), current run, classes of the page
    with django_assert_max_num_queries(6):
        r = client.get("/api/v1/customers/?page_size=50")
    assert len(r.json()["results"]) == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_nested_lists_query_count_is_constant(
    api, tokens, personas, rows, django_assert_max_num_queries
):
    customer = CustomerFactory(owner=personas["rep_alice"], external_code="Q-1")
    for i in range(rows):
        ContactLogFactory(customer=customer, rep=personas["rep_alice"])
        TransactionFactory(customer=customer, external_code=f"Q-ORD-{i}")
        TaskFactory(customer=customer, due_on=AS_OF)
    client = bearer(api, tokens["rep_alice"])
    for url in (
        "/api/v1/customers/Q-1/contact-logs/",
        "/api/v1/customers/Q-1/transactions/",
        "/api/v1/customers/Q-1/contacts/",
        "/api/v1/tasks/",
        "/api/v1/playbooks/",
    ):
        # token, (last-used stamp, once a minute), customer, page: no session is made for a
        # token request, and nothing per row
        with django_assert_max_num_queries(4):
            r = client.get(url)
        assert r.status_code == 200, url


def test_batch_query_count_does_not_grow_per_row(
    api, tokens, personas, django_assert_max_num_queries
):
    CustomerFactory(owner=personas["rep_alice"], external_code="B-1")
    items = [
        {"customer_code": "B-1", "code": f"B-ORD-{i}", "date": "2026-03-02", "amount": "5"}
        for i in range(300)
    ]
    client = bearer(api, tokens["rep_alice"])
    with django_assert_max_num_queries(30):
        r = client.post("/api/v1/transactions/batch/", {"items": items}, format="json")
    assert r.json() == {"rows": 300, "created": 300, "updated": 0}


def test_token_requests_make_no_sessions(api, tokens):
    from django.contrib.sessions.models import Session

    client = bearer(api, tokens["rep_alice"])
    for _ in range(3):
        assert client.get("/api/v1/playbooks/").status_code == 200
    assert not Session.objects.exists()
