"""The API's own records: tokens, idempotency keys, the write audit, and outbound events
(webhook subscriptions and their deliveries)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the token is stored; `prefix` (public, shown in
    lists) finds the row, so checking a token is one indexed read. The token itself is shown
    once, when it is made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    digest = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="apitoken_user_idx")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or self.user_id})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired


class IdempotencyRecord(models.Model):
    """A POST sent with an Idempotency-Key: its body's hash and the response it got. The same
    key with the same body replays the response; with another body it is refused."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class ApiWriteLog(models.Model):
    """One write through the API: who (and with which token), what, and how many rows. Like
    the import log, one row per request, never one per record."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    token_prefix = models.CharField(_("token"), max_length=16, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=40)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    object_ref = models.CharField(_("object"), max_length=100, blank=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("API write log")
        verbose_name_plural = _("API write logs")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.at:%Y-%m-%d %H:%M}"


class EventKind(models.TextChoices):
    CLASS_CHANGED = "class.changed", _("Class changed (per dimension, after each run)")
    TASK_CREATED = "task.created", _("Tasks created")
    TASK_OVERDUE = "task.overdue", _("Tasks overdue")
    CUSTOMER_CLAIMED = "customer.claimed", _("Customer claimed from the pool")


class TargetFormat(models.TextChoices):
    JSON = "json", _("JSON (signed)")
    WECOM = "wecom", _("WeChat Work group robot (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk group robot (钉钉)")


class WebhookSubscription(models.Model):
    """Where to send which events. Admins manage these in Django admin."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    format = models.CharField(
        _("format"), max_length=10, choices=TargetFormat.choices, default=TargetFormat.JSON
    )
    events = models.JSONField(
        _("events"),
        default=list,
        help_text=_('Event names, e.g. ["class.changed", "task.overdue"]; empty: all.'),
    )
    dimensions = models.JSONField(
        _("dimensions"),
        default=list,
        blank=True,
        help_text=_('For class.changed: only these dimensions (e.g. ["lifecycle"]); empty: all.'),
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Only this team's customers and tasks; empty: every team."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_(
            "Signs each delivery (HMAC-SHA256). For a DingTalk robot with “加签”, its SEC… secret."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str, dimension: str = "") -> bool:
        if not self.is_active:
            return False
        if self.events and event not in self.events:
            return False
        return not (dimension and self.dimensions and dimension not in self.dimensions)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Failed (dead letter)")


class WebhookDelivery(models.Model):
    """One event for one subscription, and what became of sending it."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=30, choices=EventKind.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next try"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="delivery_status_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id} ({self.status})"


class EventCursor(models.Model):
    """How far the events sweep has read a source (the last task / pool event id, the last
    day whose overdue tasks were announced), so each event goes out once."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)
    last_date = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id} {self.last_date or ''}"
