"""Next contact deadlines (TouchDue): what the overdue-touch lists read. Day-time changes a rep
makes (a call logged in the workspace or with a task, a claim from the pool) and the other
writers of "last contact" (merge, import, admin) move the deadline at once; the nightly
rebuild agrees with the live rule of the customer page."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.sites import site as admin_site
from django.urls import reverse
from django.utils import timezone

from customers.importing import run_import
from customers.models import ContactLog, Customer
from customers.services import contact_log_create, customer_merge
from strategies.models import Enrollment, Playbook, PoolEvent, TouchDue
from strategies.selectors import customer_next_action, overdue_touch_for, task_buckets
from strategies.services import pool_claim
from strategies.services.touch import touch_due_refresh
from tests.customers.factories import ContactLogFactory, CustomerFactory
from tests.strategies.factories import EnrollmentFactory, PlaybookFactory, StepFactory, TaskFactory

pytestmark = pytest.mark.django_db

LONG_AGO = dt.timedelta(days=200)


def _names(user, **kwargs):
    return [c.name for c in overdue_touch_for(user=user, today=timezone.localdate(), **kwargs)]


@pytest.fixture
def playbook(no_library):
    return PlaybookFactory(max_interval_days=14)


def _neglected(owner, playbook, name, *, team=None):
    """A customer nobody has contacted for 200 days, following a 14-day playbook; its
    deadline as the night's rebuild leaves it."""
    customer = CustomerFactory(owner=owner, name=name, **({"team": team} if team else {}))
    Customer.objects.filter(pk=customer.pk).update(created_at=timezone.now() - LONG_AGO)
    EnrollmentFactory(customer=customer, playbook=playbook, started_on=timezone.localdate())
    touch_due_refresh(customer_ids=[customer.pk])
    return customer


def test_a_call_logged_in_the_workspace_clears_overdue_touch_at_once(
    client, playbook, rep_alice, manager_maria
):
    late = _neglected(rep_alice, playbook, "late")
    other = _neglected(rep_alice, playbook, "other")
    assert _names(rep_alice) == _names(manager_maria) == ["late", "other"]

    client.force_login(rep_alice)
    response = client.post(
        reverse("customers:log", args=[late.pk]),
        {
            "channel": "call",
            "direction": "outbound",
            "summary": "约了下周拜访",
            "outcome": "reached",
        },
    )

    assert response.status_code == 302
    assert _names(rep_alice) == _names(manager_maria) == ["other"]
    due = TouchDue.objects.get(customer=late)
    assert (due.clock, due.due_on) == (
        timezone.localdate(),
        timezone.localdate() + dt.timedelta(days=14),
    )
    assert other.name in client.get(reverse("strategies:tasks")).content.decode()
    assert "late" not in client.get(reverse("strategies:tasks")).content.decode()


def test_a_call_logged_with_a_task_clears_overdue_touch_at_once(
    client, playbook, rep_alice, manager_maria
):
    late = _neglected(rep_alice, playbook, "late")
    task = TaskFactory(customer=late, step=StepFactory(playbook=playbook), kind="call")
    client.force_login(rep_alice)
    response = client.post(
        reverse("strategies:task_complete", args=[task.pk]),
        {"log_contact": "on", "summary": "谈了下个订单", "outcome": "follow_up"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert _names(manager_maria) == []
    assert (
        customer_next_action(
            user=rep_alice, customer=late, today=timezone.localdate()
        ).overdue_touch
        is False
    )


def test_a_backdated_call_moves_the_clock_only_as_far_as_it_goes(playbook, rep_alice):
    """A call entered today that happened 20 days ago: still overdue (since 6 days)."""
    late = _neglected(rep_alice, playbook, "late")
    when = timezone.now() - dt.timedelta(days=20)
    contact_log_create(
        actor=rep_alice,
        customer=late,
        data={"channel": "call", "summary": "补录", "occurred_at": when},
    )
    [customer] = overdue_touch_for(user=rep_alice, today=timezone.localdate())
    assert customer.touch_due_on == timezone.localdate(when) + dt.timedelta(days=14)


def test_a_claim_from_the_pool_restarts_the_clock(playbook, rep_alice, manager_maria):
    pooled = _neglected(None, playbook, "pooled", team=rep_alice.team)
    assert _names(manager_maria) == ["pooled"]
    pool_claim(actor=rep_alice, customer_id=pooled.pk)
    assert _names(manager_maria) == _names(rep_alice) == []
    assert TouchDue.objects.get(customer=pooled).clock == timezone.localdate()


def test_a_merge_gives_the_survivor_the_merged_customers_contacts(
    playbook, rep_alice, manager_maria
):
    survivor = _neglected(rep_alice, playbook, "survivor")
    merged = _neglected(rep_alice, playbook, "merged")
    ContactLogFactory(customer=merged, occurred_at=timezone.now() - dt.timedelta(days=2))
    customer_merge(actor=manager_maria, survivor=survivor, merged=merged)
    assert _names(manager_maria) == []
    assert list(TouchDue.objects.values_list("customer_id", flat=True)) == [survivor.pk]


def test_an_imported_contact_log_clears_overdue_touch(tmp_path, playbook, rep_alice):
    late = _neglected(rep_alice, playbook, "late")
    Customer.objects.filter(pk=late.pk).update(external_code="C-LATE")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    path = tmp_path / "logs.csv"
    path.write_text(f"customer_code,occurred_at,summary\nC-LATE,{yesterday} 10:00,上门拜访\n")
    assert run_import(kind="contact_logs", path=path).created == 1
    assert _names(rep_alice) == []
    assert TouchDue.objects.get(customer=late).clock == yesterday


def test_a_log_moved_to_another_customer_by_re_import_moves_both_deadlines(
    tmp_path, playbook, rep_alice
):
    late = _neglected(rep_alice, playbook, "late")
    other = _neglected(rep_alice, playbook, "other")
    Customer.objects.filter(pk=late.pk).update(external_code="C-LATE")
    Customer.objects.filter(pk=other.pk).update(external_code="C-OTHER")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    path = tmp_path / "logs.csv"
    path.write_text(f"code,customer_code,occurred_at,summary\nL-1,C-LATE,{yesterday} 10:00,拜访\n")
    assert run_import(kind="contact_logs", path=path).created == 1
    assert _names(rep_alice) == ["other"]
    # The same log, corrected: it was the other customer who was visited.
    path.write_text(f"code,customer_code,occurred_at,summary\nL-1,C-OTHER,{yesterday} 10:00,拜访\n")
    assert run_import(kind="contact_logs", path=path).updated == 1
    assert ContactLog.objects.get(external_code="L-1").customer_id == other.pk
    assert _names(rep_alice) == ["late"]
    assert TouchDue.objects.get(customer=other).clock == yesterday


def test_deleting_the_only_recent_log_in_admin_makes_the_customer_overdue_again(
    client, playbook, rep_alice, admin_ada
):
    late = _neglected(rep_alice, playbook, "late")
    log = contact_log_create(
        actor=rep_alice, customer=late, data={"channel": "call", "summary": "误录"}
    )
    assert _names(rep_alice) == []
    client.force_login(admin_ada)
    response = client.post(
        reverse("admin:customers_contactlog_delete", args=[log.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not ContactLog.objects.exists()
    assert _names(rep_alice) == ["late"]


def test_ending_an_enrollment_in_admin_clears_its_deadline(client, playbook, rep_alice, admin_ada):
    late = _neglected(rep_alice, playbook, "late")
    enrollment = Enrollment.objects.get(customer=late)
    client.force_login(admin_ada)
    response = client.post(
        reverse("admin:strategies_enrollment_delete", args=[enrollment.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not TouchDue.objects.exists()
    assert _names(rep_alice) == []


def test_a_playbook_gap_changed_in_admin_is_rebuilt_after_the_commit(
    rf, playbook, rep_alice, admin_ada, django_capture_on_commit_callbacks
):
    late = _neglected(rep_alice, playbook, "late")
    request = rf.post("/")
    request.user = admin_ada
    playbook_admin = admin_site._registry[Playbook]
    playbook.max_interval_days = 300
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        playbook_admin.save_model(request, playbook, form=None, change=True)
    assert len(callbacks) == 1
    assert TouchDue.objects.get(customer=late).gap_days == 300
    assert _names(rep_alice) == []
    with django_capture_on_commit_callbacks() as callbacks:
        playbook_admin.save_model(request, playbook, form=None, change=True)  # nothing moved
    assert callbacks == []


def test_a_log_moved_to_another_customer_in_admin_moves_both_deadlines(
    client, playbook, rep_alice, admin_ada
):
    late = _neglected(rep_alice, playbook, "late")
    other = _neglected(rep_alice, playbook, "other")
    log = contact_log_create(
        actor=rep_alice, customer=late, data={"channel": "call", "summary": "拜访"}
    )
    assert _names(rep_alice) == ["other"]
    log.customer = other  # the admin's form, saved through customers' service
    request = type("Request", (), {"user": admin_ada})()
    admin_site._registry[ContactLog].save_model(request, log, form=None, change=True)
    assert _names(rep_alice) == ["late"]
    assert TouchDue.objects.get(customer=other).clock == timezone.localdate()


def test_deleting_a_claim_in_admin_moves_the_clock_back(client, playbook, rep_alice, admin_ada):
    pooled = _neglected(None, playbook, "pooled", team=rep_alice.team)
    pool_claim(actor=rep_alice, customer_id=pooled.pk)
    assert _names(rep_alice) == []
    claim = PoolEvent.objects.get(customer=pooled)
    client.force_login(admin_ada)
    response = client.post(
        reverse("admin:strategies_poolevent_delete", args=[claim.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not PoolEvent.objects.exists()
    assert _names(rep_alice) == ["pooled"]


def test_a_playbook_deleted_in_admin_rebuilds_after_the_commit(
    client, playbook, rep_alice, admin_ada, django_capture_on_commit_callbacks
):
    _neglected(rep_alice, playbook, "late")
    client.force_login(admin_ada)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("admin:strategies_playbook_delete", args=[playbook.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert not TouchDue.objects.exists()  # no enrollment left, so no deadline


def test_only_the_service_layer_refreshes_and_only_touch_writes_the_cache():
    """One entry point: touch_due_refresh is called from strategies' services (and the thin
    task and command that run it), never from admin, views, apps or migrations; and no module
    but strategies/services/touch.py writes TouchDue rows."""
    root = Path(settings.BASE_DIR)
    commands = "strategies/management/commands/"
    allowed_callers = {
        "strategies/tasks.py",
        f"{commands}strategies_generate.py",
        f"{commands}touch_due_refresh.py",
    }
    callers, writers = set(), set()
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith((".venv/", "tests/", "bench/")):
            continue
        text = path.read_text(encoding="utf-8")
        if "touch_due_refresh(" in text and not rel.startswith("strategies/services/"):
            callers.add(rel)
        if re.search(r"TouchDue\.objects\.[\w()., =]*(create|update|delete)", text):
            writers.add(rel)
    assert callers <= allowed_callers
    assert writers == {"strategies/services/touch.py"}


def test_the_rebuild_agrees_with_the_customer_page_and_writes_nothing_twice(no_library, rep_alice):
    today = timezone.localdate()
    week = PlaybookFactory(max_interval_days=7)
    month = PlaybookFactory(max_interval_days=30)
    no_gap = PlaybookFactory(max_interval_days=None)
    switched_off = PlaybookFactory(max_interval_days=3, active=False)
    ago = timezone.now() - LONG_AGO
    customers = {}
    for name, playbooks in [
        ("week-and-month", [week, month]),  # the smaller gap counts
        ("month", [month]),
        ("no-gap", [no_gap]),  # no deadline at all
        ("off", [switched_off, month]),  # an inactive playbook's gap does not count
        ("ended", []),
        ("claimed", [month]),
        ("logged", [week]),
    ]:
        c = CustomerFactory(owner=rep_alice, name=name)
        customers[name] = c
        for pb in playbooks:
            EnrollmentFactory(customer=c, playbook=pb, started_on=today)
    Customer.objects.update(created_at=ago)
    EnrollmentFactory(customer=customers["ended"], playbook=week, ended_on=today)
    PoolEvent.objects.create(
        customer=customers["claimed"], kind="claim", on=today - dt.timedelta(days=40)
    )
    ContactLogFactory(customer=customers["logged"], occurred_at=ago + dt.timedelta(days=150))
    ContactLogFactory(customer=customers["logged"], occurred_at=ago + dt.timedelta(days=10))

    assert touch_due_refresh(batch=3) == 5  # ranges of 3 ids: the range edges are covered
    for name, c in customers.items():
        live = customer_next_action(user=rep_alice, customer=c, today=today).touch_due_on
        row = TouchDue.objects.filter(customer=c).first()
        assert (row.due_on if row else None) == live, name
    assert TouchDue.objects.get(customer=customers["week-and-month"]).gap_days == 7
    assert touch_due_refresh() == 0

    Playbook.objects.filter(pk=month.pk).update(active=False)
    assert touch_due_refresh() == 3  # "month", "off" and "claimed" no longer have a gap
    assert not TouchDue.objects.filter(customer=customers["month"]).exists()


def test_the_night_after_a_run_builds_the_deadlines(no_library, rep_alice):
    from strategies.tasks import strategies_after_run
    from tests.strategies.factories import ClassChangeFactory

    pb = PlaybookFactory(dimension="lifecycle", class_code="dormant", max_interval_days=14)
    StepFactory(playbook=pb, order=1, kind="call", day_offset=0)
    change = ClassChangeFactory(customer=CustomerFactory(owner=rep_alice), to_code="dormant")
    strategies_after_run(run_id=change.run_id)
    due = TouchDue.objects.get(customer=change.customer)
    assert due.gap_days == 14


def test_a_managers_list_says_when_it_is_cut(
    client, playbook, rep_alice, manager_maria, monkeypatch
):
    monkeypatch.setattr("strategies.views.TOUCH_LIST_SIZE", 2)
    for name in ("a", "b", "c"):
        _neglected(rep_alice, playbook, name)
    client.force_login(manager_maria)
    response = client.get(reverse("strategies:tasks"))
    assert len(response.context["overdue_touch"]) == 2
    assert response.context["more_overdue_touch"] is True
    assert "仅显示逾期最久的 2 位客户。" in response.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("strategies:tasks")).content.decode()
    assert "Only the 2 longest overdue are shown." in english


def test_one_book_and_the_whole_team_list_the_same_tasks(no_library, rep_alice, manager_maria):
    """A rep's book is read whole and cut in Python, a team along the date index: same
    buckets, same order, same "more" flags."""
    today = timezone.localdate()
    pb = PlaybookFactory()
    high = PlaybookFactory(priority=90)
    for i in range(12):
        c = CustomerFactory(owner=rep_alice)
        step = StepFactory(playbook=high if i % 3 == 0 else pb)
        snoozed = {"status": "snoozed", "snoozed_until": today} if i == 5 else {}
        TaskFactory(
            customer=c,
            step=step,
            priority=step.playbook.priority,
            due_on=today + dt.timedelta(days=i % 4 - 1),
            **snoozed,
        )
    TaskFactory(customer=CustomerFactory(owner=rep_alice), due_on=today, status="done",
                completed_at=timezone.now())  # fmt: skip  # closed: never listed

    def ids(b):
        return (
            [t.pk for t in b.overdue], b.more_overdue,
            [t.pk for t in b.today], b.more_today,
            [t.pk for t in b.upcoming], b.more_upcoming,
        )  # fmt: skip

    team = ids(task_buckets(user=manager_maria, today=today, size=2))
    assert ids(task_buckets(user=rep_alice, today=today, size=2)) == team
    assert ids(task_buckets(user=manager_maria, today=today, size=2, owner_id=rep_alice.pk)) == team
    assert (team[1], team[3], team[5]) == (True, True, True)  # every bucket is cut
    whole = task_buckets(user=rep_alice, today=today, size=50)
    assert [(t.when, -t.priority, t.pk) for t in whole.today] == sorted(
        (t.when, -t.priority, t.pk) for t in whole.today
    )
    assert len(whole.overdue) + len(whole.today) + len(whole.upcoming) == 12


@pytest.mark.parametrize("persona", ["rep_alice", "manager_maria", "director_dora"])
@pytest.mark.parametrize("page", ["home", "strategies:tasks"])
def test_my_day_and_the_task_page_take_as_many_queries_for_3_customers_as_for_40(
    request, client, playbook, persona, page, django_assert_max_num_queries
):
    rep_alice = request.getfixturevalue("rep_alice")
    user = request.getfixturevalue(persona)
    today = timezone.localdate()
    step = StepFactory(playbook=playbook)

    def add(n):
        for i in range(n):
            c = _neglected(rep_alice, playbook, f"c{i}")
            TaskFactory(customer=c, step=step, due_on=today + dt.timedelta(days=i % 5 - 2))
            ContactLogFactory(customer=c, rep=user, occurred_at=timezone.now() - LONG_AGO,
                              next_follow_up=today - dt.timedelta(days=i % 3))  # fmt: skip

    client.force_login(user)
    add(3)
    with django_assert_max_num_queries(40) as few:
        assert client.get(reverse(page)).status_code == 200
    add(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse(page))
    assert response.status_code == 200
    assert response.content.decode().count('class="strategy-task ') >= 24


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_call_logged_while_the_rebuild_reads_its_range_is_not_undone(
    monkeypatch, no_library, rep_alice
):
    """The nightly rebuild reads a range's clocks, then writes. A call committed in between
    (another connection) must win: the range's snapshot fails to overwrite the newer row and
    the range is recomputed with the call."""
    import threading

    from django.db import connections

    from strategies.services import touch

    late = _neglected(rep_alice, PlaybookFactory(max_interval_days=14), "late")
    stale_due = TouchDue.objects.get(customer=late).due_on
    real = touch.touch_clock_starts_between
    calls = []

    def clocks_then_a_call(lo, hi):
        out = real(lo, hi)  # the rebuild's view: 200 days without contact
        calls.append(lo)
        if len(calls) == 1:

            def rep_logs_a_call():
                try:
                    contact_log_create(
                        actor=rep_alice, customer=late, data={"channel": "call", "summary": "回访"}
                    )
                finally:
                    connections.close_all()

            thread = threading.Thread(target=rep_logs_a_call)
            thread.start()
            thread.join()
        return out

    monkeypatch.setattr(touch, "touch_clock_starts_between", clocks_then_a_call)
    # Make the rebuild's stale value differ from what it finds, so it has to write.
    TouchDue.objects.filter(customer=late).update(due_on=stale_due - dt.timedelta(days=1))
    touch.touch_due_refresh()
    row = TouchDue.objects.get(customer=late)
    assert row.clock == timezone.localdate()  # the call's clock, not the rebuild's
    assert _names(rep_alice) == []
    assert len(calls) >= 2  # the range was read again
