import datetime as dt

import pytest
from django.core.management import call_command

from segmentation.models import CLASS_CHOICES, UNCLASSIFIED
from strategies.models import Enrollment, Playbook, StrategySettings, Task, TaskStatus
from strategies.services import strategies_generate, tasks_mark_missed
from tests.customers.factories import CustomerFactory
from tests.segmentation.factories import ClassPinFactory
from tests.strategies.factories import (
    ClassChangeFactory,
    PlaybookFactory,
    RunFactory,
    StepFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def dormant_pb(no_library):
    pb = PlaybookFactory(dimension="lifecycle", class_code="dormant", priority=50)
    StepFactory(playbook=pb, order=1, kind="call", day_offset=0)
    StepFactory(playbook=pb, order=2, kind="offer", day_offset=7)
    return pb


@pytest.fixture
def churn_pb(no_library):
    pb = PlaybookFactory(dimension="churn_warning", class_code="yes", priority=90)
    StepFactory(playbook=pb, order=1, kind="call", day_offset=0)
    StepFactory(playbook=pb, order=2, kind="review", day_offset=2)
    StepFactory(playbook=pb, order=3, kind="visit", day_offset=14)
    return pb


def test_entering_a_class_enrolls_and_dates_tasks_on_the_owners_list(dormant_pb, rep_alice):
    customer = CustomerFactory(owner=rep_alice)
    change = ClassChangeFactory(customer=customer, to_code="dormant")

    result = strategies_generate(run_id=change.run_id)

    enrollment = Enrollment.objects.get(customer=customer, playbook=dormant_pb)
    assert enrollment.started_on == change.run.as_of
    assert enrollment.reason == "entered"
    assert enrollment.run_id == change.run_id
    tasks = list(Task.objects.filter(customer=customer).order_by("due_on"))
    assert [(t.kind, t.due_on, t.owner_id) for t in tasks] == [
        ("call", change.run.as_of, rep_alice.pk),
        ("offer", change.run.as_of + dt.timedelta(days=7), rep_alice.pk),
    ]
    assert result.enrolled == 1
    assert result.tasks_created == 2


def test_a_class_without_playbook_or_an_inactive_one_creates_nothing(dormant_pb, rep_alice):
    dormant_pb.active = False
    dormant_pb.save()
    change = ClassChangeFactory(customer=CustomerFactory(owner=rep_alice), to_code="dormant")
    ClassChangeFactory(run=change.run, to_code="loyal")

    strategies_generate(run_id=change.run_id)

    assert not Enrollment.objects.exists()
    assert not Task.objects.exists()


def test_rerunning_the_same_run_creates_nothing_new(dormant_pb, rep_alice):
    change = ClassChangeFactory(customer=CustomerFactory(owner=rep_alice), to_code="dormant")
    strategies_generate(run_id=change.run_id)
    before = (Enrollment.objects.count(), Task.objects.count())

    again = strategies_generate(run_id=change.run_id)

    assert (Enrollment.objects.count(), Task.objects.count()) == before == (1, 2)
    assert again.enrolled == 0
    assert again.tasks_created == 0


def test_leaving_the_class_closes_open_tasks_as_not_applicable_and_keeps_them(
    dormant_pb, rep_alice
):
    customer = CustomerFactory(owner=rep_alice)
    entered = ClassChangeFactory(customer=customer, to_code="dormant")
    strategies_generate(run_id=entered.run_id)
    done = Task.objects.get(customer=customer, kind="call")
    done.status = TaskStatus.DONE
    done.completed_at = "2026-03-02T10:00:00Z"
    done.save()

    left = ClassChangeFactory(
        customer=customer, from_code="dormant", to_code="repeat", run=RunFactory()
    )
    result = strategies_generate(run_id=left.run_id)

    enrollment = Enrollment.objects.get(customer=customer)
    assert enrollment.ended_on == left.run.as_of
    assert enrollment.ended_run_id == left.run_id
    statuses = dict(Task.objects.filter(customer=customer).values_list("kind", "status"))
    assert statuses == {"call": "done", "offer": "not_applicable"}
    assert result.tasks_closed == 1
    # A re-run of the exit is a no-op too.
    assert strategies_generate(run_id=left.run_id).tasks_closed == 0


def test_reentering_later_starts_a_new_enrollment(dormant_pb, rep_alice):
    customer = CustomerFactory(owner=rep_alice)
    r1 = ClassChangeFactory(customer=customer, to_code="dormant").run
    strategies_generate(run_id=r1.pk)
    r2 = ClassChangeFactory(customer=customer, from_code="dormant", to_code="repeat").run
    strategies_generate(run_id=r2.pk)
    r3 = ClassChangeFactory(customer=customer, from_code="repeat", to_code="dormant").run
    strategies_generate(run_id=r3.pk)

    assert Enrollment.objects.filter(customer=customer).count() == 2
    assert Task.objects.filter(customer=customer, status="open").count() == 2


def test_priority_conflict_vip_turning_churn_warning_gets_win_back_steps_first(
    dormant_pb, churn_pb, rep_alice
):
    StrategySettings.objects.update(max_open_tasks=3)
    vip = PlaybookFactory(dimension="value_tier", class_code="core", priority=65)
    for order in range(1, 4):
        StepFactory(playbook=vip, order=order, kind="visit", day_offset=order)
    customer = CustomerFactory(owner=rep_alice)
    r1 = ClassChangeFactory(
        customer=customer, dimension="value_tier", from_code="important", to_code="core"
    ).run
    strategies_generate(run_id=r1.pk)
    assert Task.objects.filter(customer=customer, status="open").count() == 3

    r2 = ClassChangeFactory(
        customer=customer, dimension="churn_warning", from_code="no", to_code="yes"
    ).run
    result = strategies_generate(run_id=r2.pk)

    open_tasks = Task.objects.filter(customer=customer, status__in=["open", "snoozed"])
    assert {t.enrollment.playbook_id for t in open_tasks} == {churn_pb.pk}
    assert open_tasks.count() == 3
    displaced = Task.objects.filter(customer=customer, status="not_applicable")
    assert displaced.count() == 3
    assert all(t.enrollment.playbook_id == vip.pk for t in displaced)
    assert result.tasks_displaced == 3
    # The VIP enrollment itself goes on: the customer is still core.
    assert Enrollment.objects.get(playbook=vip).ended_on is None


def test_two_classes_in_one_run_rank_by_priority_under_the_cap(dormant_pb, churn_pb, rep_alice):
    StrategySettings.objects.update(max_open_tasks=4)
    customer = CustomerFactory(owner=rep_alice)
    run = RunFactory()
    ClassChangeFactory(customer=customer, run=run, to_code="dormant")
    ClassChangeFactory(
        customer=customer, run=run, dimension="churn_warning", from_code="no", to_code="yes"
    )

    strategies_generate(run_id=run.pk)

    tasks = Task.objects.filter(customer=customer)
    assert tasks.count() == 4
    assert tasks.filter(enrollment__playbook=churn_pb).count() == 3
    assert tasks.filter(enrollment__playbook=dormant_pb).count() == 1
    assert Enrollment.objects.get(playbook=dormant_pb).tasks_capped == 1


def test_cap_counts_open_tasks_already_on_the_list(dormant_pb, rep_alice):
    StrategySettings.objects.update(max_open_tasks=2)
    customer = CustomerFactory(owner=rep_alice)
    TaskFactory(customer=customer, priority=99)
    TaskFactory(customer=customer, priority=99, status="snoozed", snoozed_until="2026-04-01")
    change = ClassChangeFactory(customer=customer, to_code="dormant")

    strategies_generate(run_id=change.run_id)

    assert Task.objects.filter(customer=customer, status__in=["open", "snoozed"]).count() == 2
    assert Enrollment.objects.get(customer=customer).tasks_capped == 2


def test_a_pinned_class_enrolls_with_the_pin_reason(dormant_pb, rep_alice):
    customer = CustomerFactory(owner=rep_alice)
    ClassPinFactory(customer=customer, dimension="lifecycle", code="dormant", reason="季节性采购")
    change = ClassChangeFactory(customer=customer, to_code="dormant")

    strategies_generate(run_id=change.run_id)

    enrollment = Enrollment.objects.get(customer=customer)
    assert enrollment.reason == "pin"
    assert enrollment.pin_reason == "季节性采购"


def test_query_count_does_not_grow_with_customers(
    dormant_pb, rep_alice, django_assert_max_num_queries
):
    run = RunFactory()
    for _ in range(3):
        ClassChangeFactory(customer=CustomerFactory(owner=rep_alice), run=run, to_code="dormant")
    with django_assert_max_num_queries(40) as few:
        strategies_generate(run_id=run.pk)
    run2 = RunFactory()
    for _ in range(30):
        ClassChangeFactory(customer=CustomerFactory(owner=rep_alice), run=run2, to_code="dormant")
    with django_assert_max_num_queries(len(few.captured_queries)):
        strategies_generate(run_id=run2.pk)
    assert Task.objects.count() == 66


def test_a_failed_run_is_refused(dormant_pb):
    run = RunFactory(status="failed")
    with pytest.raises(ValueError, match="has not succeeded"):
        strategies_generate(run_id=run.pk)


def test_open_tasks_past_the_grace_days_become_missed(no_library, rep_alice):
    StrategySettings.objects.update(missed_after_days=7)
    as_of = dt.date(2026, 3, 20)
    on_edge = TaskFactory(customer=CustomerFactory(owner=rep_alice), due_on=dt.date(2026, 3, 13))
    past = TaskFactory(customer=on_edge.customer, due_on=dt.date(2026, 3, 12))
    snoozed = TaskFactory(
        customer=on_edge.customer,
        due_on=dt.date(2026, 3, 1),
        status="snoozed",
        snoozed_until=dt.date(2026, 3, 19),
    )

    assert tasks_mark_missed(as_of=as_of) == 1

    statuses = {t.pk: t.status for t in Task.objects.all()}
    assert statuses == {on_edge.pk: "open", past.pk: "missed", snoozed.pk: "snoozed"}


def test_default_library_covers_every_class_of_the_domain(db):
    expected = {("value_potential", c) for c in ("star", "cash_cow", "potential", "long_tail")} | {
        ("value_tier", c) for c in ("core", "important", "ordinary")
    }
    expected |= {
        ("lifecycle", c)
        for c in ("prospect", "intent", "new", "repeat", "loyal", "dormant", "churned")
    }
    expected |= {(d, "yes") for d in ("churn_warning", "payment_risk", "problem_customer")}
    expected |= {("frequency", "high"), ("frequency", "low")}
    library = Playbook.objects.filter(active=True).prefetch_related("steps")
    assert {(p.dimension, p.class_code) for p in library} >= expected
    for pb in library:
        assert pb.class_code in CLASS_CHOICES[pb.dimension].values
        assert pb.class_code != UNCLASSIFIED
        assert all((pb.name_zh, pb.name_en, pb.goal_zh, pb.goal_en))
        assert pb.steps.count() >= 1
        assert all(s.instruction_zh and s.instruction_en for s in pb.steps.all())


def test_command_latest_and_errors(dormant_pb, rep_alice, capsys):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no current run"):
        call_command("strategies_generate", "--latest")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("strategies_generate", "--run", "-1")
    change = ClassChangeFactory(customer=CustomerFactory(owner=rep_alice), to_code="dormant")
    change.run.is_current = True
    change.run.save()
    call_command("strategies_generate", "--latest")
    assert "2 tasks created" in capsys.readouterr().out


def test_a_first_run_backfill_spreads_first_steps_over_the_cadence(dormant_pb, rep_alice):
    """Enrolling a whole book at once must not put every first call on day one: each customer
    gets a stable slot within the playbook's cadence (14 days here)."""
    from segmentation.models import CustomerClasses

    run = RunFactory()
    customers = CustomerFactory.create_batch(30, owner=rep_alice)
    CustomerClasses.objects.bulk_create(
        CustomerClasses(run=run, customer=c, lifecycle="dormant") for c in customers
    )

    strategies_generate(run_id=run.pk, backfill=True)

    first_calls = Task.objects.filter(kind="call", owner=rep_alice)
    dues = sorted({t.due_on for t in first_calls})
    assert first_calls.count() == 30
    assert len(dues) > 7  # spread over many days, not all on day one
    assert dues[0] >= run.as_of
    assert dues[-1] < run.as_of + dt.timedelta(days=dormant_pb.cadence_days)
    for task in first_calls:  # each customer's slot is its id within the cadence
        assert task.due_on == run.as_of + dt.timedelta(days=task.customer_id % 14)
    # Later steps keep their offset from the customer's slot.
    for task in Task.objects.filter(kind="offer"):
        call = first_calls.get(customer_id=task.customer_id)
        assert task.due_on - call.due_on == dt.timedelta(days=7)


def test_entries_after_the_first_run_are_not_staggered(dormant_pb, rep_alice):
    change = ClassChangeFactory(customer=CustomerFactory(owner=rep_alice), to_code="dormant")
    strategies_generate(run_id=change.run_id)
    assert Task.objects.get(kind="call").due_on == change.run.as_of


def test_generation_per_customer_id_range_gives_the_same_book_as_one_pass(
    dormant_pb, churn_pb, rep_alice, rep_amy
):
    """The first night runs per range of customer ids (bounded memory): ranges of 2 ids must
    produce exactly the tasks, caps and displacements one range produces."""
    from segmentation.models import CustomerClasses

    StrategySettings.objects.update(max_open_tasks=3)
    run = RunFactory()
    customers = [CustomerFactory(owner=(rep_alice, rep_amy)[i % 2]) for i in range(9)]
    CustomerClasses.objects.bulk_create(
        CustomerClasses(
            run=run, customer=c, lifecycle="dormant", churn_warning="yes" if i % 3 else "no"
        )
        for i, c in enumerate(customers)
    )
    TaskFactory(customer=customers[1], priority=95)  # already open: counts under the cap

    def book():
        tasks = Task.objects.values_list(
            "customer_id", "owner_id", "step_id", "kind", "due_on", "status", "note"
        )
        enrollments = Enrollment.objects.values_list("customer_id", "playbook_id", "tasks_capped")
        return sorted(tasks, key=str), sorted(enrollments)

    whole = strategies_generate(run_id=run.pk, backfill=True)
    expected = book()
    Task.objects.filter(enrollment__isnull=False).delete()
    Enrollment.objects.all().delete()
    Task.objects.update(status="open", note="", closed_on=None)

    ranged = strategies_generate(run_id=run.pk, backfill=True, range_size=2)

    assert book() == expected
    assert ranged == whole
    assert whole.tasks_capped > 0
    assert whole.tasks_displaced == 0
    assert Task.objects.filter(enrollment__isnull=False).count() == whole.tasks_created
