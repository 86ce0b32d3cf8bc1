"""Sending one delivery: sign, POST, record the outcome; retries with exponential backoff,
then the dead-letter list (admin), from where an admin replays it.

Signature (JSON targets and every other): header `X-CRM-Signature: t=<unix seconds>,
v1=<hex HMAC-SHA256 of "<t>.<body>" with the subscription's secret>`, plus `X-CRM-Event`
and `X-CRM-Delivery`. A receiver recomputes it over the raw body and refuses old timestamps
(replays). DingTalk robots with 加签 also get their own `timestamp` and `sign` query
parameters (HMAC-SHA256 of "<ms>\\n<secret>", base64), as DingTalk requires."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import DeliveryStatus, TargetFormat, WebhookDelivery
from .formats import render_body

BACKOFF_BASE = 30  # seconds before the second try; doubles each time
BACKOFF_MAX = 3600


def backoff_seconds(attempts: int) -> int:
    """Wait after the `attempts`-th failed try: 30, 60, 120, … seconds, at most an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def dingtalk_url(url: str, secret: str, now_ms: int) -> str:
    mac = hmac.new(secret.encode(), f"{now_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(mac).decode())
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}timestamp={now_ms}&sign={sign}"


@dataclass
class Sent:
    ok: bool
    status: int | None
    error: str


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Sent:
    """The one place that talks to the network (tests replace it or point it at a local
    server)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            text = response.read(2000).decode("utf-8", errors="replace")
            status = response.status
    except urllib.error.HTTPError as exc:
        return Sent(False, exc.code, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Sent(False, None, str(exc)[:500])
    if not 200 <= status < 300:
        return Sent(False, status, f"HTTP {status}")
    # Chat robots answer 200 with an error code in the body ({"errcode": 93000, …}).
    try:
        answer = json.loads(text) if text else {}
    except ValueError:
        answer = {}
    if isinstance(answer, dict) and answer.get("errcode") not in (None, 0):
        return Sent(False, status, f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")
    return Sent(True, status, "")


def delivery_attempt(delivery_id: int) -> int | None:
    """Tries one delivery. Returns the seconds to wait before the next try, or None when
    there is nothing more to do (delivered, dead, or not pending)."""
    with transaction.atomic():
        d = (
            WebhookDelivery.objects.select_for_update()
            .select_related("subscription")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if d is None:
            return None
        sub = d.subscription
        body_obj = render_body(sub.format, d.event, d.payload)
        body = json.dumps(body_obj, ensure_ascii=False, separators=(",", ":")).encode()
        now = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "crm-webhooks/1",
            "X-CRM-Event": d.event,
            "X-CRM-Delivery": str(d.uid),
        }
        if sub.secret:
            headers["X-CRM-Signature"] = signature(sub.secret, now, body)
        url = sub.url
        if sub.format == TargetFormat.DINGTALK and sub.secret.startswith("SEC"):
            url = dingtalk_url(url, sub.secret, now * 1000)
        sent = http_post(url, body, headers, settings.WEBHOOK_TIMEOUT)
        d.attempts += 1
        d.last_status_code = sent.status
        d.last_error = sent.error
        wait: int | None = None
        if sent.ok:
            d.status = DeliveryStatus.DELIVERED
            d.delivered_at = timezone.now()
            d.next_attempt_at = None
        elif d.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            d.status = DeliveryStatus.DEAD
            d.next_attempt_at = None
        else:
            wait = backoff_seconds(d.attempts)
            d.next_attempt_at = timezone.now() + dt.timedelta(seconds=wait)
        d.save()
        return wait


@transaction.atomic
def deliveries_replay(*, ids: list[int]) -> int:
    """Puts dead (or delivered) deliveries back to pending with a fresh try budget and sends
    them again (admin's replay action)."""
    n = (
        WebhookDelivery.objects.filter(pk__in=ids)
        .exclude(status=DeliveryStatus.PENDING)
        .update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=None, last_error="")
    )
    from ..tasks import webhook_deliver_task

    for pk in ids:
        transaction.on_commit(lambda pk=pk: webhook_deliver_task.delay(delivery_id=pk))
    return n


# A pending delivery whose next try is this late has lost its scheduled retry (a worker died
# with it): the sweep sends it again.
LOST_AFTER = dt.timedelta(minutes=10)


def deliveries_due(*, eager: bool) -> list[int]:
    """Pending deliveries the sweep should (re)send: due ones when Celery cannot schedule
    retries itself (eager), otherwise only those whose retry was evidently lost."""
    now = timezone.now()
    cutoff = now if eager else now - LOST_AFTER
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
