"""Bad input: each case is a 4xx whose body names the item and field, and nothing is written."""

from __future__ import annotations

import json

import pytest

from customers.models import Contact, ContactLog, Customer, Transaction
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/transactions/batch/"


def _state():
    return (
        Customer.objects.count(),
        list(Customer.objects.values_list("name", "phone", "acquisition_cost").order_by("pk")),
        list(Transaction.objects.values_list("external_code", "amount", "date").order_by("pk")),
        Contact.objects.count(),
        ContactLog.objects.count(),
    )


@pytest.fixture
def alice(api, tokens, api_world):
    # Reasons come in the client's language (Accept-Language); English here, zh-Hans default.
    api.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return bearer(api, tokens["rep_alice"])


def _order(**over):
    item = {"customer_code": "ALICE-1", "code": "ORD-NEW", "date": "2026-03-02", "amount": "10"}
    item.update(over)
    return item


def _errors(response) -> list[dict]:
    body = response.json()
    assert body["detail"]
    return body["errors"]


def test_malformed_json(alice):
    before = _state()
    r = alice.post(BATCH, data='{"items": [', content_type="application/json")
    assert r.status_code == 400
    assert "JSON" in r.json()["detail"]
    assert _state() == before


def test_not_json_content_type(alice):
    r = alice.post(BATCH, data="items=1", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415


@pytest.mark.parametrize(
    ("item", "field", "reason_part"),
    [
        (_order(colour="red"), "colour", "Unknown field"),
        (_order(amount=[1, 2]), "amount", "Wrong type"),
        (_order(amount=True), "amount", "Wrong type"),
        (_order(date={"y": 2026}), "date", "Wrong type"),
        (_order(date="2026-02-30"), "date", "not a real date"),
        (_order(date="yesterday"), "date", "not a date"),
        (_order(amount="-5"), "amount", "negative"),
        (_order(amount=-5), "amount", "negative"),
        (_order(amount="abc"), "amount", "not a number"),
        (_order(quantity=0), "quantity", "at least 1"),
        (_order(customer_code="NO-SUCH"), "customer_code", "unknown customer code"),
        (_order(due_date="2026-03-01"), "due_date", "before the order date"),
        (_order(status="shipped"), "status", ""),
        ({}, "", "empty"),
    ],
)
def test_batch_item_errors(alice, item, field, reason_part):
    before = _state()
    good = _order(code="ORD-GOOD")
    r = alice.post(BATCH, {"items": [good, item]}, format="json")
    assert r.status_code == 400, r.content
    errors = _errors(r)
    hit = [e for e in errors if e.get("index") == 1 and e["field"] == field]
    assert hit, errors
    assert reason_part.lower() in hit[0]["reason"].lower(), hit
    # All or nothing: the good item was not written either.
    assert _state() == before


def test_amount_1e309(alice):
    """1e309 parses to infinity in JSON: refused, like any non-finite number."""
    before = _state()
    body = '{"items": [{"customer_code": "ALICE-1", "date": "2026-03-02", "amount": 1e309}]}'
    r = alice.post(BATCH, data=body, content_type="application/json")
    assert r.status_code == 400, r.content
    assert any(e["field"] == "amount" and e["index"] == 0 for e in _errors(r))
    assert _state() == before


def test_nan_is_not_json(alice):
    body = '{"items": [{"customer_code": "ALICE-1", "date": "2026-03-02", "amount": NaN}]}'
    r = alice.post(BATCH, data=body, content_type="application/json")
    assert r.status_code == 400


def test_batch_over_limit(alice, settings):
    settings.API_BATCH_LIMIT = 3
    before = _state()
    items = [_order(code=f"ORD-{i}") for i in range(4)]
    r = alice.post(BATCH, {"items": items}, format="json")
    assert r.status_code == 400
    errors = _errors(r)
    assert errors[0]["field"] == "items"
    assert errors[0]["value"] == "4"
    assert _state() == before


def test_batch_limit_default_is_10000(settings):
    assert settings.API_BATCH_LIMIT == 10_000


@pytest.mark.parametrize(
    "body",
    [{"items": "x"}, {"items": []}, {"rows": []}, [1, 2], {"items": [1]}],
    ids=["not-a-list", "empty", "unknown-field", "not-an-object", "item-not-object"],
)
def test_batch_shape(alice, body):
    before = _state()
    r = alice.post(BATCH, body, format="json")
    assert r.status_code == 400
    assert _errors(r)
    assert _state() == before


def test_batch_duplicate_codes(alice):
    before = _state()
    r = alice.post(BATCH, {"items": [_order(), _order()]}, format="json")
    assert r.status_code == 400
    assert any(e["index"] == 1 and e["field"] == "code" for e in _errors(r))
    assert _state() == before


def test_batch_cannot_touch_other_reps_orders(api, tokens, api_world):
    """An order code held by alice's customer cannot be rewritten by bob through his own."""
    from tests.customers.factories import CustomerFactory

    CustomerFactory(owner=api_world.personas["rep_bob_other_team"], external_code="BOB-1")
    before = _state()
    r = bearer(api, tokens["rep_bob_other_team"]).post(
        BATCH, {"items": [_order(customer_code="BOB-1", code="ORD-ALICE-1")]}, format="json"
    )
    assert r.status_code == 400
    assert _errors(r)[0]["field"] == "code"
    assert MARK not in r.content.decode()
    assert _state() == before


MARK = "ALICE-API"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "N1", "name": "x", "colour": "red"}, "colour"),
        ({"code": "N1", "name": ["x"]}, "name"),
        ({"code": "N1", "name": "x", "employees": "many"}, "employees"),
        ({"code": "N1", "name": "x", "acquisition_cost": "-1"}, "acquisition_cost"),
        ({"code": "N1", "name": "x", "interest_since": "2026-02-30"}, "interest_since"),
        ({"code": "N1", "name": "x", "industry": "mining"}, "industry"),
        ({"code": "N1", "name": "x\x07"}, "name"),
        ({"name": "x"}, "code"),
        ({"code": "N1", "name": "x", "owner": "rep_amy"}, "owner"),  # a rep assigns nobody
    ],
)
def test_customer_create_errors(alice, body, field):
    before = _state()
    r = alice.post("/api/v1/customers/", body, format="json")
    assert r.status_code == 400, r.content
    assert any(e["field"] == field for e in _errors(r)), r.json()
    assert _state() == before


def test_customer_create_1e309(alice):
    before = _state()
    body = '{"code": "N1", "name": "x", "annual_budget": 1e309}'
    r = alice.post("/api/v1/customers/", data=body, content_type="application/json")
    assert r.status_code == 400
    assert _errors(r)[0]["field"] == "annual_budget"
    assert _state() == before


def test_customer_create_duplicate_needs_confirmation(alice, api_world):
    before = _state()
    body = {"code": "N2", "name": api_world.customer.name}
    r = alice.post("/api/v1/customers/", body, format="json")
    assert r.status_code == 400
    assert _errors(r)[0]["field"] == "confirm_duplicate"
    assert _state() == before
    r = alice.post("/api/v1/customers/", {**body, "confirm_duplicate": True}, format="json")
    assert r.status_code == 201


def test_customer_existing_code(alice):
    before = _state()
    r = alice.post("/api/v1/customers/", {"code": "ALICE-1", "name": "y"}, format="json")
    assert r.status_code == 400
    assert _errors(r)
    assert _state() == before


def test_customer_update_errors(alice):
    before = _state()
    for body, field in [
        ({"code": "OTHER"}, "code"),  # fixed once created
        ({"growth_rate": "12345678"}, "growth_rate"),
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
    ]:
        r = alice.patch("/api/v1/customers/ALICE-1/", body, format="json")
        assert r.status_code == 400, (body, r.content)
        assert any(e["field"] == field for e in _errors(r)), (body, r.json())
    assert _state() == before


def test_director_cannot_change_masked_phone(api, tokens, api_world):
    """A director sees another team's phone numbers masked, so may not overwrite them."""
    from tests.customers.factories import CustomerFactory

    CustomerFactory(
        owner=api_world.personas["rep_bob_other_team"], external_code="BOB-2", phone="13800001111"
    )
    client = bearer(api, tokens["director_dora"])
    assert "****" in client.get("/api/v1/customers/BOB-2/").json()["phone"]
    before = _state()
    r = client.patch("/api/v1/customers/BOB-2/", {"phone": "10086"}, format="json")
    assert r.status_code == 400
    assert _errors(r)[0]["field"] == "phone"
    assert _state() == before


def test_contact_log_errors(alice, api_world):
    before = _state()
    url = "/api/v1/customers/ALICE-1/contact-logs/"
    for body, field in [
        ({"channel": "pigeon", "summary": "x"}, "channel"),
        ({"channel": "call", "summary": "   "}, "summary"),
        ({"channel": "call", "summary": "x", "next_follow_up": "2020-01-01"}, "next_follow_up"),
        ({"channel": "call", "summary": "x", "contact": 999999}, "contact"),
        ({"channel": "call", "summary": "x", "rep": "rep_amy"}, "rep"),
    ]:
        r = alice.post(url, body, format="json")
        assert r.status_code == 400, (body, r.content)
        assert any(e["field"] == field for e in _errors(r)), (body, r.json())
    assert _state() == before


def test_task_errors(alice, api_world):
    url = f"/api/v1/tasks/{api_world.task.pk}/snooze/"
    for body, field in [({"days": 0}, "days"), ({"days": 31}, "days"), ({"days": "x"}, "days")]:
        r = alice.post(url, body, format="json")
        assert r.status_code == 400, r.content
        assert _errors(r)[0]["field"] == field
    r = alice.post(f"/api/v1/tasks/{api_world.task.pk}/complete/", {"x": 1}, format="json")
    assert r.status_code == 400
    api_world.task.refresh_from_db()
    assert api_world.task.status == "open"
    assert alice.post("/api/v1/tasks/999999/snooze/", {"days": 2}, format="json").status_code == 404


def test_list_filter_errors(alice):
    r = alice.get("/api/v1/customers/?industry=mining")
    assert r.status_code == 400
    assert _errors(r)[0]["field"] == "industry"
    r = alice.get("/api/v1/customers/?page_size=0")
    assert r.status_code == 400
    assert _errors(r)[0]["field"] == "page_size"
    assert alice.get("/api/v1/class-counts/?dimension=colour").status_code == 400
    assert alice.get("/api/v1/tasks/?status=lost").status_code == 400


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Bearer", "one token"),
        ("Bearer crm_deadbeef_nope", "not valid"),
        ("Bearer nonsense", "malformed"),
    ],
)
def test_bad_tokens(api, api_world, header, reason):
    api.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    api.credentials(HTTP_AUTHORIZATION=header)
    r = api.get("/api/v1/customers/")
    assert r.status_code == 401
    assert reason in r.json()["detail"]


def test_expired_and_revoked_tokens(api, tokens, personas, api_world):
    api.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    from api.tokens import token_create, token_revoke

    before = _state()
    r = bearer(api, tokens["expired"]).post(BATCH, {"items": [_order()]}, format="json")
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]
    row, token = token_create(user=personas["rep_alice"])
    assert bearer(api, token).get("/api/v1/customers/").status_code == 200
    token_revoke(actor=personas["rep_alice"], token_id=row.pk)
    r = bearer(api, token).post(BATCH, {"items": [_order()]}, format="json")
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]
    assert r["WWW-Authenticate"].startswith("Bearer")
    assert _state() == before


def test_deactivated_user_token(api, tokens, personas):
    personas["rep_alice"].is_active = False
    personas["rep_alice"].save()
    r = bearer(api, tokens["rep_alice"]).get("/api/v1/customers/")
    assert r.status_code == 401


def test_valid_batch_writes_and_updates(alice, api_world):
    r = alice.post(
        BATCH, {"items": [_order(), _order(code="ORD-ALICE-1", amount=99)]}, format="json"
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"rows": 2, "created": 1, "updated": 1}
    assert Transaction.objects.get(external_code="ORD-ALICE-1").amount == 99
    assert json.loads(r.content)["created"] == 1
