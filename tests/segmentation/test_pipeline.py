"""The run pipeline declared once: both executors carry out the same declaration in the same
order, the post-run hooks fire once from the finalise step, whichever executor runs it."""

import datetime as dt
from decimal import Decimal

import pytest

from segmentation import hooks
from segmentation.models import CustomerClasses, Run, RunStatus
from segmentation.pipeline import executors
from segmentation.pipeline.claim import CELERY, run_claim
from segmentation.pipeline.executors import Phase, declaration_check
from segmentation.pipeline.runjob import RunJob
from segmentation.services import segmentation_run
from tests.customers.factories import CustomerFactory, TransactionFactory

AS_OF = dt.date(2026, 6, 30)

# What the fake steps did, in order (eager Celery runs the tasks in this process).
CALLS: list[tuple[str, int | None]] = []


class FakeJob:
    """A job whose steps only record themselves."""

    def __init__(self, *, partitions: int) -> None:
        self.partitions = partitions
        self.failed: list[BaseException] = []

    def fork(self):
        return self

    def fail(self, exc):
        self.failed.append(exc)


def _global(name, returns):
    def step(job):
        CALLS.append((name, None))
        return list(range(job.partitions)) if returns else []

    return step


def _per_partition(name):
    def step(job, index):
        CALLS.append((name, index))
        return True

    return step


FAKE_PHASES = (
    Phase("plan", False, _global("plan", returns=True)),
    Phase("first", True, _per_partition("first")),
    Phase("between", False, _global("between", returns=True)),
    Phase("second", True, _per_partition("second")),
    Phase("end", False, _global("end", returns=False)),
)


@pytest.fixture
def fake_declaration(monkeypatch):
    monkeypatch.setattr(executors, "PHASES", FAKE_PHASES)
    monkeypatch.setitem(executors.JOB_KINDS, "fake", FakeJob)
    CALLS.clear()
    yield
    CALLS.clear()


def _phase_order(calls):
    """The phases in the order they ran (partitions of one phase may run in any order)."""
    order: list[str] = []
    for name, _index in calls:
        if not order or order[-1] != name:
            order.append(name)
    return order


def test_both_executors_run_the_same_declaration_in_the_same_order(fake_declaration):
    executors.execute_in_process(FakeJob(partitions=3))
    in_process = list(CALLS)
    CALLS.clear()
    # Eager Celery: the group → chord callback → group → chord callback chain runs here.
    executors.execute_on_celery("fake", {"partitions": 3})
    on_celery = list(CALLS)
    assert _phase_order(in_process) == ["plan", "first", "between", "second", "end"]
    assert _phase_order(on_celery) == _phase_order(in_process)
    assert sorted(on_celery, key=str) == sorted(in_process, key=str)
    assert sorted(i for name, i in on_celery if name == "second") == [0, 1, 2]


def test_a_phase_without_partitions_goes_straight_to_the_next(fake_declaration):
    executors.execute_in_process(FakeJob(partitions=0))
    in_process = list(CALLS)
    CALLS.clear()
    executors.execute_on_celery("fake", {"partitions": 0})
    assert CALLS == in_process == [("plan", None), ("between", None), ("end", None)]


def test_the_run_declaration():
    assert [(p.name, p.per_partition) for p in executors.PHASES] == [
        ("prepare", False),
        ("metrics", True),
        ("cut_points", False),
        ("classify", True),
        ("finalise", False),
    ]


@pytest.mark.parametrize(
    "phases",
    [
        (),
        (Phase("a", True, print), Phase("b", False, print)),
        (Phase("a", False, print), Phase("b", True, print)),
        (
            Phase("a", False, print),
            Phase("b", True, print),
            Phase("c", True, print),
            Phase("d", False, print),
        ),
        (Phase("a", False, print), Phase("a", False, print)),
    ],
)
def test_a_declaration_a_chord_cannot_carry_is_refused(phases):
    with pytest.raises(ValueError):  # noqa: PT011 - the messages differ per case
        declaration_check(phases)


@pytest.fixture
def book(db):
    for i in range(7):
        customer = CustomerFactory()
        for days in range(5 + i, 400, 60 + 10 * i):
            TransactionFactory(
                customer=customer, date=AS_OF - dt.timedelta(days=days), amount=Decimal("300")
            )
    CustomerFactory()  # a prospect


@pytest.fixture
def hook_calls():
    calls: list[int] = []
    hooks.register_post_run_hook(calls.append)
    yield calls
    hooks._post_run_hooks.remove(calls.append)


def _rows(run_id):
    return sorted(
        CustomerClasses.objects.filter(run_id=run_id).values_list(
            "customer_id", "lifecycle", "value_tier", "rfm_segment", "potential", "pending"
        )
    )


@pytest.mark.django_db
def test_a_run_on_either_executor_gives_the_same_rows_and_fires_the_hooks_once(book, hook_calls):
    first = segmentation_run(as_of=AS_OF, partition_size=3)
    assert hook_calls == [first.pk]
    in_process = _rows(first.pk)
    run, fresh = run_claim(as_of=AS_OF, force=True, triggered_by="test", mode=CELERY)
    assert fresh
    executors.execute_on_celery("run", RunJob(run.pk, run.attempts, 3).as_dict())
    run.refresh_from_db()
    assert (run.status, run.is_current, run.attempts) == (RunStatus.SUCCEEDED, True, 2)
    assert run.plan["partitions"] == 3
    assert _rows(run.pk) == in_process
    assert hook_calls == [first.pk, run.pk]
    # A duplicate finalise (a redelivered chord callback) neither switches nor fires again.
    executors.phase_task.apply(
        kwargs={"kind": "run", "job": RunJob(run.pk, run.attempts).as_dict(), "phase": "finalise"}
    )
    assert hook_calls == [first.pk, run.pk]


@pytest.mark.django_db
def test_a_run_with_no_customers_succeeds_on_both_executors(hook_calls):
    run = segmentation_run(as_of=AS_OF)
    assert (run.status, run.customers_total, run.is_current) == (RunStatus.SUCCEEDED, 0, True)
    again, _fresh = run_claim(as_of=AS_OF, force=True, triggered_by="test", mode=CELERY)
    executors.execute_on_celery("run", RunJob(again.pk, again.attempts).as_dict())
    again.refresh_from_db()
    assert (again.status, again.customers_total) == (RunStatus.SUCCEEDED, 0)
    assert hook_calls == [run.pk, again.pk]


@pytest.mark.django_db
def test_the_in_process_run_reports_its_progress(book):
    seen: list[tuple[int, int, str]] = []
    run = segmentation_run(
        as_of=AS_OF, partition_size=3, progress=lambda d, t, p: seen.append((d, t, p))
    )
    assert run.status == RunStatus.SUCCEEDED
    phases = [p for _d, _t, p in seen]
    assert phases.count("metrics") == 3
    assert phases.count("classify") == 3
    assert phases[-1] == "finalise"
    done = [d for d, _t, p in seen if p in {"metrics", "classify"}]
    assert done == sorted(done)
    assert seen[-1][:2] == (6, 6)
    assert Run.objects.get(pk=run.pk).partitions_done == 6
