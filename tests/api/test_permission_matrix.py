"""The API's permission matrix: every /api/v1/ route, as every persona, with no token and
with an expired token, on objects of rep_alice (team A). Like tests/crm/test_permission_matrix.py
the routes are discovered from the resolver, and a route missing here FAILS.

Expectations: no token or an expired one → 401, nothing changed; out of scope → 404 exactly
like a missing object (a batch naming an out-of-scope customer code: 400 "unknown customer
code", nothing written); in scope → the status of a successful call. Each persona runs in a
savepoint that is rolled back. Responses to personas who must not see alice's customer never
contain its name or phone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.conftest import MARK_NAME, MARK_PHONE, bearer
from tests.conftest import PERSONAS, SEES_ALICE

pytestmark = pytest.mark.django_db

NO_TOKEN = "no_token"
EXPIRED = "expired"
CALLERS = [NO_TOKEN, EXPIRED, *PERSONAS]


def discover_api_routes() -> list[str]:
    found: list[str] = []

    def walk(resolver, prefix: str, namespace: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else p.namespace
                walk(p, prefix + str(p.pattern), ns or namespace)
            elif isinstance(p, URLPattern) and (prefix + str(p.pattern)).startswith("api/v1/"):
                found.append(f"{namespace}:{p.name}")

    walk(get_resolver(), "", "")
    return found


def scoped(ok: int, outside: int = 404) -> dict[str, int]:
    return {p: ok if p in SEES_ALICE else outside for p in PERSONAS}


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PERSONAS, status)


@dataclass
class Call:
    method: str
    path: Callable[[Any], str]
    expect: dict[str, int]
    body: Callable[[Any, str], Any] = field(default_factory=lambda: lambda w, who: None)


def _batch(w, who):
    return {
        "items": [
            {
                "customer_code": "ALICE-1",
                "code": f"ORD-{who}",
                "date": "2026-03-02",
                "amount": "120.50",
            }
        ]
    }


ALICE = "/api/v1/customers/ALICE-1"

# Key: namespace:name. Several calls per route where a route has several methods.
MATRIX: dict[str, list[Call]] = {
    "api:customers": [
        Call("get", lambda w: "/api/v1/customers/", everyone(200)),
        Call(
            "post",
            lambda w: "/api/v1/customers/",
            everyone(201),
            lambda w, who: {"code": f"NEW-{who}", "name": f"新客户 {who}"},
        ),
    ],
    "api:customer": [
        Call("get", lambda w: f"{ALICE}/", scoped(200)),
        Call("get", lambda w: "/api/v1/customers/NO-SUCH-CODE/", everyone(404)),
        Call("patch", lambda w: f"{ALICE}/", scoped(200), lambda w, who: {"name": "HACKED"}),
    ],
    "api:classes": [Call("get", lambda w: f"{ALICE}/classes/", scoped(200))],
    "api:contacts": [
        Call("get", lambda w: f"{ALICE}/contacts/", scoped(200)),
        Call(
            "post", lambda w: f"{ALICE}/contacts/", scoped(201), lambda w, who: {"name": "HACKED"}
        ),
    ],
    "api:contact": [
        Call(
            "patch",
            lambda w: f"{ALICE}/contacts/{w.contact.pk}/",
            scoped(200),
            lambda w, who: {"name": "HACKED"},
        ),
    ],
    "api:contact_logs": [
        Call("get", lambda w: f"{ALICE}/contact-logs/", scoped(200)),
        Call(
            "post",
            lambda w: f"{ALICE}/contact-logs/",
            scoped(201),
            lambda w, who: {"channel": "call", "summary": "HACKED"},
        ),
    ],
    "api:customer_transactions": [Call("get", lambda w: f"{ALICE}/transactions/", scoped(200))],
    # Out of scope reads like a missing code: 400 naming item 0's customer_code.
    "api:transactions_batch": [
        Call("post", lambda w: "/api/v1/transactions/batch/", scoped(200, 400), _batch)
    ],
    "api:tasks": [Call("get", lambda w: "/api/v1/tasks/", everyone(200))],
    "api:task_complete": [
        Call(
            "post", lambda w: f"/api/v1/tasks/{w.task.pk}/complete/", scoped(200), lambda w, who: {}
        )
    ],
    "api:task_snooze": [
        Call(
            "post",
            lambda w: f"/api/v1/tasks/{w.task.pk}/snooze/",
            scoped(200),
            lambda w, who: {"days": 3},
        )
    ],
    "api:playbooks": [Call("get", lambda w: "/api/v1/playbooks/", everyone(200))],
    "api:playbook": [
        Call("get", lambda w: f"/api/v1/playbooks/{w.playbook.pk}/", everyone(200)),
        Call("get", lambda w: "/api/v1/playbooks/999999/", everyone(404)),
    ],
    "api:runs": [
        Call("get", lambda w: "/api/v1/runs/", everyone(200)),
        Call(
            "post",
            lambda w: "/api/v1/runs/",
            {p: 202 if p == "admin_ada" else 403 for p in PERSONAS},
            lambda w, who: {},
        ),
    ],
    "api:run": [
        Call("get", lambda w: f"/api/v1/runs/{w.run.pk}/", everyone(200)),
        Call("get", lambda w: "/api/v1/runs/999999/", everyone(404)),
    ],
    "api:class_counts": [Call("get", lambda w: "/api/v1/class-counts/", everyone(200))],
    "api:not_found": [
        Call("get", lambda w: "/api/v1/nowhere/", everyone(404)),
        Call("get", lambda w: "/api/v1/runs/-1/", everyone(404)),
        Call("get", lambda w: "/api/v1/customers/A%2FB/classes/x/", everyone(404)),
        Call("post", lambda w: "/api/v1/tasks/abc/complete/", everyone(404), lambda w, who: {}),
    ],
}


def _snapshot(w) -> tuple:
    from api.models import ApiWriteLog
    from customers.models import Contact, ContactLog, Customer, Transaction
    from segmentation.models import Run
    from strategies.models import Task

    c = Customer.objects.get(pk=w.customer.pk)
    task = Task.objects.get(pk=w.task.pk)
    return (
        c.name,
        c.phone,
        c.owner_id,
        Customer.objects.count(),
        list(Contact.objects.filter(customer=c).values_list("name", "phone")),
        ContactLog.objects.count(),
        list(Transaction.objects.values_list("external_code", "amount").order_by("pk")),
        task.status,
        task.snoozed_until,
        Run.objects.count(),
        ApiWriteLog.objects.count(),
    )


@pytest.fixture
def world(api_world, monkeypatch):
    """The API world plus a run; starting a run is faked (the real run has its own test)."""
    from segmentation.pipeline import executors as workflow
    from tests.strategies.factories import RunFactory

    api_world.run = RunFactory()
    monkeypatch.setattr(workflow, "run_start", lambda **kwargs: api_world.run)
    return api_world


@pytest.mark.parametrize("key", discover_api_routes())
def test_api_matrix(api, tokens, world, key):
    calls = MATRIX.get(key)
    if calls is None:
        pytest.fail(
            f"API route {key!r} is not in tests/api/test_permission_matrix.py: add who may call "
            "it with which status",
            pytrace=False,
        )
    for call in calls:
        for who in CALLERS:
            token = None if who == NO_TOKEN else tokens[who]
            client = bearer(api, token)
            with transaction.atomic():
                before = _snapshot(world)
                body = call.body(world, who)
                kwargs = {"format": "json"} if body is not None else {}
                response = getattr(client, call.method)(call.path(world), body, **kwargs)
                where = f"{call.method.upper()} {call.path(world)} as {who}"
                expected = 401 if who in (NO_TOKEN, EXPIRED) else call.expect[who]
                assert response.status_code == expected, (where, response.content[:300])
                if response.status_code >= 400:
                    assert _snapshot(world) == before, f"{where} changed something"
                    assert "detail" in response.json(), where
                if who not in SEES_ALICE:
                    text = response.content.decode()
                    assert MARK_NAME not in text, where
                    assert MARK_PHONE not in text, where
                transaction.set_rollback(True)


def test_matrix_covers_every_route():
    assert set(MATRIX) == set(discover_api_routes())


def test_lists_show_alice_only_in_scope(api, tokens, world):
    for who in PERSONAS:
        client = bearer(api, tokens[who])
        codes = [c["code"] for c in client.get("/api/v1/customers/").json()["results"]]
        assert ("ALICE-1" in codes) == (who in SEES_ALICE), who
        tasks = [t["id"] for t in client.get("/api/v1/tasks/").json()["results"]]
        assert (world.task.pk in tasks) == (who == "rep_alice"), who
