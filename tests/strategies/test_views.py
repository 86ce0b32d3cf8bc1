import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import ContactLog, Customer
from strategies.models import PoolEvent, StrategySettings, Task
from strategies.services.touch import touch_due_refresh
from tests.customers.factories import CustomerFactory
from tests.strategies.factories import EnrollmentFactory, PlaybookFactory, StepFactory, TaskFactory

pytestmark = pytest.mark.django_db

PAGES = ["strategies:tasks", "strategies:pool", "strategies:adherence", "strategies:playbooks"]


@pytest.fixture
def alice_task(rep_alice):
    pb = PlaybookFactory(max_interval_days=14)
    step = StepFactory(playbook=pb, kind="call", instruction_en="Ask about the order")
    customer = CustomerFactory(owner=rep_alice, name="甲公司")
    enrollment = EnrollmentFactory(customer=customer, playbook=pb)
    return TaskFactory(
        customer=customer, enrollment=enrollment, step=step, due_on=timezone.localdate()
    )


@pytest.mark.parametrize("page", PAGES)
def test_every_persona_gets_every_page(client, personas, alice_task, page):
    for name, user in personas.items():
        client.force_login(user)
        response = client.get(reverse(page))
        assert response.status_code == 200, name


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_login(client, page):
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("rep_alice", True),
        ("rep_amy", False),
        ("rep_bob_other_team", False),
        ("manager_maria", True),
        ("manager_mike_other_team", False),
        ("director_dora", True),
        ("admin_ada", True),
    ],
)
def test_task_list_shows_a_task_only_to_who_may_see_it(client, personas, alice_task, persona, sees):
    client.force_login(personas[persona])
    html = client.get(reverse("strategies:tasks")).content.decode()
    assert ("甲公司" in html) is sees


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("rep_alice", 200),
        ("rep_amy", 404),
        ("rep_bob_other_team", 404),
        ("manager_maria", 200),
        ("manager_mike_other_team", 404),
        ("director_dora", 200),
        ("admin_ada", 200),
    ],
)
def test_completing_someone_elses_task_is_404_and_changes_nothing(
    client, personas, alice_task, persona, status
):
    client.force_login(personas[persona])
    url = reverse("strategies:task_complete", args=[alice_task.pk])
    response = client.post(url, {"outcome": "reached"}, HTTP_HX_REQUEST="true")
    assert response.status_code == status
    alice_task.refresh_from_db()
    assert alice_task.status == ("done" if status == 200 else "open")


def test_missing_task_is_404(client, rep_alice):
    client.force_login(rep_alice)
    assert client.post(reverse("strategies:task_complete", args=[999999])).status_code == 404
    assert client.post(reverse("strategies:task_snooze", args=[999999])).status_code == 404


def test_complete_with_log_creates_the_contact_log_and_returns_the_fragment(
    client, rep_alice, alice_task
):
    client.force_login(rep_alice)
    response = client.post(
        reverse("strategies:task_complete", args=[alice_task.pk]),
        {"log_contact": "on", "summary": "谈了下个订单", "outcome": "follow_up"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="task-{alice_task.pk}"' in html
    assert "<html" not in html
    alice_task.refresh_from_db()
    log = ContactLog.objects.get(customer=alice_task.customer)
    assert (log.channel, log.summary, log.outcome, log.rep) == (
        "call",
        "谈了下个订单",
        "follow_up",
        rep_alice,
    )
    assert alice_task.status == "done"
    assert alice_task.contact_log == log


def test_complete_with_log_but_no_summary_is_refused_with_a_message(client, rep_alice, alice_task):
    client.force_login(rep_alice)
    response = client.post(
        reverse("strategies:task_complete", args=[alice_task.pk]),
        {"log_contact": "on", "summary": "  ", "outcome": "reached"},
        HTTP_HX_REQUEST="true",
    )
    assert 'role="alert"' in response.content.decode()
    alice_task.refresh_from_db()
    assert alice_task.status == "open"
    assert not ContactLog.objects.exists()


def test_a_closed_task_cannot_be_completed_again(client, rep_alice, alice_task):
    client.force_login(rep_alice)
    url = reverse("strategies:task_complete", args=[alice_task.pk])
    client.post(url, {"outcome": "reached"}, HTTP_HX_REQUEST="true")
    done_at = Task.objects.get(pk=alice_task.pk).completed_at
    response = client.post(url, {"outcome": "reached"}, HTTP_HX_REQUEST="true")
    assert 'role="alert"' in response.content.decode()
    assert Task.objects.get(pk=alice_task.pk).completed_at == done_at


def test_snooze_moves_the_task_and_keeps_the_due_date(client, rep_alice, alice_task):
    client.force_login(rep_alice)
    response = client.post(
        reverse("strategies:task_snooze", args=[alice_task.pk]),
        {"days": "3"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    alice_task.refresh_from_db()
    assert alice_task.status == "snoozed"
    assert alice_task.snoozed_until == timezone.localdate() + dt.timedelta(days=3)
    assert alice_task.due_on == timezone.localdate()


@pytest.mark.parametrize("days", ["0", "31", "x"])
def test_snooze_rejects_bad_days(client, rep_alice, alice_task, days):
    client.force_login(rep_alice)
    response = client.post(
        reverse("strategies:task_snooze", args=[alice_task.pk]),
        {"days": days},
        HTTP_HX_REQUEST="true",
    )
    assert 'role="alert"' in response.content.decode()
    alice_task.refresh_from_db()
    assert alice_task.status == "open"


def test_task_list_query_count_does_not_grow_with_tasks(
    client, rep_alice, django_assert_max_num_queries
):
    pb = PlaybookFactory()
    step = StepFactory(playbook=pb)
    today = timezone.localdate()

    def add(n):
        for i in range(n):
            c = CustomerFactory(owner=rep_alice)
            e = EnrollmentFactory(customer=c, playbook=pb)
            TaskFactory(customer=c, enrollment=e, step=step, due_on=today + dt.timedelta(i % 5 - 2))

    client.force_login(rep_alice)
    add(3)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("strategies:tasks"))
    add(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("strategies:tasks"))
    assert response.content.decode().count('class="strategy-task ') == 43


def test_customer_page_shows_the_next_action_with_why(client, rep_alice, alice_task):
    # The home page's task list: tests/pages/test_home.py.
    client.force_login(rep_alice)
    page = client.get(reverse("customers:detail", args=[alice_task.customer_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "strategy-next-action" in html
    assert f'id="task-{alice_task.pk}"' in html
    assert alice_task.enrollment.playbook.name_zh in html


def test_customer_page_flags_overdue_touch(client, rep_alice, alice_task):
    alice_task.enrollment.started_on = timezone.localdate() - dt.timedelta(days=15)
    alice_task.enrollment.save()
    Customer.objects.filter(pk=alice_task.customer_id).update(
        created_at=timezone.now() - dt.timedelta(days=400)
    )
    touch_due_refresh()  # rows written directly: as the night's rebuild leaves them
    client.force_login(rep_alice)
    html = client.get(reverse("customers:detail", args=[alice_task.customer_id])).content.decode()
    assert "tag-warn" in html
    tasks_html = client.get(reverse("strategies:tasks")).content.decode()
    assert tasks_html.count("甲公司") >= 2  # task row and overdue-touch list


def test_adherence_rejects_a_reversed_period(client, manager_maria):
    client.force_login(manager_maria)
    response = client.get(
        reverse("strategies:adherence"), {"date_from": "2026-03-10", "date_to": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "error" in response.content.decode()
    assert response.context["rows"] == []


def test_pool_claim_view_and_limit_message(client, rep_alice, rep_amy):
    StrategySettings.objects.update(claim_limit=1)
    c1 = CustomerFactory(owner=None, team=rep_alice.team)
    c2 = CustomerFactory(owner=None, team=rep_alice.team)
    client.force_login(rep_alice)
    assert c1.name in client.get(reverse("strategies:pool")).content.decode()
    response = client.post(reverse("strategies:pool_claim", args=[c1.pk]), {"confirmed": "1"})
    assert response.status_code == 302
    response = client.post(
        reverse("strategies:pool_claim", args=[c2.pk]), {"confirmed": "1"}, follow=True
    )
    assert "1" in response.content.decode()
    c2.refresh_from_db()
    assert c2.owner is None
    assert PoolEvent.objects.filter(kind="claim").count() == 1


@pytest.mark.parametrize(("language", "heading"), [("zh-hans", "我的任务"), ("en", "My tasks")])
def test_task_page_speaks_both_languages(client, rep_alice, alice_task, language, heading):
    from django.conf import settings

    client.force_login(rep_alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("strategies:tasks")).content.decode()
    assert heading in html
    step_text = "Ask about the order" if language == "en" else "打电话"
    assert step_text in html


def test_overdue_touch_boundary_and_scope(no_library, rep_alice, rep_amy, manager_maria):
    from strategies.selectors import overdue_touch_for
    from tests.customers.factories import ContactLogFactory

    today = dt.date(2026, 5, 31)
    pb = PlaybookFactory(max_interval_days=14)
    on_time = CustomerFactory(owner=rep_alice, name="on-time")
    late = CustomerFactory(owner=rep_alice, name="late")
    never = CustomerFactory(owner=rep_amy, name="never")
    for c in (on_time, late, never):
        EnrollmentFactory(customer=c, playbook=pb, started_on=dt.date(2026, 1, 1))
    Customer.objects.update(created_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    # Contacted exactly 14 days ago: still in time; 15 days ago: overdue since yesterday.
    ContactLogFactory(customer=on_time, occurred_at=dt.datetime(2026, 5, 17, 4, tzinfo=dt.UTC))
    ContactLogFactory(customer=late, occurred_at=dt.datetime(2026, 5, 16, 4, tzinfo=dt.UTC))
    touch_due_refresh()  # rows written directly: as the night's rebuild leaves them

    mine = overdue_touch_for(user=rep_alice, today=today)
    assert [(c.name, c.touch_due_on) for c in mine] == [("late", dt.date(2026, 5, 30))]
    team = overdue_touch_for(user=manager_maria, today=today)
    assert [c.name for c in team] == ["never", "late"]


def test_first_day_overdue_touch_and_pool_notices_use_one_last_contact(
    client, no_library, rep_alice
):
    """The first night starts every playbook today. Overdue touch counts from the last
    contact (else the customer's creation), not from the playbook's start, so a customer
    nobody spoke to for months is overdue at once; one contacted last week is not; a claim
    from the pool restarts the clock. The customer page says the same as the task list."""
    from strategies.selectors import customer_next_action, overdue_touch_for
    from strategies.services import pool_sweep
    from tests.customers.factories import ContactLogFactory

    today = timezone.localdate()
    pb = PlaybookFactory(max_interval_days=30, release_after_days=30)
    silent = CustomerFactory(owner=rep_alice, name="silent")
    recent = CustomerFactory(owner=rep_alice, name="recent")
    claimed = CustomerFactory(owner=rep_alice, name="claimed")
    brand_new = CustomerFactory(owner=rep_alice, name="brand-new")
    for c in (silent, recent, claimed, brand_new):
        EnrollmentFactory(customer=c, playbook=pb, started_on=today)
    long_ago = timezone.now() - dt.timedelta(days=200)
    Customer.objects.exclude(pk=brand_new.pk).update(created_at=long_ago)
    ContactLogFactory(customer=silent, occurred_at=long_ago + dt.timedelta(days=10))
    ContactLogFactory(customer=recent, occurred_at=timezone.now() - dt.timedelta(days=7))
    PoolEvent.objects.create(
        customer=claimed, kind="claim", user=rep_alice, on=today - dt.timedelta(days=2)
    )
    touch_due_refresh()  # rows written directly: as the night's rebuild leaves them

    late = overdue_touch_for(user=rep_alice, today=today)
    assert [c.name for c in late] == ["silent"]
    last = timezone.localdate(long_ago + dt.timedelta(days=10))
    assert late[0].touch_due_on == last + dt.timedelta(days=30)
    for customer, overdue in ((silent, True), (recent, False), (claimed, False)):
        action = customer_next_action(user=rep_alice, customer=customer, today=today)
        assert action.overdue_touch is overdue, customer.name
    client.force_login(rep_alice)
    html = client.get(reverse("strategies:tasks")).content.decode()
    assert "silent" in html
    assert "所有客户都已按时联系" not in html

    # The pool never releases for a rule that did not apply yet: its clock starts no earlier
    # than the playbook, so on the first night nobody is warned for lack of contact.
    assert pool_sweep(as_of=today).noticed == 0


def test_prospect_pool_notice_does_not_claim_there_was_no_recent_contact(
    client, no_library, rep_alice
):
    from segmentation.models import CustomerClasses, RuleSet, Run
    from strategies.services import pool_sweep
    from tests.customers.factories import ContactLogFactory

    StrategySettings.objects.update(prospect_release_days=180, pool_notice_days=7)
    prospect = CustomerFactory(owner=rep_alice, name="slow-prospect")
    Customer.objects.filter(pk=prospect.pk).update(
        created_at=timezone.now() - dt.timedelta(days=400)
    )
    ContactLogFactory(customer=prospect, occurred_at=timezone.now() - dt.timedelta(days=1))
    run = Run.objects.create(
        as_of=timezone.localdate(),
        rule_set=RuleSet.objects.get(is_active=True),
        status="succeeded",
        is_current=True,
    )
    CustomerClasses.objects.create(run=run, customer=prospect, lifecycle="prospect")
    assert pool_sweep(as_of=timezone.localdate()).noticed == 1
    notice = Task.objects.get(customer=prospect, kind="pool_notice")
    assert notice.pool_notice_for_prospect
    client.force_login(rep_alice)
    html = client.get(reverse("strategies:tasks")).content.decode()
    assert f'id="task-{notice.pk}"' in html
    assert "仍是潜在客户" in html
    assert "近期未联系" not in html
