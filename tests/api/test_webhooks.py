"""Outbound events: batching, signing, WeChat Work / DingTalk formats, retries with backoff,
the dead-letter list and its replay. Deliveries go to a local HTTP server thread; nothing
leaves the machine."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from api.models import DeliveryStatus, EventCursor, WebhookDelivery, WebhookSubscription
from api.webhooks import delivery as delivery_mod
from api.webhooks.delivery import backoff_seconds, delivery_attempt, signature
from api.webhooks.events import class_change_events, events_sweep
from segmentation.models import CustomerClasses
from tests.customers.factories import CustomerFactory
from tests.strategies.factories import ClassChangeFactory, RunFactory, TaskFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """A local endpoint: records requests, answers with the queued statuses (200 when none)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.body = b'{"errcode": 0, "errmsg": "ok"}'
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def run_with_changes(personas):
    """A run in which 3 core/VIP customers of team A and 1 ordinary one turned dormant."""
    run = RunFactory()
    alice = personas["rep_alice"]
    for i in range(4):
        customer = CustomerFactory(owner=alice)
        CustomerClasses.objects.create(
            run=run, customer=customer, value_tier="core" if i < 3 else "ordinary"
        )
        ClassChangeFactory(
            run=run, customer=customer, dimension="lifecycle", from_code="repeat", to_code="dormant"
        )
    bob_customer = CustomerFactory(owner=personas["rep_bob_other_team"])
    ClassChangeFactory(
        run=run,
        customer=bob_customer,
        dimension="value_tier",
        from_code="core",
        to_code="important",
    )
    return run


def test_signature_is_hmac_over_timestamp_and_body():
    body = b'{"a":1}'
    sig = signature("s3cret", 1700000000, body)
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sig == f"t=1700000000,v1={expected}"


def test_backoff_is_exponential_and_capped():
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(20) == 3600


def test_class_changed_per_dimension_signed_json(receiver, run_with_changes):
    sub = WebhookSubscription.objects.create(
        name="BI", url=receiver.url, secret="s3cret", events=["class.changed"]
    )
    assert class_change_events(run_id=run_with_changes.pk) == 2  # lifecycle, value tier
    for d in WebhookDelivery.objects.order_by("pk"):
        delivery_attempt(d.pk)
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 2
    assert len(receiver.requests) == 2
    by_dim = {}
    for req in receiver.requests:
        headers = {k.lower(): v for k, v in req["headers"].items()}
        t, v1 = (part.split("=", 1)[1] for part in headers["x-crm-signature"].split(","))
        mac = hmac.new(b"s3cret", f"{t}.".encode() + req["body"], hashlib.sha256).hexdigest()
        assert v1 == mac
        assert headers["x-crm-event"] == "class.changed"
        payload = json.loads(req["body"])
        by_dim[payload["data"]["dimension"]] = payload["data"]
    move = by_dim["lifecycle"]["moves"][0]
    assert (move["from"], move["to"], move["customers"], move["core"]) == (
        "repeat",
        "dormant",
        4,
        3,
    )
    assert sub.deliveries.count() == 2


def test_team_subscription_gets_its_team_only(run_with_changes, team_a):
    WebhookSubscription.objects.create(name="A", url="http://127.0.0.1:9/x", team=team_a)
    assert class_change_events(run_id=run_with_changes.pk) == 1  # team A: lifecycle only
    d = WebhookDelivery.objects.get()
    assert d.payload["data"]["dimension"] == "lifecycle"


def test_wecom_message_reads_in_chinese(receiver, run_with_changes, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    WebhookSubscription.objects.create(
        name="群机器人", url=receiver.url, format="wecom", dimensions=["lifecycle"]
    )
    class_change_events(run_id=run_with_changes.pk)
    delivery_attempt(WebhookDelivery.objects.get().pk)
    body = json.loads(receiver.requests[0]["body"])
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert "3 位核心/VIP客户变为休眠" in content, content
    assert "重复购买" in content


def test_dingtalk_signed_url_and_markdown(receiver, run_with_changes, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    WebhookSubscription.objects.create(
        name="钉钉", url=receiver.url, format="dingtalk", secret="SECabc", dimensions=["lifecycle"]
    )
    class_change_events(run_id=run_with_changes.pk)
    delivery_attempt(WebhookDelivery.objects.get().pk)
    req = receiver.requests[0]
    query = parse_qs(urlparse(req["path"]).query)
    assert set(query) == {"timestamp", "sign"}
    body = json.loads(req["body"])
    assert body["msgtype"] == "markdown"
    assert "休眠" in body["markdown"]["text"]
    assert body["markdown"]["title"]


def test_retries_then_dead_letter_then_replay(
    receiver, run_with_changes, settings, client, personas, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    WebhookSubscription.objects.create(name="x", url=receiver.url, dimensions=["lifecycle"])
    class_change_events(run_id=run_with_changes.pk)
    d = WebhookDelivery.objects.get()
    receiver.statuses = [500, 503, 500]
    assert delivery_attempt(d.pk) == 30
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_status_code) == ("pending", 1, 500)
    assert d.next_attempt_at > timezone.now()
    assert delivery_attempt(d.pk) == 60
    assert delivery_attempt(d.pk) is None
    d.refresh_from_db()
    assert (d.status, d.attempts) == ("dead", 3)
    assert delivery_attempt(d.pk) is None  # a dead letter is not retried by itself
    assert len(receiver.requests) == 3
    # The dead-letter list in admin and its replay action.
    client.force_login(personas["admin_ada"])
    page = client.get("/admin/api/webhookdelivery/?status__exact=dead")
    assert page.status_code == 200
    assert str(d.pk) in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/admin/api/webhookdelivery/",
            {"action": "replay", "_selected_action": [d.pk]},
            follow=True,
        )
    assert r.status_code == 200
    d.refresh_from_db()
    assert d.status == "delivered"  # Celery is eager here: the replay was sent at once
    assert len(receiver.requests) == 4


def test_robot_errcode_is_a_failure(receiver, run_with_changes):
    receiver.body = b'{"errcode": 93000, "errmsg": "invalid webhook url"}'
    WebhookSubscription.objects.create(name="x", url=receiver.url, format="wecom")
    class_change_events(run_id=run_with_changes.pk)
    d = WebhookDelivery.objects.order_by("pk").first()
    delivery_attempt(d.pk)
    d.refresh_from_db()
    assert d.status == "pending"
    assert "93000" in d.last_error


def test_unreachable_target_is_retried(run_with_changes, monkeypatch):
    calls = []

    def fake_post(url, body, headers, timeout):
        calls.append(url)
        return delivery_mod.Sent(False, None, "connection refused")

    monkeypatch.setattr(delivery_mod, "http_post", fake_post)
    WebhookSubscription.objects.create(name="x", url="http://127.0.0.1:9/none")
    class_change_events(run_id=run_with_changes.pk)
    for d in WebhookDelivery.objects.all():
        assert delivery_attempt(d.pk) == 30
    assert len(calls) == 2


def test_post_run_hook_enqueues_after_commit(
    run_with_changes, receiver, django_capture_on_commit_callbacks
):
    """The run only calls the hook; the events go out from a Celery task after it committed."""
    from segmentation.hooks import run_post_run_hooks

    WebhookSubscription.objects.create(name="x", url=receiver.url, events=["class.changed"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_post_run_hooks(run_with_changes.pk)
    assert not WebhookDelivery.objects.exists()  # nothing inside the run itself
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert WebhookDelivery.objects.filter(status="delivered").count() == 2
    assert len(receiver.requests) == 2


def test_sweep_tasks_created_overdue_and_claims(personas, team_a, receiver, settings):
    import datetime as dt

    from strategies.services.pool import pool_claim

    settings.LANGUAGE_CODE = "zh-hans"
    WebhookSubscription.objects.create(name="all", url=receiver.url)
    today = timezone.localdate()
    alice = personas["rep_alice"]
    old = TaskFactory(customer=CustomerFactory(owner=alice), due_on=today)
    # The first sweep (yesterday) starts the cursors at "now"; overdue tasks are announced
    # once a day, by the first sweep of the day.
    events_sweep(today=today - dt.timedelta(days=1))
    assert EventCursor.objects.get(name="task.created").last_id == old.pk
    # Two new tasks, one of them overdue since yesterday; a claim from the pool.
    TaskFactory(customer=CustomerFactory(owner=alice), due_on=today)
    TaskFactory(customer=CustomerFactory(owner=alice), due_on=today - dt.timedelta(days=1))
    pooled = CustomerFactory(owner=None, team=team_a)
    pool_claim(actor=personas["rep_amy"], customer_id=pooled.pk)
    out = events_sweep(today=today)
    assert out == {"task.created": 1, "task.overdue": 1, "customer.claimed": 1}
    payloads = {d.event: d.payload["data"] for d in WebhookDelivery.objects.all()}
    assert payloads["task.created"]["count"] == 2
    assert payloads["task.overdue"]["count"] == 1
    assert payloads["customer.claimed"]["claims"][0]["code"] == pooled.external_code
    assert payloads["customer.claimed"]["claims"][0]["username"] == "rep_amy"
    # Nothing is announced twice.
    assert events_sweep(today=today) == {
        "task.created": 0,
        "task.overdue": 0,
        "customer.claimed": 0,
    }
    # Eager Celery: the deliveries went out when the sweep committed... or are sent now.
    for d in WebhookDelivery.objects.filter(status="pending"):
        delivery_attempt(d.pk)
    assert WebhookDelivery.objects.filter(status="delivered").count() == 3


def test_sweep_task_resends_due_deliveries(receiver, run_with_changes):
    from api.tasks import events_sweep_task

    WebhookSubscription.objects.create(name="x", url=receiver.url, dimensions=["lifecycle"])
    class_change_events(run_id=run_with_changes.pk)
    d = WebhookDelivery.objects.get()
    receiver.statuses = [500]
    delivery_attempt(d.pk)
    WebhookDelivery.objects.filter(pk=d.pk).update(next_attempt_at=timezone.now())
    result = events_sweep_task()
    assert result["retried"] == 1
    d.refresh_from_db()
    assert d.status == "delivered"
