"""The Celery app: eager by default, and a real worker round-trip through Redis in CI."""

import pytest

from crm.tasks import worker_ping


@pytest.mark.django_db
def test_task_runs_eagerly_by_default(rep_alice, settings):
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("a broker is configured; the worker test covers this")
    assert worker_ping.delay(user_id=rep_alice.pk).get(timeout=5) == "rep_alice"


@pytest.mark.needs_worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_reads_the_same_database(celery_worker_process, rep_alice):
    result = worker_ping.apply_async(kwargs={"user_id": rep_alice.pk})
    assert result.get(timeout=60) == "rep_alice"
