"""Service tests of the run: classes written, idempotent, recovery, lock, history, pins."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from segmentation.models import ClassChange, CustomerClasses, RuleSet, Run, RunStatus
from segmentation.services import RunInProgress, RunRefused, segmentation_run
from tests.customers.factories import CustomerFactory, ServiceCaseFactory, TransactionFactory
from tests.segmentation.factories import ClassPinFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


def _buyer(days_ago_list, amount="1000.00", **kwargs):
    customer = CustomerFactory(**kwargs)
    for days in days_ago_list:
        TransactionFactory(
            customer=customer, date=AS_OF - dt.timedelta(days=days), amount=Decimal(amount)
        )
    return customer


@pytest.fixture
def book(db):
    return {
        "loyal": _buyer([5, 40, 70, 100, 130, 160, 200, 400], amount="9000.00"),
        "dormant": _buyer([142, 300], amount="500.00"),
        "churned": _buyer([500], amount="200.00"),
        "prospect": CustomerFactory(),
        "new": _buyer([10]),
    }


def _classes(run, customer):
    return CustomerClasses.objects.get(run=run, customer=customer)


def test_run_classifies_every_customer_and_becomes_current(book):
    run = segmentation_run(as_of=AS_OF)
    assert run.status == RunStatus.SUCCEEDED
    assert run.is_current
    assert run.customers_total == 5
    assert run.rule_set == RuleSet.objects.get(is_active=True)
    assert _classes(run, book["loyal"]).lifecycle == "loyal"
    assert _classes(run, book["dormant"]).lifecycle == "dormant"
    assert _classes(run, book["dormant"]).recency_days == 142
    assert _classes(run, book["churned"]).lifecycle == "churned"
    assert _classes(run, book["prospect"]).lifecycle == "prospect"
    assert _classes(run, book["prospect"]).value_tier == "potential"
    assert _classes(run, book["new"]).lifecycle == "new"
    assert _classes(run, book["loyal"]).value_tier == "core"
    assert run.counts["lifecycle"]["dormant"] == 1


def _snapshot(run):
    return sorted(
        CustomerClasses.objects.filter(run=run).values_list(
            "customer_id",
            "lifecycle",
            "lifecycle_why",
            "value_tier",
            "rfm_segment",
            "potential_score",
            "recency_days",
            "revenue_window",
        )
    )


def test_same_as_of_twice_gives_the_same_rows(book):
    first = segmentation_run(as_of=AS_OF)
    rows = _snapshot(first)
    again = segmentation_run(as_of=AS_OF)  # nothing to do: already succeeded
    assert again.pk == first.pk
    assert again.attempts == 1
    forced = segmentation_run(as_of=AS_OF, force=True)
    assert forced.pk == first.pk
    assert forced.attempts == 2
    assert forced.is_current
    assert _snapshot(forced) == rows
    assert CustomerClasses.objects.filter(run=forced).count() == 5


def test_killed_run_keeps_previous_classes_and_next_run_recovers(book, monkeypatch):
    import segmentation.pipeline.runjob as runs
    from segmentation.pipeline.claim import stale_after

    day1 = segmentation_run(as_of=AS_OF)
    original = runs.partition_classify_write
    calls = {"n": 0}

    def dies_after_first_partition(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # not an Exception: like a killed process, nothing is cleaned
        return original(**kwargs)

    monkeypatch.setattr(runs, "partition_classify_write", dies_after_first_partition)
    day2 = AS_OF + dt.timedelta(days=1)
    with pytest.raises(KeyboardInterrupt):
        segmentation_run(as_of=day2, partition_size=2)
    half = Run.objects.get(as_of=day2)
    assert half.status == RunStatus.RUNNING
    assert half.phase == "classify"
    assert 0 < CustomerClasses.objects.filter(run=half).count() < 5
    # The product still shows day 1.
    assert Run.objects.get(is_current=True) == day1
    assert CustomerClasses.objects.filter(run=day1).count() == 5

    monkeypatch.setattr(runs, "partition_classify_write", original)
    # SQLite has no session lock: the dead run is recognised by its stale heartbeat.
    Run.objects.filter(pk=half.pk).update(
        heartbeat_at=timezone.now() - stale_after() - dt.timedelta(seconds=1)
    )
    recovered = segmentation_run(as_of=day2, partition_size=2)
    assert recovered.pk == half.pk
    assert recovered.status == RunStatus.SUCCEEDED
    assert recovered.attempts == 2
    assert recovered.is_current
    assert CustomerClasses.objects.filter(run=recovered).count() == 5
    assert not Run.objects.get(pk=day1.pk).is_current


def test_only_one_run_at_a_time(book):
    """Without a session lock (SQLite) a live run is recognised by its fresh heartbeat. On
    PostgreSQL the advisory lock decides (next test) and a "running" row without the lock is a
    dead run's leftover."""
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL decides by the advisory lock: see the next test")
    run = segmentation_run(as_of=AS_OF)
    Run.objects.create(
        as_of=AS_OF + dt.timedelta(days=1),
        rule_set=run.rule_set,
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    with pytest.raises(RunInProgress):
        segmentation_run(as_of=AS_OF + dt.timedelta(days=2))
    with pytest.raises(RunInProgress):
        segmentation_run(as_of=AS_OF + dt.timedelta(days=1))
    assert Run.objects.get(is_current=True) == run


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_advisory_lock_blocks_a_second_run(book):
    import psycopg2
    from django.db import connection

    from segmentation.services import LockKey

    settings_dict = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        password=settings_dict["PASSWORD"] or None,
    )
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", [int(LockKey.SEGMENTATION_RUN)])
        with pytest.raises(RunInProgress):
            segmentation_run(as_of=AS_OF)
        assert not Run.objects.filter(as_of=AS_OF).exists()
    finally:
        other.close()
    # A "running" row left by a dead process does not block the next run under the lock.
    dead = Run.objects.create(
        as_of=AS_OF - dt.timedelta(days=1),
        rule_set=RuleSet.objects.get(is_active=True),
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    assert segmentation_run(as_of=AS_OF).status == RunStatus.SUCCEEDED
    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED


def test_an_older_date_than_the_current_run_is_refused(book):
    segmentation_run(as_of=AS_OF)
    with pytest.raises(RunRefused, match=str(AS_OF)):
        segmentation_run(as_of=AS_OF - dt.timedelta(days=1))


def test_no_active_rule_set_is_refused(book):
    RuleSet.objects.update(is_active=False)
    with pytest.raises(RunRefused):
        segmentation_run(as_of=AS_OF)
    assert not Run.objects.exists()


def test_history_records_only_changes():
    steady = _buyer([10, 40, 70])
    prospect = CustomerFactory()
    segmentation_run(as_of=AS_OF)
    assert ClassChange.objects.count() == 0  # the first run has nothing to compare with
    segmentation_run(as_of=AS_OF + dt.timedelta(days=1))
    assert list(ClassChange.objects.values_list("dimension", "from_code", "to_code")) == []
    TransactionFactory(customer=prospect, date=AS_OF + dt.timedelta(days=2))
    third = segmentation_run(as_of=AS_OF + dt.timedelta(days=2))
    changes = ClassChange.objects.filter(run=third)
    # The new buyer moves in every dimension; the steady buyer may move only where a global
    # cut point moved with the new buyer (RFM quintiles, value tiers), never in lifecycle.
    assert set(changes.filter(dimension="lifecycle").values_list("customer_id", flat=True)) == {
        prospect.pk
    }
    assert changes.filter(customer_id=prospect.pk).count() >= 5
    lifecycle = changes.get(dimension="lifecycle")
    assert (lifecycle.from_code, lifecycle.to_code, lifecycle.as_of) == (
        "prospect",
        "new",
        AS_OF + dt.timedelta(days=2),
    )
    assert third.changes_total == changes.count()
    assert not changes.filter(customer_id=steady.pk, dimension="lifecycle").exists()


def test_active_pins_win_and_expired_pins_do_not(book):
    ClassPinFactory(customer=book["dormant"], dimension="lifecycle", code="loyal", expires_on=AS_OF)
    ClassPinFactory(
        customer=book["churned"],
        dimension="lifecycle",
        code="loyal",
        expires_on=AS_OF - dt.timedelta(days=1),
    )
    run = segmentation_run(as_of=AS_OF)
    pinned = _classes(run, book["dormant"])
    assert (pinned.lifecycle, pinned.lifecycle_why) == ("loyal", "pinned")
    assert _classes(run, book["churned"]).lifecycle == "churned"


def test_dwell_rule_holds_a_demotion_for_one_night(book):
    RuleSet.objects.filter(is_active=True).update(min_dwell_runs=2)
    customer = _buyer([119, 300])  # dormant from the day after AS_OF + 1
    segmentation_run(as_of=AS_OF)
    second = segmentation_run(as_of=AS_OF + dt.timedelta(days=2))
    row = _classes(second, customer)
    assert (row.lifecycle, row.lifecycle_why) == ("repeat", "held")
    assert row.pending == {"lifecycle": ["dormant", 1]}
    third = segmentation_run(as_of=AS_OF + dt.timedelta(days=3))
    assert _classes(third, customer).lifecycle == "dormant"


def test_metrics_are_computed_in_the_database_per_range():
    from customers.models import ContactLog
    from tests.customers.factories import (
        ContactLogFactory,
        ReferralFactory,
        SatisfactionSurveyFactory,
    )

    c = CustomerFactory(tax_number="91310000X")
    dup = CustomerFactory(tax_number="91310000X")

    def day(days):
        return AS_OF - dt.timedelta(days=days)

    TransactionFactory(
        customer=c,
        date=day(days=10),
        amount=Decimal("100"),
        cost=Decimal("60"),
        due_date=day(days=5),
        paid_date=None,
        status="open",
    )
    TransactionFactory(
        customer=c,
        date=day(days=364),
        amount=Decimal("300"),
        cost=None,
        due_date=day(days=350),
        paid_date=day(days=355),
    )
    TransactionFactory(customer=c, date=day(days=365), amount=Decimal("50"), cost=None)
    TransactionFactory(customer=c, date=day(days=20), amount=Decimal("999"), status="refunded")
    TransactionFactory(customer=c, date=AS_OF + dt.timedelta(days=1), amount=Decimal("7"))
    ServiceCaseFactory(
        customer=c, kind="complaint", opened_on=day(days=30), service_cost=Decimal("40")
    )
    ServiceCaseFactory(customer=c, kind="repair", opened_on=day(days=400))
    SatisfactionSurveyFactory(customer=c, surveyed_on=day(days=100), score=2)
    SatisfactionSurveyFactory(customer=c, surveyed_on=day(days=50), score=5)
    ReferralFactory(referrer=c, referred_on=day(days=3))
    ContactLogFactory(customer=c)
    ContactLog.objects.update(occurred_at=timezone.now() - dt.timedelta(days=5000))
    ContactLogFactory(
        customer=c, occurred_at=timezone.make_aware(dt.datetime.combine(day(days=1), dt.time(12)))
    )

    run = segmentation_run(as_of=AS_OF)
    m = _classes(run, c)
    assert (m.orders_total, m.orders_window, m.orders_prev_window) == (3, 2, 1)
    assert m.revenue_total == 450
    assert m.revenue_window == 400
    assert m.profit_total == 40  # only the order with a cost counts
    assert m.margin_pct == pytest.approx(40.0)
    assert m.recency_days == 10
    assert m.tenure_days == 365
    assert m.interval_days == pytest.approx(177.5)
    assert (m.due_orders, m.on_time_pct) == (2, 50.0)
    assert (m.overdue_amount, m.overdue_days) == (100, 5)
    assert (m.complaints, m.repairs, m.service_cost) == (1, 0, 40 + 0)
    assert (m.satisfaction, m.referrals, m.contacts_window) == (5, 1, 1)
    assert m.categories == 0
    assert m.duplicate_of is None
    d = _classes(run, dup)
    assert d.duplicate_of == c.pk
    assert (d.lifecycle, d.lifecycle_why) == ("unclassified", "duplicate")


def test_task_and_command_run_the_service(book):
    from io import StringIO

    from django.core.management import call_command

    from segmentation.tasks import segmentation_run_task

    run_id = segmentation_run_task.delay(as_of=AS_OF.isoformat()).get()
    assert Run.objects.get(pk=run_id).status == RunStatus.SUCCEEDED
    out = StringIO()
    call_command(
        "segment",
        "--as-of",
        (AS_OF + dt.timedelta(days=1)).isoformat(),
        "--partition-size",
        "2",
        stdout=out,
        verbosity=0,
    )
    assert "5" in out.getvalue()
    assert Run.objects.get(is_current=True).as_of == AS_OF + dt.timedelta(days=1)


def test_command_reports_a_refused_run_clearly(book):
    from django.core.management import CommandError, call_command

    segmentation_run(as_of=AS_OF)
    with pytest.raises(CommandError, match=str(AS_OF)):
        call_command("segment", "--as-of", "2026-01-01", verbosity=0)


def test_run_killed_during_metrics_leaves_nothing_visible_and_recovers(book, monkeypatch):
    import segmentation.pipeline.steps as runs
    from segmentation.pipeline.claim import stale_after

    day1 = segmentation_run(as_of=AS_OF)

    def killed(**kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runs, "metrics_for_range", killed)
    day2 = AS_OF + dt.timedelta(days=1)
    with pytest.raises(KeyboardInterrupt):
        segmentation_run(as_of=day2)
    assert Run.objects.get(as_of=day2).phase == "metrics"
    assert Run.objects.get(is_current=True) == day1
    monkeypatch.undo()
    Run.objects.filter(as_of=day2).update(heartbeat_at=timezone.now() - stale_after() * 2)
    assert segmentation_run(as_of=day2).is_current


def test_a_failing_run_is_marked_failed_with_its_error(book, monkeypatch):
    import segmentation.pipeline.steps as runs

    def broken(**kwargs):
        raise ValueError("disk full")

    monkeypatch.setattr(runs, "metrics_for_range", broken)
    with pytest.raises(ValueError, match="disk full"):
        segmentation_run(as_of=AS_OF)
    run = Run.objects.get(as_of=AS_OF)
    assert (run.status, run.is_current) == (RunStatus.FAILED, False)
    assert "disk full" in run.error
    monkeypatch.undo()
    assert segmentation_run(as_of=AS_OF).status == RunStatus.SUCCEEDED  # a failed run retries


def test_customer_export_gains_one_column_per_dimension(book):
    from customers.exporting import customer_export_headers, customer_export_rows
    from customers.models import Customer

    segmentation_run(as_of=AS_OF)
    headers = customer_export_headers()
    for column in (
        "lifecycle",
        "value_tier",
        "loyalty",
        "potential",
        "value_potential",
        "frequency",
        "rfm_r",
        "rfm_f",
        "rfm_m",
        "rfm_segment",
        "churn_warning",
        "payment_risk",
        "problem_customer",
        "recency_days",
        "orders_total",
    ):
        assert column in headers
    rows = list(customer_export_rows(Customer.objects.filter(pk=book["dormant"].pk), today=AS_OF))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["lifecycle"] == "dormant"
    assert record["recency_days"] == 142


def _wait_finished(run_id, timeout=120):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = Run.objects.get(pk=run_id)
        if run.status != RunStatus.RUNNING:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still running after {timeout} s: {run.phase}")


@pytest.mark.needs_worker
@pytest.mark.django_db(transaction=True)
def test_the_nightly_task_runs_on_a_real_worker(celery_worker_process, book):
    from segmentation.tasks import segmentation_run_task

    run_id = segmentation_run_task.apply_async(kwargs={"as_of": AS_OF.isoformat()}).get(timeout=120)
    run = _wait_finished(run_id)
    assert (run.status, run.is_current, run.customers_total) == (RunStatus.SUCCEEDED, True, 5)
    assert run.plan["mode"] == "celery"
    assert run.partitions.count() == 1
