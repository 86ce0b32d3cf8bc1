import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from strategies.models import PoolEvent, StrategySettings, Task
from strategies.services import PoolSweepResult, pool_claim, pool_sweep
from tests.customers.factories import ContactLogFactory, CustomerFactory
from tests.strategies.factories import EnrollmentFactory, PlaybookFactory, TaskFactory

pytestmark = pytest.mark.django_db

START = dt.date(2026, 1, 1)


@pytest.fixture
def neglected(no_library, rep_alice):
    """Alice's customer in a class allowing 30 days without contact, released 10 days past."""
    StrategySettings.objects.update(pool_notice_days=7, prospect_release_days=None)
    pb = PlaybookFactory(max_interval_days=30, release_after_days=10)
    customer = CustomerFactory(owner=rep_alice)
    EnrollmentFactory(customer=customer, playbook=pb, started_on=START)
    return customer


def test_owner_is_warned_before_release_then_the_customer_is_released(neglected, rep_alice):
    release_day = START + dt.timedelta(days=40)
    too_early = release_day - dt.timedelta(days=8)
    assert pool_sweep(as_of=too_early).noticed == 0

    notice_day = release_day - dt.timedelta(days=7)
    assert pool_sweep(as_of=notice_day).noticed == 1
    notice = Task.objects.get(customer=neglected, kind="pool_notice")
    assert (notice.owner, notice.due_on) == (rep_alice, release_day)
    # The warning is given once.
    assert pool_sweep(as_of=notice_day + dt.timedelta(days=1)).noticed == 0

    result = pool_sweep(as_of=release_day)
    assert result.released == 1
    neglected.refresh_from_db()
    assert neglected.owner is None
    assert neglected.team == rep_alice.team
    release = PoolEvent.objects.get(customer=neglected, kind="release")
    assert (release.user, release.on) == (rep_alice, release_day)
    assert Task.objects.get(pk=notice.pk).owner is None


def test_a_contact_after_the_notice_cancels_the_release(neglected, rep_alice):
    release_day = START + dt.timedelta(days=40)
    pool_sweep(as_of=release_day - dt.timedelta(days=7))
    ContactLogFactory(
        customer=neglected,
        occurred_at=timezone.now(),  # after the notice task was made
    )
    assert pool_sweep(as_of=release_day).released == 0
    neglected.refresh_from_db()
    assert neglected.owner == rep_alice
    # The warning is closed: the owner did what it asked.
    assert Task.objects.get(customer=neglected, kind="pool_notice").status == "not_applicable"


def test_late_notice_still_gives_the_full_notice_period(neglected):
    late = START + dt.timedelta(days=60)
    assert pool_sweep(as_of=late).noticed == 1
    assert pool_sweep(as_of=late + dt.timedelta(days=6)).released == 0
    assert pool_sweep(as_of=late + dt.timedelta(days=7)).released == 1


def test_pool_disabled_releases_nobody(neglected):
    StrategySettings.objects.update(pool_enabled=False)
    assert pool_sweep(as_of=START + dt.timedelta(days=100)) == PoolSweepResult(0, 0)


def test_claim_records_reassigns_open_tasks_and_respects_the_limit(rep_alice, rep_amy):
    StrategySettings.objects.update(claim_limit=2, claim_window_days=30)
    pool = [CustomerFactory(owner=None, team=rep_alice.team) for _ in range(3)]
    task = TaskFactory(customer=pool[0], owner=None)

    pool_claim(actor=rep_amy, customer_id=pool[0].pk)
    pool_claim(actor=rep_amy, customer_id=pool[1].pk)
    with pytest.raises(ValidationError, match="2"):
        pool_claim(actor=rep_amy, customer_id=pool[2].pk)

    pool[0].refresh_from_db()
    assert pool[0].owner == rep_amy
    assert Task.objects.get(pk=task.pk).owner == rep_amy
    pool[2].refresh_from_db()
    assert pool[2].owner is None
    claims = PoolEvent.objects.filter(kind="claim", user=rep_amy)
    assert sorted(claims.values_list("customer_id", flat=True)) == [pool[0].pk, pool[1].pk]
    # Another rep's limit is their own.
    pool_claim(actor=rep_alice, customer_id=pool[2].pk)


def test_claims_older_than_the_window_do_not_count(rep_amy):
    StrategySettings.objects.update(claim_limit=1, claim_window_days=30)
    old = CustomerFactory(owner=rep_amy)
    PoolEvent.objects.create(
        customer=old, kind="claim", user=rep_amy, on=timezone.localdate() - dt.timedelta(days=30)
    )
    fresh = CustomerFactory(owner=None, team=rep_amy.team)
    pool_claim(actor=rep_amy, customer_id=fresh.pk)
    fresh.refresh_from_db()
    assert fresh.owner == rep_amy


def test_cannot_claim_from_another_teams_pool_or_an_owned_customer(rep_alice, rep_bob_other_team):
    other_pool = CustomerFactory(owner=None, team=rep_bob_other_team.team)
    owned = CustomerFactory(owner=rep_bob_other_team)
    for cid in (other_pool.pk, owned.pk, -1):
        with pytest.raises(Http404):
            pool_claim(actor=rep_alice, customer_id=cid)
    assert not PoolEvent.objects.exists()


def test_managers_do_not_claim(manager_maria):
    c = CustomerFactory(owner=None, team=manager_maria.team)
    with pytest.raises(PermissionDenied):
        pool_claim(actor=manager_maria, customer_id=c.pk)
