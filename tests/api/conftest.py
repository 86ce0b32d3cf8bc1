"""API fixtures: a token per persona, a client that sends it, and a small world of rep_alice's
records (the same shape as the site's permission matrix)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.tokens import token_create
from tests.customers.factories import (
    ContactFactory,
    ContactLogFactory,
    CustomerFactory,
    TransactionFactory,
)
from tests.strategies.factories import EnrollmentFactory, PlaybookFactory, StepFactory, TaskFactory

MARK_NAME = "ALICE-API-客户-9c1d"
MARK_PHONE = "13987654321"


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api():
    return APIClient()


def bearer(client: APIClient, token: str | None) -> APIClient:
    client.credentials(**({"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}))
    return client


@pytest.fixture
def tokens(personas) -> dict[str, str]:
    out = {name: token_create(user=user, name="test")[1] for name, user in personas.items()}
    row, expired = token_create(user=personas["rep_alice"], name="expired", expires_in_days=1)
    row.expires_at = timezone.now() - dt.timedelta(minutes=1)
    row.save(update_fields=["expires_at"])
    out["expired"] = expired
    return out


@dataclass
class ApiWorld:
    personas: dict
    customer: Any
    contact: Any
    task: Any
    playbook: Any
    pool_customer: Any


@pytest.fixture
def api_world(personas, team_a) -> ApiWorld:
    alice = personas["rep_alice"]
    customer = CustomerFactory(
        owner=alice, name=MARK_NAME, phone=MARK_PHONE, external_code="ALICE-1"
    )
    contact = ContactFactory(customer=customer, name="Alice contact", phone=MARK_PHONE)
    ContactLogFactory(customer=customer, rep=alice)
    TransactionFactory(customer=customer, external_code="ORD-ALICE-1")
    playbook = PlaybookFactory()
    step = StepFactory(playbook=playbook)
    enrollment = EnrollmentFactory(customer=customer, playbook=playbook)
    task = TaskFactory(
        customer=customer, enrollment=enrollment, step=step, due_on=timezone.localdate()
    )
    pool_customer = CustomerFactory(owner=None, team=team_a, name="Pool customer A")
    return ApiWorld(personas, customer, contact, task, playbook, pool_customer)
