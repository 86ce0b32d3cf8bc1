import pytest

from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


def test_customer_list_and_detail(api, tokens, api_world):
    r = bearer(api, tokens["rep_alice"]).get("/api/v1/customers/")
    assert r.status_code == 200, r.content
    codes = [c["code"] for c in r.json()["results"]]
    assert "ALICE-1" in codes
    r = api.get("/api/v1/customers/ALICE-1/")
    assert r.status_code == 200
    assert r.json()["phone"] == "13987654321"
    for path in ("classes/", "contacts/", "contact-logs/", "transactions/"):
        r = api.get(f"/api/v1/customers/ALICE-1/{path}")
        assert r.status_code == 200, (path, r.content)
    for path in ("tasks/", "playbooks/", "runs/", "class-counts/"):
        r = api.get(f"/api/v1/{path}")
        assert r.status_code == 200, (path, r.content)


def test_schema_and_docs(api):
    assert api.get("/api/schema/").status_code == 200
    r = api.get("/api/docs/")
    assert r.status_code == 200, r.content
