import pytest

from segmentation.hooks import run_post_run_hooks
from strategies.models import Task
from tests.customers.factories import CustomerFactory
from tests.strategies.factories import ClassChangeFactory, PlaybookFactory, StepFactory

pytestmark = pytest.mark.django_db


def test_post_run_hook_generates_tasks_after_commit(
    no_library, rep_alice, django_capture_on_commit_callbacks
):
    pb = PlaybookFactory(dimension="lifecycle", class_code="dormant")
    StepFactory(playbook=pb)
    change = ClassChangeFactory(customer=CustomerFactory(owner=rep_alice), to_code="dormant")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_post_run_hooks(change.run_id)
        assert not Task.objects.exists()  # only once the run's transaction has committed

    # One of the callbacks is strategies' (others, e.g. the API's events, may follow).
    assert sum("strategies_after_run" in repr(c) for c in callbacks) == 1
    assert Task.objects.filter(customer=change.customer, owner=rep_alice).count() == 1


def test_a_failing_hook_does_not_stop_the_others(caplog):
    from segmentation import hooks

    calls = []

    def broken(run_id):
        raise RuntimeError("boom")

    hooks.register_post_run_hook(broken)
    hooks.register_post_run_hook(calls.append)
    try:
        hooks.run_post_run_hooks(-1)
    finally:
        hooks._post_run_hooks.remove(broken)
        hooks._post_run_hooks.remove(calls.append)
    assert calls == [-1]
    assert "post-run hook" in caplog.text


def test_reassigned_customer_takes_its_open_tasks_to_the_new_owner(client, rep_alice, rep_amy):
    from django.urls import reverse
    from django.utils import timezone

    from tests.strategies.factories import TaskFactory

    customer = CustomerFactory(owner=rep_alice, name="乙公司")
    TaskFactory(customer=customer, due_on=timezone.localdate())
    customer.owner = rep_amy
    customer.save()
    client.force_login(rep_amy)
    assert "乙公司" in client.get(reverse("strategies:tasks")).content.decode()
    client.force_login(rep_alice)
    assert "乙公司" not in client.get(reverse("strategies:tasks")).content.decode()


def test_nightly_run_enrols_on_the_first_run_and_follows_changes_after(
    rep_alice, django_capture_on_commit_callbacks
):
    """End to end through the real run service: the first run has no class changes to read, so
    every customer already in a class with a playbook is enrolled; the next night with the same
    data creates nothing new."""
    import datetime as dt

    from segmentation.services import segmentation_run
    from strategies.models import Enrollment
    from tests.customers.factories import TransactionFactory

    dormant = CustomerFactory(owner=rep_alice, name="Quiet Co")
    TransactionFactory(customer=dormant, date=dt.date(2025, 6, 1))
    TransactionFactory(customer=dormant, date=dt.date(2025, 9, 1))
    CustomerFactory(owner=rep_alice, name="Prospect Co")  # never bought: prospect

    with django_capture_on_commit_callbacks(execute=True):
        first = segmentation_run(as_of=dt.date(2026, 11, 1))
    assert first.changes_total == 0  # nothing to compare with on the first night
    enrolled = set(Enrollment.objects.values_list("customer__name", flat=True))
    assert enrolled == {"Quiet Co", "Prospect Co"}
    tasks = Task.objects.filter(owner=rep_alice).count()
    assert tasks > 0

    with django_capture_on_commit_callbacks(execute=True):
        segmentation_run(as_of=dt.date(2026, 11, 2))
    assert Task.objects.filter(owner=rep_alice).count() == tasks
