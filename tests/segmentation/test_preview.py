"""Rule-set preview: the run's steps with a dry-run writer, as a task with a progress page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from crm.queue import QueueUnavailable
from segmentation.models import ClassChange, CustomerClasses, RuleSet, Run, RunPartition
from segmentation.pipeline import preview as preview_module
from segmentation.pipeline.preview import (
    DONE,
    FAILED,
    QUEUED,
    preview_progress,
    ruleset_preview,
    ruleset_preview_start,
)
from segmentation.services import ruleset_save_version, segmentation_run
from segmentation.tasks import ruleset_preview_task
from tests.customers.factories import CustomerFactory, TransactionFactory
from tests.segmentation.factories import ClassPinFactory

pytestmark = pytest.mark.django_db


def _buyer(today, days_ago, amount="800"):
    customer = CustomerFactory()
    for days in days_ago:
        TransactionFactory(
            customer=customer, date=today - dt.timedelta(days=days), amount=Decimal(amount)
        )
    return customer


@pytest.fixture
def current(rep_alice):
    """A current run as of today: a dormant buyer (142 days), regular buyers, a prospect, and
    a pinned customer."""
    today = timezone.localdate()
    book = {
        "dormant": _buyer(today, [142, 300]),
        "regular": [_buyer(today, range(5 + i, 400, 50 + 7 * i)) for i in range(6)],
        "prospect": CustomerFactory(),
        "pinned": _buyer(today, [500], amount="200"),
    }
    ClassPinFactory(customer=book["pinned"], dimension="lifecycle", code="loyal", expires_on=today)
    book["run"] = segmentation_run(as_of=today, partition_size=4)
    return book


def _stored():
    return (
        CustomerClasses.objects.count(),
        ClassChange.objects.count(),
        Run.objects.count(),
        RunPartition.objects.count(),
        list(Run.objects.values_list("pk", "is_current", "status", "attempts", "timings")),
    )


def test_the_active_rule_set_previews_no_change(current):
    """The preview classifies the way the run does (metrics, cut points, the prediction,
    dwell and pins): with the rule set the current run used, nothing would move."""
    result = ruleset_preview(rule_set=RuleSet.objects.get(is_active=True), partition_size=4)
    assert result["customers"] == current["run"].customers_total
    assert result["new"] == 0
    assert {dim: info["moved"] for dim, info in result["dimensions"].items() if info["moved"]} == {}


def test_a_draft_counts_moves_from_to_and_writes_nothing(current):
    draft = ruleset_save_version(data={"dormant_days": 150})
    before = _stored()
    result = ruleset_preview(rule_set=draft, partition_size=4)
    assert _stored() == before
    lifecycle = result["dimensions"]["lifecycle"]
    assert lifecycle["moved"] == 1
    # Only the dormant buyer moves: the pinned (churned) customer keeps its pin, as in a run.
    assert lifecycle["pairs"] == [(("dormant", "repeat"), 1)]
    assert (result["as_of"], result["version"]) == (current["run"].as_of, draft.version)


def test_customers_never_classified_are_new_not_changes(current):
    CustomerFactory()  # a prospect since the run
    _buyer(timezone.localdate(), [3])  # a new buyer since the run
    draft = ruleset_save_version(data={"dormant_days": 150})
    result = ruleset_preview(rule_set=draft, partition_size=4)
    assert result["new"] == 2
    assert result["customers"] == current["run"].customers_total
    assert result["dimensions"]["lifecycle"]["pairs"] == [(("dormant", "repeat"), 1)]
    assert all(old for info in result["dimensions"].values() for (old, _new), _n in info["pairs"])


def test_without_a_current_run_there_is_nothing_to_compare(db):
    result = ruleset_preview(rule_set=RuleSet.objects.get(is_active=True))
    assert (result["as_of"], result["customers"], result["dimensions"]) == (None, 0, {})


def test_the_task_reports_progress_to_its_record(current, monkeypatch):
    draft = ruleset_save_version(data={"dormant_days": 150})
    queued = []
    monkeypatch.setattr("crm.queue.enqueue", lambda task, **kw: queued.append((task, kw)))
    key = ruleset_preview_start(rule_set=draft)
    # Queued, not computed: the caller (a request) returns at once.
    assert [(task.name, kw) for task, kw in queued] == [
        ("segmentation.tasks.ruleset_preview_task", {"key": key, "rule_set_id": draft.pk})
    ]
    assert preview_progress(key)["status"] == QUEUED
    seen = []
    original = preview_module._record

    def spy(key_, **fields):
        original(key_, **fields)
        seen.append(dict(preview_progress(key_)))

    monkeypatch.setattr(preview_module, "_record", spy)
    assert ruleset_preview_task.apply(kwargs=queued[0][1]).get() is True
    record = preview_progress(key)
    assert record["status"] == DONE
    assert record["result"]["dimensions"]["lifecycle"]["moved"] == 1
    phases = [r["phase"] for r in seen]
    for phase in ("metrics", "cut_points", "prediction", "classify", "done"):
        assert phase in phases
    done = [r["done"] for r in seen]
    assert done == sorted(done)
    assert record["done"] == record["total"] > 0


def test_a_failing_preview_says_why(current, monkeypatch):
    def broken(**kwargs):
        raise ValueError("disk full")

    monkeypatch.setattr("segmentation.pipeline.steps.metrics_for_range", broken)
    # The worker logs the task's error; the record says it to the admin.
    monkeypatch.setattr("crm.queue.enqueue", lambda task, **kw: task.apply(kwargs=kw, throw=False))
    key = ruleset_preview_start(rule_set=RuleSet.objects.get(is_active=True))
    record = preview_progress(key)
    assert record["status"] == FAILED
    assert "partition 1 of" in record["error"]
    assert "ValueError: disk full" in record["error"]


def test_a_preview_of_a_rule_set_that_no_longer_exists_fails_with_the_reason(current):
    assert ruleset_preview_task.apply(kwargs={"key": "abc123", "rule_set_id": -1}).get() is False
    record = preview_progress("abc123")
    assert (record["status"], record["error"]) == (FAILED, "rule set -1 does not exist")


def test_a_broker_outage_is_reported_and_nothing_runs(current, monkeypatch):
    def down(task, **kwargs):
        raise QueueUnavailable

    monkeypatch.setattr("crm.queue.enqueue", down)
    with pytest.raises(QueueUnavailable):
        ruleset_preview_start(rule_set=RuleSet.objects.get(is_active=True))


def _action(client, rule_set, follow=False, language="en"):
    return client.post(
        reverse("admin:segmentation_ruleset_changelist"),
        {"action": "preview", "_selected_action": [rule_set.pk]},
        follow=follow,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_admin_preview_enqueues_and_shows_progress_then_the_table(
    client, admin_ada, current, monkeypatch
):
    draft = ruleset_save_version(data={"dormant_days": 150})
    queued = []
    monkeypatch.setattr("crm.queue.enqueue", lambda task, **kw: queued.append(kw))
    client.force_login(admin_ada)
    with translation.override("en"):
        response = _action(client, draft)
        assert response.status_code == 302
        key = queued[0]["key"]
        assert response["Location"] == reverse("admin:segmentation_ruleset_preview", args=[key])
        page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        body = page.content.decode()
        assert '<meta http-equiv="refresh"' in body  # reloads itself, no script
        assert "<script>" not in body.split("</head>")[0].split("jsi18n")[-1]
        ruleset_preview_task.apply(kwargs=queued[0])
        body = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'http-equiv="refresh"' not in body
    assert "1 customer would change class" in body
    assert "<td>Dormant customer</td><td>Repeat buyer</td><td>1</td>" in body
    assert "Nothing is saved" in body


def test_admin_preview_page_in_chinese(client, admin_ada, current, monkeypatch):
    monkeypatch.setattr("crm.queue.enqueue", lambda task, **kw: task.apply(kwargs=kw))
    client.force_login(admin_ada)
    draft = ruleset_save_version(data={"dormant_days": 150})
    with translation.override("zh-hans"):
        response = _action(client, draft, follow=True, language="zh-hans")
    body = response.content.decode()
    assert "<td>休眠客户</td><td>重复购买客户</td><td>1</td>" in body
    assert "不会保存" in body


def test_admin_preview_of_an_unknown_key_is_404_and_only_admins_start_one(
    client, admin_ada, manager_maria, current, monkeypatch
):
    from django.contrib.auth.models import Permission

    client.force_login(admin_ada)
    missing = reverse("admin:segmentation_ruleset_preview", args=["0" * 32])
    assert client.get(missing).status_code == 404
    queued = []
    monkeypatch.setattr("crm.queue.enqueue", lambda task, **kw: queued.append(kw))
    manager_maria.user_permissions.add(*Permission.objects.filter(codename="view_ruleset"))
    client.force_login(manager_maria)
    response = _action(client, RuleSet.objects.get(is_active=True))
    assert response.status_code in (200, 302)
    assert queued == []


def test_admin_preview_reports_a_queue_outage(client, admin_ada, current, monkeypatch):
    def down(task, **kwargs):
        raise QueueUnavailable

    monkeypatch.setattr("crm.queue.enqueue", down)
    client.force_login(admin_ada)
    with translation.override("en"):
        response = _action(client, RuleSet.objects.get(is_active=True), follow=True)
    assert "The job queue is unavailable" in response.content.decode()


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_partitions_on_threads_give_the_same_counts(current):
    """On PostgreSQL outside a transaction the preview's partitions run on threads, like the
    in-process run's."""
    draft = ruleset_save_version(data={"dormant_days": 150})
    one = ruleset_preview(rule_set=draft, partition_size=2, workers=1)
    two = ruleset_preview(rule_set=draft, partition_size=2, workers=2)
    assert one == two
    assert one["dimensions"]["lifecycle"]["pairs"] == [(("dormant", "repeat"), 1)]
