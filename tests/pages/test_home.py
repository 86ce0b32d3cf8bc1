"""The home page ("My day", pages.views): follow-ups and playbook tasks, every persona, query
counts; and the layering it exists for (crm imports no app, base.html loads no app's tags)."""

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PERSONAS
from tests.customers.factories import ContactLogFactory, CustomerFactory
from tests.strategies.factories import EnrollmentFactory, PlaybookFactory, StepFactory, TaskFactory

# The apps above crm: crm (settings aside) must import none of them.
APPS_ABOVE_CRM = {"customers", "segmentation", "strategies", "dashboards", "pages", "demo"}


@pytest.fixture
def alice_customer(rep_alice):
    return CustomerFactory(
        owner=rep_alice, name="华星机械", external_code="HX001", phone="13800000001"
    )


@pytest.fixture
def alice_task(rep_alice):
    pb = PlaybookFactory(max_interval_days=14)
    step = StepFactory(playbook=pb, kind="call", instruction_en="Ask about the order")
    customer = CustomerFactory(owner=rep_alice, name="甲公司")
    enrollment = EnrollmentFactory(customer=customer, playbook=pb)
    return TaskFactory(
        customer=customer, enrollment=enrollment, step=step, due_on=timezone.localdate()
    )


def _login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.django_db
def test_home_my_day_every_persona(client, personas, persona):
    user = personas[persona]
    customer = CustomerFactory(owner=user if user.is_rep else None, team=user.team)
    today = timezone.localdate()
    ContactLogFactory(
        customer=customer, rep=user, summary="逾期跟进", next_follow_up=today - dt.timedelta(days=2)
    )
    response = _login(client, user).get(reverse("home"))
    assert response.status_code == 200
    day = response.context["day"]
    assert [log.summary for log in day.overdue] == ["逾期跟进"]


@pytest.mark.django_db
def test_my_day_follow_up_closes_when_a_newer_log_exists(client, rep_alice, alice_customer):
    today = timezone.localdate()
    ContactLogFactory(
        customer=alice_customer,
        next_follow_up=today,
        occurred_at=timezone.now() - dt.timedelta(days=3),
    )
    _login(client, rep_alice)
    assert len(client.get(reverse("home")).context["day"].due_today) == 1
    ContactLogFactory(customer=alice_customer, next_follow_up=None)
    day = client.get(reverse("home")).context["day"]
    assert day.due_today == []
    assert [c.pk for c in day.recent] == [alice_customer.pk]


@pytest.mark.django_db
def test_my_day_does_not_show_other_reps_follow_ups(client, rep_alice, rep_bob_other_team):
    bob_customer = CustomerFactory(owner=rep_bob_other_team)
    ContactLogFactory(customer=bob_customer, next_follow_up=timezone.localdate())
    day = _login(client, rep_alice).get(reverse("home")).context["day"]
    assert day.due_today == []
    assert day.recent == []


@pytest.mark.django_db
def test_home_query_count(client, rep_alice, django_assert_max_num_queries):
    _login(client, rep_alice)
    today = timezone.localdate()
    for _ in range(2):
        ContactLogFactory(customer=CustomerFactory(owner=rep_alice), next_follow_up=today)
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("home"))
    for _ in range(15):
        ContactLogFactory(customer=CustomerFactory(owner=rep_alice), next_follow_up=today)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("home"))
    assert len(response.context["day"].due_today) == 17


@pytest.mark.django_db
def test_home_shows_my_playbook_tasks(client, rep_alice, alice_task):
    home = _login(client, rep_alice).get(reverse("home")).content.decode()
    assert "甲公司" in home
    assert f'id="task-{alice_task.pk}"' in home


@pytest.mark.django_db
def test_home_shows_at_most_a_short_list_per_bucket(client, rep_alice, alice_task):
    from pages.views import HOME_BUCKET_SIZE

    for _ in range(HOME_BUCKET_SIZE + 2):
        TaskFactory(
            customer=alice_task.customer,
            enrollment=alice_task.enrollment,
            step=StepFactory(playbook=alice_task.enrollment.playbook),
            due_on=timezone.localdate(),
        )
    buckets = _login(client, rep_alice).get(reverse("home")).context["buckets"]
    assert len(buckets.today) == HOME_BUCKET_SIZE
    assert buckets.more_today is True


def _imports(path: Path) -> set[str]:
    """Top-level package names a module imports (absolute imports only)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_crm_imports_no_app():
    """crm is the ground floor: settings name the apps and urls include their urlconfs by
    string, but no crm module imports one."""
    crm = Path(settings.BASE_DIR) / "crm"
    offenders = {
        str(path.relative_to(crm)): sorted(_imports(path) & APPS_ABOVE_CRM)
        for path in crm.rglob("*.py")
        if _imports(path) & APPS_ABOVE_CRM
    }
    assert offenders == {}


def test_base_template_and_home_load_no_app_tags():
    for name in ("templates/base.html", "pages/templates/pages/home.html"):
        text = (Path(settings.BASE_DIR) / name).read_text(encoding="utf-8")
        loads = {
            word for line in text.split("{% load ")[1:] for word in line.split("%}")[0].split()
        }
        assert loads <= {"i18n", "static", "l10n", "tz"}, (name, loads)
