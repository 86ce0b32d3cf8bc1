"""Task complete/snooze redirect only to a path on this site, whatever `next` holds."""

import pytest
from django.urls import reverse
from django.utils import timezone

from strategies.models import Task
from tests.customers.factories import CustomerFactory
from tests.strategies.factories import EnrollmentFactory, PlaybookFactory, StepFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_task(rep_alice):
    pb = PlaybookFactory(max_interval_days=14)
    step = StepFactory(playbook=pb, kind="call")
    customer = CustomerFactory(owner=rep_alice)
    return TaskFactory(
        customer=customer,
        enrollment=EnrollmentFactory(customer=customer, playbook=pb),
        step=step,
        due_on=timezone.localdate(),
    )


def _post(client, task, action, next_value):
    data = {"outcome": "reached"} if action == "complete" else {"days": "2"}
    if next_value is not None:
        data["next"] = next_value
    return client.post(reverse(f"strategies:task_{action}", args=[task.pk]), data)


OFF_SITE = [
    "https://evil.example/",
    "//evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "customers:list",  # a colon: redirect() took it for a URL name and raised (a 500)
    "a:b:c",
    "strategies:tasks",
    " https://evil.example",
    "evil.example",
]


@pytest.mark.parametrize("action", ["complete", "snooze"])
@pytest.mark.parametrize("next_value", OFF_SITE)
def test_an_unsafe_next_falls_back_to_the_task_list(
    client, rep_alice, alice_task, action, next_value
):
    client.force_login(rep_alice)
    response = _post(client, alice_task, action, next_value)
    assert response.status_code == 302
    assert response["Location"] == reverse("strategies:tasks")
    alice_task.refresh_from_db()
    assert alice_task.status == ("done" if action == "complete" else "snoozed")


@pytest.mark.parametrize("action", ["complete", "snooze"])
def test_a_same_site_path_is_followed(client, rep_alice, alice_task, action):
    client.force_login(rep_alice)
    target = reverse("customers:detail", args=[alice_task.customer_id]) + "?tab=tasks"
    response = _post(client, alice_task, action, target)
    assert response.status_code == 302
    assert response["Location"] == target


@pytest.mark.parametrize("action", ["complete", "snooze"])
def test_no_next_goes_to_the_task_list(client, rep_alice, alice_task, action):
    client.force_login(rep_alice)
    response = _post(client, alice_task, action, None)
    assert response["Location"] == reverse("strategies:tasks")
    assert Task.objects.get(pk=alice_task.pk).status != "open"
