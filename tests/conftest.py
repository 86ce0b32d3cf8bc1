"""Personas and service fixtures shared by the whole suite.

Personas (Zulip style): two teams; `rep_alice` and `rep_amy` in team A managed by
`manager_maria`; `rep_bob_other_team` in team B managed by `manager_mike_other_team`;
`director_dora` (a manager who sees every team) and `admin_ada`.

Services: tests marked `needs_postgres` / `needs_redis` / `needs_worker` skip with a visible
reason when the service is absent, and fail instead when CI=true (CI must prove them). The one
exception is CI's first pass, the plain `make test` on SQLite that a fresh machine runs: .ci/run
sets CRM_CI_SQLITE_PASS=1 there, and the second pass (PostgreSQL + Redis + worker) runs the same
tests with no skip allowed."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from crm.models import Role
from tests.crm.factories import TeamFactory, UserFactory

# Every persona fixture, for permission matrices; who sees a customer owned by rep_alice.
PERSONAS = [
    "rep_alice",
    "rep_amy",
    "rep_bob_other_team",
    "manager_maria",
    "manager_mike_other_team",
    "director_dora",
    "admin_ada",
]
SEES_ALICE = {"rep_alice", "manager_maria", "director_dora", "admin_ada"}

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SQLITE_PASS = os.environ.get("CRM_CI_SQLITE_PASS") == "1"
REPO = Path(__file__).resolve().parent.parent


def service_missing(reason: str) -> None:
    """Skip locally, fail in CI: a service test must never pass by not running."""
    if IN_CI and not SQLITE_PASS:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


# Data migrations whose rows the product needs (default rule set, playbook library, settings).
DATA_MIGRATIONS = [
    ("segmentation.migrations.0002_default_ruleset", "create_default"),
    ("strategies.migrations.0002_default_library", "load"),
]


@pytest.fixture(autouse=True)
def _migrated_data(request):
    """A transactional test starts from the migrated data. Each transactional test ends with a
    flush that empties every table, data-migration rows included, so the next one would find
    no active rule set and no playbooks; the loaders are idempotent and run again here."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    for module, function in DATA_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)


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
    if request.node.get_closest_marker("needs_worker") and connection.vendor == "sqlite":
        service_missing("a worker process cannot share the in-memory SQLite test database")


def celery_worker_start(queue: str, node: str, extra_env: dict[str, str] | None = None):
    """A `celery worker` subprocess (solo pool: one task at a time, in the main process, so a
    SIGKILL kills the task with it) on `queue`, reading the test database, with `extra_env`
    on top (fault tests). Returns the Popen once the worker answers a ping."""
    from django.conf import settings
    from django.db import connection

    from crm.celery import app

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CRM_TEST_CACHE_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        **(extra_env or {}),
    }
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own interpreter
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "-Q",
            queue,
            "-n",
            node,
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=REPO,
        env=env,
    )
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=1, destination=[node]):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the Celery worker did not start", pytrace=False)
    return proc


def celery_worker_stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def _celery_worker_session(django_db_setup, django_db_blocker):
    """A real `celery worker` subprocess on its own queue, reading the test database.

    The queue name is unique per test session so parallel test runs on one Redis never take
    each other's tasks. Yields (Popen, queue, node); the worker stops at the end of the session.
    Tests use `celery_worker_process`, which routes tasks to it only for their own duration."""
    from django.conf import settings
    from django.db import connection

    if not settings.REDIS_URL or connection.vendor == "sqlite":
        service_missing("needs PostgreSQL and Redis for a worker process")
    queue = f"test-{uuid.uuid4().hex[:10]}"
    node = f"{queue}@localhost"
    proc = celery_worker_start(queue, node)
    try:
        yield proc, queue, node
    finally:
        celery_worker_stop(proc)


@pytest.fixture
def celery_worker_process(_celery_worker_session):
    """The real worker, with tasks sent to it (not run eagerly) during this test only.

    Switching eager mode off for the rest of the session would let later tests' tasks (e.g. the
    post-run hooks) run on the worker while their teardown flushes the tables: deadlocks and
    tests that pass or fail by timing."""
    from crm.celery import app

    proc, queue, node = _celery_worker_session
    old = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        yield proc
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = old
        _celery_worker_drain(app, queue=queue, node=node)


def _celery_worker_drain(app, *, queue: str, node: str, timeout: float = 120) -> None:
    """Waits until the worker has nothing running or queued (follow-up tasks a test's task
    enqueued, such as the post-run hooks), so the test's teardown never flushes tables under a
    task that is still writing."""
    from amqp.exceptions import ChannelError
    from kombu.exceptions import OperationalError as KombuError

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with app.connection_for_write() as conn:
                queued = conn.default_channel.queue_declare(queue=queue, passive=True).message_count
        except (ChannelError, KombuError):
            queued = 0  # the broker drops an empty queue: nothing is waiting
        inspect = app.control.inspect(destination=[node], timeout=1)
        busy = any((inspect.active() or {}).values()) or any((inspect.reserved() or {}).values())
        if not busy and not queued:
            return
        time.sleep(0.2)
    pytest.fail(f"the Celery worker {node} was still busy {timeout:.0f} s after the test")


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
    rep_alice,
    rep_amy,
    rep_bob_other_team,
    manager_maria,
    manager_mike_other_team,
    director_dora,
    admin_ada,
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


@pytest.fixture(autouse=True)
def _custom_dimension_labels_fresh():
    """Custom dimension labels are cached per process; a rolled-back test must not leave its
    dimensions in the next test's filter choices and export headers."""
    from segmentation.custom.selectors import labels_cache_clear

    labels_cache_clear()
    yield
    labels_cache_clear()
