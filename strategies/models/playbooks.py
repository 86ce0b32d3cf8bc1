"""Playbooks: what to do with the customers of one class, step by step.

The class a playbook attaches to is stored as plain codes (dimension + class, the stable codes of
segmentation.models.choices), not a foreign key: strategies' migrations depend only on crm and
customers, and forms/admin validate the codes against segmentation's CLASS_CHOICES."""

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


def _pick(zh: str, en: str) -> str:
    """The text in the reader's language; the other language when one is missing."""
    lang = (get_language() or "zh-hans").lower()
    first, second = (en, zh) if lang.startswith("en") else (zh, en)
    return first or second


class ServiceLevel(models.TextChoices):
    DEDICATED = "dedicated", _("Dedicated account manager")
    PRIORITY = "priority", _("Priority handling")
    STANDARD = "standard", _("Standard")
    SELF_SERVICE = "self_service", _("Self-service")


class StepKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    OFFER = "offer", _("Offer")
    SURVEY = "survey", _("Survey")
    MEETING = "meeting", _("Meeting")
    REVIEW = "review", _("Internal review")


class Playbook(models.Model):
    """The treatment of one class. Several playbooks may attach to one class; when a customer
    is in several classes at once, the higher `priority` goes first (its tasks are kept when
    the per-customer cap on open tasks is reached)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    goal_zh = models.TextField(_("goal (Chinese)"))
    goal_en = models.TextField(_("goal (English)"))
    dimension = models.CharField(_("dimension"), max_length=20)
    class_code = models.CharField(_("class"), max_length=20)
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=50,
        help_text=_("Higher goes first when a customer is in several classes (0–100)."),
    )
    cadence_days = models.PositiveSmallIntegerField(
        _("contact cadence (days)"), help_text=_("Contact the customer about every N days.")
    )
    service_level = models.CharField(
        _("service level"), max_length=14, choices=ServiceLevel.choices
    )
    max_interval_days = models.PositiveSmallIntegerField(
        _("longest gap between contacts (days)"),
        null=True,
        blank=True,
        help_text=_("Past this the customer shows as “overdue touch”. Empty: no limit."),
    )
    release_after_days = models.PositiveSmallIntegerField(
        _("release to the pool after (days past the gap)"),
        null=True,
        blank=True,
        help_text=_(
            "Days past the longest gap after which the customer goes to the team's public pool. "
            "Empty: never released for this class."
        ),
    )
    channel_zh = models.TextField(_("channel guidance (Chinese)"), blank=True)
    channel_en = models.TextField(_("channel guidance (English)"), blank=True)
    pricing_zh = models.TextField(_("pricing guidance (Chinese)"), blank=True)
    pricing_en = models.TextField(_("pricing guidance (English)"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Audit trail: who changed the playbook (its steps: PlaybookStep.history), and when.
    history = HistoricalRecords(verbose_name=_("playbook history"))

    class Meta:
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        ordering = ["dimension", "class_code", "-priority", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(cadence_days__gte=1), name="playbook_cadence_gte_1"),
            models.CheckConstraint(
                condition=Q(priority__lte=100), name="playbook_priority_lte_100"
            ),
            models.CheckConstraint(
                condition=Q(max_interval_days__isnull=True) | Q(max_interval_days__gte=1),
                name="playbook_interval_gte_1",
            ),
            models.CheckConstraint(
                condition=Q(release_after_days__isnull=True) | Q(max_interval_days__isnull=False),
                name="playbook_release_needs_interval",
            ),
        ]
        indexes = [
            models.Index(fields=["dimension", "class_code"], name="playbook_class_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _pick(self.name_zh, self.name_en)

    @property
    def goal(self) -> str:
        return _pick(self.goal_zh, self.goal_en)

    @property
    def channel(self) -> str:
        return _pick(self.channel_zh, self.channel_en)

    @property
    def pricing(self) -> str:
        return _pick(self.pricing_zh, self.pricing_en)


class PlaybookStep(models.Model):
    """One dated action: due `day_offset` days after the customer entered the class."""

    playbook = models.ForeignKey(
        Playbook, verbose_name=_("playbook"), on_delete=models.CASCADE, related_name="steps"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=10, choices=StepKind.choices)
    day_offset = models.PositiveSmallIntegerField(_("day offset"))
    instruction_zh = models.TextField(_("instruction (Chinese)"))
    instruction_en = models.TextField(_("instruction (English)"))

    # Audit trail: who changed a step, and when.
    history = HistoricalRecords(verbose_name=_("playbook step history"))

    class Meta:
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        ordering = ["playbook", "order"]
        constraints = [
            models.UniqueConstraint(fields=["playbook", "order"], name="step_playbook_order_uniq"),
            models.CheckConstraint(condition=Q(kind__in=StepKind.values), name="step_kind_valid"),
            # A year is the horizon of a playbook; later steps belong to a later review.
            models.CheckConstraint(condition=Q(day_offset__lte=366), name="step_offset_lte_366"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.get_kind_display()} +{self.day_offset}"

    @property
    def instruction(self) -> str:
        return _pick(self.instruction_zh, self.instruction_en)


class StrategySettings(models.Model):
    """Team-wide rules of the task list and the public pool (one row, edited in admin)."""

    max_open_tasks = models.PositiveSmallIntegerField(
        _("open tasks per customer, at most"),
        # Three keeps a rep with a few hundred customers at a list they can work in a day.
        default=3,
        help_text=_("Lower-priority steps give way when a customer would get more."),
    )
    missed_after_days = models.PositiveSmallIntegerField(
        _("a task counts as missed after (days overdue)"), default=7
    )
    pool_enabled = models.BooleanField(_("release neglected customers to the pool"), default=True)
    pool_notice_days = models.PositiveSmallIntegerField(
        _("notice to the owner before release (days)"), default=7
    )
    prospect_release_days = models.PositiveSmallIntegerField(
        _("release prospects never converted after (days)"),
        null=True,
        blank=True,
        default=180,
        help_text=_("Counted from the record's creation. Empty: prospects are never released."),
    )
    claim_limit = models.PositiveSmallIntegerField(_("claims per rep in the window"), default=10)
    claim_window_days = models.PositiveSmallIntegerField(_("claim window (days)"), default=30)

    class Meta:
        verbose_name = _("strategy settings")
        verbose_name_plural = _("strategy settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="strategy_settings_singleton"),
            models.CheckConstraint(condition=Q(max_open_tasks__gte=1), name="settings_cap_gte_1"),
            models.CheckConstraint(
                condition=Q(claim_window_days__gte=1), name="settings_claim_window_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Strategy settings"))

    @classmethod
    def load(cls) -> "StrategySettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
