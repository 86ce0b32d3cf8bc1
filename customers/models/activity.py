"""What happens around the sales: contact logs, service cases, surveys and referrals."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    ContactChannel,
    ContactOutcome,
    Direction,
    ServiceCaseKind,
    ServiceCaseStatus,
    Severity,
)
from .customer import MONEY, Contact, Customer
from .sales import Transaction


class ContactLog(models.Model):
    """A call, visit, message or meeting with the customer, with the agreed next step."""

    external_code = models.CharField(
        _("log code"), max_length=64, null=True, blank=True, unique=True
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="contact_logs",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="logs",
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales rep"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_logs",
        # log_rep_when_idx below starts with the rep: a second index on it alone would only
        # cost writes.
        db_index=False,
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=ContactChannel.choices, default=ContactChannel.CALL
    )
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    summary = models.TextField(_("summary"))
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ContactOutcome.choices, default=ContactOutcome.REACHED
    )
    next_follow_up = models.DateField(_("next follow-up"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact log")
        verbose_name_plural = _("contact logs")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="log_customer_when_idx"),
            models.Index(fields=["occurred_at"], name="log_when_idx"),
            # "My day": the customers a user worked lately, newest first. Without it a user
            # with no logs of their own (a manager) made PostgreSQL walk every log by date
            # looking for theirs: 5 s at 2.4 million logs.
            models.Index(fields=["rep", "occurred_at", "id"], name="log_rep_when_idx"),
            # "My day": a rep's follow-ups due today and overdue.
            models.Index(
                fields=["rep", "next_follow_up"],
                name="log_rep_followup_idx",
                condition=Q(next_follow_up__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"


class ServiceCase(models.Model):
    """A complaint, return or repair. Together they mark a 'problem customer'; their cost is
    part of the customer's net value."""

    external_code = models.CharField(
        _("case code"), max_length=64, null=True, blank=True, unique=True
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="service_cases",
    )
    transaction = models.ForeignKey(
        Transaction,
        verbose_name=_("transaction"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ServiceCaseKind.choices)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ServiceCaseStatus.choices,
        default=ServiceCaseStatus.OPEN,
    )
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    service_cost = models.DecimalField(
        _("service cost"), default=0, help_text=_("What handling the case cost us."), **MONEY
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("service case")
        verbose_name_plural = _("service cases")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="case_closed_after_opened",
            ),
            models.CheckConstraint(condition=Q(service_cost__gte=0), name="case_cost_gte_0"),
            models.CheckConstraint(
                condition=Q(kind__in=ServiceCaseKind.values), name="case_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "opened_on"], name="case_customer_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"


class SatisfactionSurvey(models.Model):
    """A satisfaction score from 1 (very unhappy) to 5 (very happy)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="surveys"
    )
    surveyed_on = models.DateField(_("surveyed on"))
    score = models.PositiveSmallIntegerField(_("score (1–5)"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-surveyed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="survey_score_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "surveyed_on"], name="survey_customer_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.surveyed_on}: {self.score}"


class Referral(models.Model):
    """A customer recommended us to someone else."""

    referrer = models.ForeignKey(
        Customer,
        verbose_name=_("referred by"),
        on_delete=models.CASCADE,
        related_name="referrals_made",
    )
    referred = models.ForeignKey(
        Customer,
        verbose_name=_("referred customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referred_by",
    )
    referred_name = models.CharField(
        _("referred name"),
        max_length=200,
        blank=True,
        help_text=_("Who was recommended, when they are not (yet) a customer."),
    )
    referred_on = models.DateField(_("referred on"))
    converted = models.BooleanField(_("became a customer"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-referred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(referred__isnull=True) | ~Q(referred=F("referrer")),
                name="referral_not_self",
            ),
            models.CheckConstraint(
                condition=Q(referred__isnull=False) | ~Q(referred_name=""),
                name="referral_names_someone",
            ),
        ]
        indexes = [
            models.Index(fields=["referrer", "referred_on"], name="referral_referrer_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.referrer_id} → {self.referred_id or self.referred_name}"
