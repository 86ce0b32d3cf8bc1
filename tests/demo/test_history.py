"""seed_demo --history: past runs through the product's own services and the reps' work in
between, so every dashboard opens on real figures; and a demo whose every class is populated.

These tests run the classification several times (transactional: the run's post-run hook fires
on commit, as it does for `manage.py seed_demo --history`)."""

import datetime as dt
import io
import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from crm.models import User
from customers.models import ContactLog, CustomerTag, TagDefinition
from dashboards.scope import Scope
from dashboards.selectors.funnel import funnel_data
from dashboards.selectors.movements import movements_data
from demo.history import demo_history, history_dates
from demo.seed import SeedError, seed_demo
from demo.seed.tags import NEED_OPTIONS, NEED_TAG
from segmentation.models import CLASS_CHOICES, UNCLASSIFIED, CustomerClasses, Run, RunStatus
from segmentation.services import segmentation_run
from strategies.models import Task, TaskStatus
from strategies.selectors.adherence_dashboard import adherence_chart
from strategies.selectors.effectiveness import playbook_effectiveness

pytestmark = pytest.mark.django_db(transaction=True)

AS_OF = dt.date(2026, 3, 31)


def _admin() -> User:
    return User.objects.get(username="demo_admin")


def test_history_dates_end_on_the_last_day_and_go_back_far_enough():
    dates = history_dates(until=AS_OF, days=365, step=14)
    assert dates[-1] == AS_OF
    assert dates[0] <= AS_OF - dt.timedelta(days=365)
    assert dates == sorted(set(dates))
    assert {(b - a).days for a, b in itertools.pairwise(dates)} == {14}


def test_a_small_demo_with_history():
    """300 customers, a run every two weeks for four months up to AS_OF — one demo for every
    check below (each history costs several classification runs)."""
    seeded = seed_demo(customers=300, seed=7, as_of=AS_OF)
    report = demo_history(until=AS_OF, days=120, step=14, seed_value=7)
    _runs_every_date_and_the_last_one_is_current(report)
    _reps_did_tasks_on_time_late_and_missed_them_and_logged_the_contacts(
        report, seeded_logs=seeded.rows[ContactLog._meta.db_table]
    )
    _every_dashboard_has_figures_on_its_first_page()
    with pytest.raises(SeedError, match="already has classification runs"):
        demo_history(until=AS_OF, days=28, step=14)
    # "Run now" on the demo: the current run's date again, compared with the previous run
    # (two weeks earlier), so it finds the changes of those two weeks, not nothing.
    again = segmentation_run(as_of=AS_OF, force=True, triggered_by="test: run now")
    assert again.status == RunStatus.SUCCEEDED
    assert again.is_current
    assert again.changes_total > 0


def _runs_every_date_and_the_last_one_is_current(report):
    runs = list(Run.objects.order_by("as_of").values_list("as_of", "status", "is_current"))
    assert [r[0] for r in runs] == history_dates(until=AS_OF, days=120, step=14)
    assert {r[1] for r in runs} == {RunStatus.SUCCEEDED}
    assert [r[0] for r in runs if r[2]] == [AS_OF]
    assert report.runs == len(runs) == 10


def _reps_did_tasks_on_time_late_and_missed_them_and_logged_the_contacts(report, *, seeded_logs):
    done = Task.objects.filter(status=TaskStatus.DONE)
    assert done.filter(closed_on__lte=F("due_on")).count() == report.tasks_on_time > 0
    assert done.filter(closed_on__gt=F("due_on")).count() == report.tasks_late > 0
    assert Task.objects.filter(status=TaskStatus.MISSED).exists()
    # Work happens on past days, never on or after the last run's day; each done task has
    # its time.
    assert not done.filter(Q(closed_on__gte=AS_OF) | Q(completed_at__isnull=True)).exists()
    # A done contact task carries the contact it logged, on its day, by its owner.
    linked = done.filter(contact_log__isnull=False).select_related("contact_log")
    assert linked.exists()
    for task in linked[:50]:
        log = task.contact_log
        assert timezone.localtime(log.occurred_at).date() == task.closed_on
        assert log.rep_id == task.owner_id
        assert log.customer_id == task.customer_id
    # Every log the history wrote is in the table, and some are calls and visits besides the
    # tasks (the reps' cadence).
    assert ContactLog.objects.count() == seeded_logs + report.contact_logs
    assert report.contact_logs > linked.count()


def _every_dashboard_has_figures_on_its_first_page():
    """What the issue found empty on a fresh demo: movements, funnel rates, effectiveness and
    weekly adherence, each read with the dashboards' own selectors and default periods."""
    admin = _admin()
    scope = Scope(user=admin)

    movements = movements_data(scope=scope, dimension="lifecycle")
    assert movements["from_run"] is not None
    assert movements["to_run"].as_of == AS_OF
    assert movements["total"] > 0
    assert movements["rows"]

    funnel = funnel_data(scope=scope)
    assert funnel["steps"], "the funnel needs two runs"
    # A 300-customer demo can have a stage empty at the start of the period (e.g. no intent
    # customer that day, depending on the draws); the 3,000-customer demo has every stage.
    assert sum(step["base"] > 0 for step in funnel["steps"]) >= len(funnel["steps"]) - 1, [
        (step["label"], step["base"]) for step in funnel["steps"]
    ]
    assert any((step["rate"] or 0) > 0 for step in funnel["steps"])

    effectiveness = playbook_effectiveness(user=admin, window=30)
    assert effectiveness.rows, "effectiveness says 'none yet'"
    total = effectiveness.total
    assert total.kept.entered > 0
    assert total.not_kept.entered > 0
    assert total.total.improved > 0

    adherence = adherence_chart(user=admin, weeks=12)
    weekly = [pct for _start, _end, pct in adherence.trend if pct is not None]
    assert len(weekly) >= 8
    # Not a flat 0 % (nor a flat 100 %): reps keep most steps, not all. The newest week may
    # still be all on time — its late tasks are not done yet.
    assert sum(0 < pct < 100 for pct in weekly) >= len(weekly) - 1, weekly
    assert adherence.total.on_time > 0
    assert adherence.total.late > 0
    assert adherence.total.missed > 0


def test_the_command_loads_a_history_and_reports_it():
    out = io.StringIO()
    call_command(
        "seed_demo",
        "--customers=60",
        "--seed=3",
        f"--as-of={AS_OF}",
        "--history",
        "--history-days=28",
        "--history-step=14",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "History: 3 classification runs" in out.getvalue()
    assert "Next: `manage.py segment`" not in out.getvalue()
    assert Run.objects.get(is_current=True).as_of == AS_OF


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--history-step=0"], "--history-step must be between 1"),
        (["--history-days=7", "--history-step=14"], "--history-step must be between 1"),
    ],
)
def test_the_command_rejects_a_bad_schedule(args, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "seed_demo", "--customers=20", "--history", *args, stdout=io.StringIO(),
            stderr=io.StringIO(),
        )  # fmt: skip


def _empty_classes(run: Run) -> list[str]:
    """`dimension:class` of every built-in class no customer is in at `run`."""
    empty = []
    for dimension, choices in CLASS_CHOICES.items():
        counts = dict(
            CustomerClasses.objects.filter(run=run)
            .values_list(dimension)
            .annotate(n=Count("customer_id"))
            .values_list(dimension, "n")
        )
        empty += [
            f"{dimension}:{code}"
            for code in choices.values
            if code != UNCLASSIFIED and not counts.get(code)
        ]
    return empty


@pytest.mark.slow
def test_the_make_run_demo_populates_every_class_and_need_type():
    """`seed_demo --customers 3000 --seed 42` with history (shortened here to three runs: the
    classes are those of the current run): no built-in class is empty, and each need type
    (成本敏感型 / 品质追求型 / 创新驱动型) is set on customers."""
    seed_demo(customers=3000, seed=42)
    demo_history(days=28, step=14, seed_value=42)
    current = Run.objects.get(is_current=True)
    assert current.as_of == timezone.localdate()
    assert _empty_classes(current) == []
    tag = TagDefinition.objects.get(key=NEED_TAG[0])
    counts = dict(CustomerTag.objects.filter(tag=tag).values_list("value").annotate(n=Count("id")))
    assert {code: counts.get(code, 0) > 0 for code, _zh, _en in NEED_OPTIONS} == {
        code: True for code, _zh, _en in NEED_OPTIONS
    }
