"""The public pool (公海): every notice, release and claim is a row here."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PoolEventKind(models.TextChoices):
    NOTICE = "notice", _("Owner warned of release")
    RELEASE = "release", _("Released to the pool")
    CLAIM = "claim", _("Claimed from the pool")


class PoolEvent(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="pool_events",
    )
    kind = models.CharField(_("event"), max_length=8, choices=PoolEventKind.choices)
    # Release/notice: the owner who lost (or is about to lose) the customer; claim: the claimer.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        "crm.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pool event")
        verbose_name_plural = _("pool events")
        ordering = ["-on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=PoolEventKind.values), name="pool_event_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "kind", "on"], name="pool_customer_kind_idx"),
            # The claim limit counts one rep's recent claims.
            models.Index(fields=["user", "kind", "on"], name="pool_user_kind_idx"),
            models.Index(fields=["team", "kind", "on"], name="pool_team_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer_id} · {self.on}"
