"""Tokens (hashed, shown once, expiry, revocation, the command, the page, admin), the rate
limit, idempotency keys and the audit of writes."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from api.models import ApiToken, ApiWriteLog, IdempotencyRecord
from customers.models import Customer, ImportLog, Transaction
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


def test_token_is_hashed_at_rest(personas):
    from api.tokens import token_create

    row, token = token_create(user=personas["rep_alice"], name="erp", expires_in_days=30)
    row.refresh_from_db()
    assert token.startswith(f"crm_{row.prefix}_")
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ApiToken.objects.filter(pk=row.pk).values().get())
    assert row.expires_at is not None


def test_command_prints_token_as_last_word(api, personas):
    out = io.StringIO()
    call_command("api_token", "--user", "rep_alice", "--expires", "7", stdout=out)
    token = out.getvalue().strip().splitlines()[-1].split()[-1]
    r = bearer(api, token).get("/api/v1/customers/")
    assert r.status_code == 200
    assert ApiToken.objects.get(user=personas["rep_alice"]).expires_at is not None
    with pytest.raises(CommandError):
        call_command("api_token", "--user", "nobody", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("api_token", "--user", "rep_alice", "--expires", "0", stdout=io.StringIO())


def test_tokens_page_shows_token_once_and_revokes(client, personas):
    alice = personas["rep_alice"]
    client.force_login(alice)
    page = client.get("/api/tokens/")
    assert page.status_code == 200
    assert b"/api/tokens/" in client.get("/").content  # reachable from the header
    r = client.post("/api/tokens/", {"name": "ERP sync", "expires": "90"})
    assert r.status_code == 200
    row = ApiToken.objects.get(user=alice)
    body = r.content.decode()
    token_start = f"crm_{row.prefix}_"
    assert token_start in body
    assert r["Cache-Control"] == "no-store"
    again = client.get("/api/tokens/").content.decode()
    assert "ERP sync" in again
    assert f"crm_{row.prefix}_…" in again  # the list shows the prefix only
    secret_part = body.split(token_start, 1)[1].split("<", 1)[0]
    assert secret_part not in again
    r = client.post(f"/api/tokens/{row.pk}/revoke/")
    assert r.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_tokens_page_bad_form(client, personas):
    client.force_login(personas["rep_alice"])
    r = client.post("/api/tokens/", {"name": "", "expires": "9999"})
    assert r.status_code == 400
    assert not ApiToken.objects.exists()


def test_admin_lists_and_revokes_tokens(client, personas):
    from api.tokens import token_create

    row, _t = token_create(user=personas["rep_alice"], name="erp")
    client.force_login(personas["admin_ada"])
    r = client.get("/admin/api/apitoken/")
    assert r.status_code == 200
    assert row.prefix in r.content.decode()
    r = client.post(
        "/admin/api/apitoken/", {"action": "revoke", "_selected_action": [row.pk]}, follow=True
    )
    assert r.status_code == 200
    row.refresh_from_db()
    assert row.revoked_at is not None
    client.force_login(personas["manager_maria"])  # staff, but not a CRM admin
    assert client.get("/admin/api/apitoken/").status_code == 403


def test_rate_limit_429_with_retry_after(api, tokens, settings, personas):
    settings.API_RATE = "3/min"
    client = bearer(api, tokens["rep_alice"])
    codes = [client.get("/api/v1/playbooks/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/api/v1/playbooks/")
    assert int(r["Retry-After"]) > 0
    # Per token: another token of another user still has its budget.
    assert bearer(api, tokens["rep_amy"]).get("/api/v1/playbooks/").status_code == 200


BATCH = "/api/v1/transactions/batch/"


def _items(n=2, amount="10"):
    return {
        "items": [
            {
                "customer_code": "ALICE-1",
                "code": f"IDEM-{i}",
                "date": "2026-03-02",
                "amount": amount,
            }
            for i in range(n)
        ]
    }


def test_idempotency_same_key_same_body_writes_once(api, tokens, api_world):
    client = bearer(api, tokens["rep_alice"])
    before = Transaction.objects.count()
    first = client.post(BATCH, _items(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 200
    again = client.post(BATCH, _items(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Transaction.objects.count() == before + 2
    assert ImportLog.objects.filter(file_name="API").count() == 1
    assert ApiWriteLog.objects.filter(action="transactions.batch").count() == 1


def test_idempotency_same_key_other_body_refused(api, tokens, api_world):
    client = bearer(api, tokens["rep_alice"])
    client.post(BATCH, _items(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    state = list(Transaction.objects.values_list("external_code", "amount"))
    r = client.post(BATCH, _items(amount="99"), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert list(Transaction.objects.values_list("external_code", "amount")) == state


def test_idempotency_failed_request_is_not_stored(api, tokens, api_world):
    client = bearer(api, tokens["rep_alice"])
    bad = {"items": [{"customer_code": "NOPE", "date": "2026-03-02", "amount": "1"}]}
    assert client.post(BATCH, bad, format="json", HTTP_IDEMPOTENCY_KEY="k-3").status_code == 400
    assert not IdempotencyRecord.objects.exists()
    # The corrected request with the same key goes through.
    assert (
        client.post(BATCH, _items(1), format="json", HTTP_IDEMPOTENCY_KEY="k-3").status_code == 200
    )


def test_idempotency_keys_are_per_user(api, tokens, api_world):
    bearer(api, tokens["rep_alice"]).post(
        "/api/v1/customers/",
        {"code": "K-A", "name": "甲"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    r = bearer(api, tokens["rep_amy"]).post(
        "/api/v1/customers/",
        {"code": "K-B", "name": "乙"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    assert r.status_code == 201
    assert Customer.objects.filter(external_code__in=["K-A", "K-B"]).count() == 2


def test_idempotency_key_too_long(api, tokens, api_world):
    r = bearer(api, tokens["rep_alice"]).post(
        BATCH, _items(), format="json", HTTP_IDEMPOTENCY_KEY="x" * 256
    )
    assert r.status_code == 400
    assert not Transaction.objects.filter(external_code__startswith="IDEM-").exists()


def test_writes_are_audited(api, tokens, api_world, personas):
    client = bearer(api, tokens["manager_maria"])
    r = client.patch(
        "/api/v1/customers/ALICE-1/", {"owner": "rep_amy", "name": "改名"}, format="json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["owner"] == "rep_amy"
    log = ApiWriteLog.objects.get(action="customer.update")
    assert log.username == "manager_maria"
    assert log.token_prefix == ApiToken.objects.get(user=personas["manager_maria"]).prefix
    # The ownership change is in the customer's history, by the token's user, like a page.
    latest = api_world.customer.history.order_by("-history_id").first()
    assert latest.owner_id == personas["rep_amy"].pk
    assert latest.history_user_id == personas["manager_maria"].pk


def test_session_auth_works_with_csrf(client, personas, api_world):
    client.force_login(personas["rep_alice"])
    assert client.get("/api/v1/customers/ALICE-1/").status_code == 200
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas["rep_alice"])
    r = strict.post(
        "/api/v1/customers/", {"code": "S-1", "name": "x"}, content_type="application/json"
    )
    assert r.status_code == 403  # no CSRF token: a cross-site form cannot write
    assert not Customer.objects.filter(external_code="S-1").exists()
