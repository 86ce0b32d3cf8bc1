"""schemathesis against the API's own OpenAPI schema: generated requests for every operation
(valid and invalid), as an admin with a token, through the WSGI app (no server, no network).
Bounded (a few examples per operation, derandomized) so it runs in `make test`; every
response must conform to the schema (status, headers, body) and none may be a 500.

schemathesis' own pytest plugin does not work with this pytest (9.x), so each operation is
a parametrized test that drives Hypothesis with the operation's strategy directly."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 8

# Operations whose valid requests depend on more than the schema can say: stored data (an
# existing customer code in a batch, an open task, a contact of that customer), today's date
# (a follow-up not in the past, a run not in the future), no duplicate name/phone, or a
# structured filter value (?moved=dimension:from:to:after:until with known classes). For
# them a schema-valid request may rightly get a 400 naming the field, so schemathesis'
# "positive data is accepted" check does not apply; every other check does, and the
# hand-written tests (test_bad_input.py, test_permission_matrix.py) cover their rules.
BEYOND_SCHEMA = {
    "GET /api/v1/customers/",
    "POST /api/v1/customers/",
    "PATCH /api/v1/customers/{code}/",
    "POST /api/v1/customers/{code}/contact-logs/",
    "POST /api/v1/transactions/batch/",
    "POST /api/v1/tasks/{task_id}/complete/",
    "POST /api/v1/tasks/{task_id}/snooze/",
    "POST /api/v1/runs/",
}


def _schema():
    from django.core.wsgi import get_wsgi_application

    # Loaded through the app itself (in-process WSGI; the schema view reads no database).
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


SCHEMA = _schema()
OPERATIONS = {op.ok().label: op.ok() for op in SCHEMA.get_all_operations()}


@pytest.fixture
def _keep_connection():
    """schemathesis calls the WSGI app directly, which would close the database connection
    at the end of each request (request_finished): the test's transaction with it, on
    PostgreSQL. Django's own test client switches this off the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(personas, api_world, monkeypatch, settings, _keep_connection):
    from api.tokens import token_create
    from segmentation.pipeline import executors as workflow
    from tests.strategies.factories import RunFactory

    settings.API_RATE = "100000/min"
    run = RunFactory()
    # Starting a run for real on every generated example would classify the database each
    # time: the run itself has its own tests; here only the endpoint's contract matters.
    monkeypatch.setattr(workflow, "run_start", lambda **kwargs: run)
    return token_create(user=personas["admin_ada"], name="schemathesis")[1]


def test_every_operation_is_covered():
    assert len(OPERATIONS) >= 20
    assert "POST /api/v1/transactions/batch/" in OPERATIONS


@pytest.mark.parametrize("label", sorted(OPERATIONS))
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_operation_conforms(label, mode, admin_token):
    operation = OPERATIONS[label]
    headers = {"Authorization": f"Bearer {admin_token}"}
    seen: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        # No shrinking: a failure is reported as found (shrinking a batch can take minutes).
        phases=[Phase.explicit, Phase.generate],
    )
    def check(case):
        response = case.call(headers=headers)
        seen.append(response.status_code)
        assert response.status_code < 500, (case.path, case.body, response.text[:300])
        excluded = [positive_data_acceptance] if label in BEYOND_SCHEMA else []
        case.validate_response(response, headers=headers, excluded_checks=excluded)

    check()
    assert seen
