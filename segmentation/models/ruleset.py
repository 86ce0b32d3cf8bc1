"""Rule sets: every threshold, window, weight and method of the classification, as data.

A rule set is never edited in place once saved: the admin saves each edit as a new version
(segmentation.services.ruleset_save_version), so a run's classes can always be explained with
the exact version it recorded."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import ValueBasis, ValueMethod

_PCT = [MinValueValidator(0), MaxValueValidator(100)]
_WEIGHT = [MinValueValidator(0), MaxValueValidator(1)]
_DAYS = [MinValueValidator(1), MaxValueValidator(3650)]


def _days(label, default, help_text=""):
    return models.PositiveIntegerField(
        label, default=default, validators=_DAYS, help_text=help_text
    )


def _pct(label, default, help_text=""):
    return models.FloatField(label, default=default, validators=_PCT, help_text=help_text)


def _weight(label, default):
    return models.FloatField(label, default=default, validators=_WEIGHT)


class RuleSet(models.Model):
    """One version of the classification rules. Exactly one version is active; runs use it."""

    name = models.CharField(_("name"), max_length=100, default="Default")
    version = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=False, editable=False)
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    note = models.TextField(_("what changed and why"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Windows
    window_days = _days(
        _("analysis window (days)"),
        365,
        _(
            "Orders, revenue and cases count "
            "within this many days before the run date; the spend trend compares it "
            "with the window before."
        ),
    )
    contact_window_days = _days(_("contact window (days)"), 90)
    intent_window_days = _days(
        _("interest stays fresh (days)"),
        180,
        _("A prospect who showed interest within this many days is an intent customer."),
    )

    # Lifecycle
    dormant_days = _days(_("dormant after (days without purchase)"), 120)
    churned_days = _days(_("churned after (days without purchase)"), 365)
    rhythm_min_orders = models.PositiveSmallIntegerField(
        _("orders needed to know a customer's rhythm"),
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
    )
    dormant_rhythm_factor = models.FloatField(
        _("dormant after × own interval"),
        default=2.0,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_(
            "A customer with a known rhythm is dormant only when the silence is also "
            "longer than this many of their usual intervals."
        ),
    )
    churned_rhythm_factor = models.FloatField(
        _("churned after × own interval"),
        default=4.0,
        validators=[MinValueValidator(1), MaxValueValidator(40)],
    )
    loyal_min_orders = models.PositiveSmallIntegerField(
        _("loyal: minimum orders in window"), default=6, validators=[MinValueValidator(2)]
    )
    loyal_min_tenure_days = _days(_("loyal: minimum days since first purchase"), 365)

    # Value tier
    value_basis = models.CharField(
        _("value measured by"),
        max_length=10,
        choices=ValueBasis.choices,
        default=ValueBasis.REVENUE,
    )
    value_method = models.CharField(
        _("value tier method"),
        max_length=12,
        choices=ValueMethod.choices,
        default=ValueMethod.PARETO,
    )
    core_share_pct = _pct(_("Pareto: core customers make up this share (%)"), 80)
    important_share_pct = _pct(_("Pareto: core + important make up this share (%)"), 95)
    core_top_pct = _pct(_("Percentile: core is the top (%)"), 20)
    important_top_pct = _pct(_("Percentile: core + important is the top (%)"), 50)
    core_min_amount = models.DecimalField(
        _("Absolute: core from this amount"),
        max_digits=16,
        decimal_places=2,
        default=500000,
        validators=[MinValueValidator(0)],
    )
    important_min_amount = models.DecimalField(
        _("Absolute: important from this amount"),
        max_digits=16,
        decimal_places=2,
        default=100000,
        validators=[MinValueValidator(0)],
    )
    value_min_tenure_days = models.PositiveIntegerField(
        _("value tier needs this much history (days)"),
        default=0,
        validators=[MaxValueValidator(3650)],
        help_text=_("Customers whose first purchase is more recent stay unclassified; 0 = off."),
    )

    # Loyalty
    loyalty_min_tenure_days = _days(_("loyalty: minimum days as a buyer"), 365)
    loyalty_min_active_months = models.PositiveSmallIntegerField(
        _("loyalty: active months in the last 12"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    loyalty_min_referrals = models.PositiveSmallIntegerField(
        _("loyalty: referrals that also count as loyal"),
        default=2,
        validators=[MinValueValidator(1)],
    )
    loyalty_min_satisfaction = models.PositiveSmallIntegerField(
        _("loyalty: minimum latest satisfaction (1–5)"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )

    # Potential (weights must add up to 1)
    weight_size = _weight(_("weight: company size"), 0.20)
    weight_budget = _weight(_("weight: annual budget"), 0.25)
    weight_outlook = _weight(_("weight: industry outlook"), 0.15)
    weight_growth = _weight(_("weight: growth rate"), 0.15)
    weight_trend = _weight(_("weight: spend trend"), 0.15)
    weight_breadth = _weight(_("weight: category breadth"), 0.10)
    # Predicted value (segmentation.prediction): 0 keeps the score on the profile alone.
    weight_expected_revenue = _weight(_("weight: expected revenue, next 365 days"), 0.0)
    expected_revenue_full_amount = models.DecimalField(
        _("expected revenue (next 365 days) that scores full marks"),
        max_digits=16,
        decimal_places=2,
        default=100000,
        validators=[MinValueValidator(1)],
    )
    budget_full_amount = models.DecimalField(
        _("budget that scores full marks"),
        max_digits=16,
        decimal_places=2,
        default=1000000,
        validators=[MinValueValidator(1)],
    )
    growth_full_pct = models.FloatField(
        _("growth rate that scores full marks (%)"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    breadth_full_categories = models.PositiveSmallIntegerField(
        _("categories that score full marks"), default=5, validators=[MinValueValidator(1)]
    )
    potential_high_min = _pct(_("high potential from score"), 60)
    potential_medium_min = _pct(_("medium potential from score"), 35)

    # Frequency
    frequency_high_min_orders = models.PositiveSmallIntegerField(
        _("high frequency: minimum orders in window"),
        default=6,
        validators=[MinValueValidator(2)],
    )

    # Risk flags
    churn_trend_drop_pct = _pct(_("churn warning: spend fell by at least (%)"), 30)
    churn_trend_min_orders = models.PositiveSmallIntegerField(
        _("churn warning: judge falling spend from this many orders in the previous window"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_(
            "A customer who buys two to four times a year swings by a third from one order "
            "more or less; the spend trend warns only when the previous window had at least "
            "this many orders. The buying-rhythm warning still covers the rest."
        ),
    )
    churn_rhythm_overdue_factor = models.FloatField(
        _("churn warning: silence longer than × own interval"),
        default=1.5,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    churn_p_alive_below_pct = models.FloatField(
        _("churn warning: chance still active below (%)"),
        null=True,
        blank=True,
        validators=_PCT,
        help_text=_(
            "Empty = off. The model's probability that the customer still buys; customers "
            "already dormant or churned are not warned again."
        ),
    )
    payment_min_on_time_pct = _pct(_("payment risk: on-time payments below (%)"), 80)
    payment_min_due_orders = models.PositiveSmallIntegerField(
        _("payment risk: judge punctuality from this many invoices"),
        default=3,
        validators=[MinValueValidator(1)],
    )
    payment_grace_days = models.PositiveSmallIntegerField(
        _("payment risk: overdue by more than (days)"),
        default=30,
        validators=[MaxValueValidator(3650)],
    )
    problem_min_cases = models.PositiveSmallIntegerField(
        _("problem customer: complaints + returns + repairs in window"),
        default=3,
        validators=[MinValueValidator(1)],
    )

    # Anti-flapping
    min_dwell_runs = models.PositiveSmallIntegerField(
        _("runs a new class must persist before it applies"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_(
            "1 = change at once; 2 = a change applies after two consecutive runs agree, "
            "so customers near a threshold do not bounce every night."
        ),
    )

    # Audit trail: who created, changed or activated which version, and when (admin → History).
    history = HistoricalRecords(verbose_name=_("rule set history"))

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_ruleset"
            ),
            models.CheckConstraint(
                condition=Q(dormant_days__lt=models.F("churned_days")),
                name="ruleset_dormant_before_churned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def clean(self):
        from segmentation.rules import ruleset_errors

        errors = ruleset_errors(self)
        if errors:
            raise ValidationError(errors)
