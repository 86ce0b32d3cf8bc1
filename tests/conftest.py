"""Personas and service fixtures shared by the whole suite.

Personas (Zulip style): two teams; `rep_alice` and `rep_amy` in team A managed by
`manager_maria`; `rep_bob_other_team` in team B managed by `manager_mike_other_team`;
`director_dora` (a manager who sees every team) and `admin_ada`.

Services: tests marked `needs_postgres` / `needs_redis` / `needs_worker` skip with a visible
reason when the service is absent, and fail instead when CI=true (CI must prove them)."""

import os

import pytest

from crm.models import Role
from tests.crm.factories import TeamFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def service_missing(reason: str) -> None:
    """Skip locally, fail in CI: a service test must never pass by not running."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _service_markers(request):
    from django.conf import settings
    from django.db import connection

    if request.node.get_closest_marker("needs_postgres") and connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (set DATABASE_URL=postgres://…)")
    if (
        request.node.get_closest_marker("needs_redis")
        or request.node.get_closest_marker("needs_worker")
    ) and not settings.REDIS_URL:
        service_missing("needs Redis (set REDIS_URL=redis://…)")


@pytest.fixture
def team_a(db):
    return TeamFactory(name="华东一组 Team A")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="华南二组 Team B")


@pytest.fixture
def rep_alice(team_a):
    return UserFactory(username="rep_alice", role=Role.REP, team=team_a)


@pytest.fixture
def rep_amy(team_a):
    return UserFactory(username="rep_amy", role=Role.REP, team=team_a)


@pytest.fixture
def rep_bob_other_team(team_b):
    return UserFactory(username="rep_bob", role=Role.REP, team=team_b)


@pytest.fixture
def manager_maria(team_a):
    return UserFactory(username="manager_maria", role=Role.MANAGER, team=team_a, is_staff=True)


@pytest.fixture
def manager_mike_other_team(team_b):
    return UserFactory(username="manager_mike", role=Role.MANAGER, team=team_b, is_staff=True)


@pytest.fixture
def director_dora(team_a):
    return UserFactory(
        username="director_dora", role=Role.MANAGER, team=team_a, is_director=True, is_staff=True
    )


@pytest.fixture
def admin_ada(db):
    return UserFactory(
        username="admin_ada", role=Role.ADMIN, team=None, is_staff=True, is_superuser=True
    )


@pytest.fixture
def personas(
    rep_alice, rep_amy, rep_bob_other_team, manager_maria, manager_mike_other_team, director_dora, admin_ada
):
    return {
        "rep_alice": rep_alice,
        "rep_amy": rep_amy,
        "rep_bob_other_team": rep_bob_other_team,
        "manager_maria": manager_maria,
        "manager_mike_other_team": manager_mike_other_team,
        "director_dora": director_dora,
        "admin_ada": admin_ada,
    }
