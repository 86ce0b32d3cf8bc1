"""Custom classification dimensions: an admin's own classes from rules, without a deploy.

A dimension is identified by its `code` and versioned like rule sets: a version a run has used
(active or retired) is never edited — the admin copies it to a new draft, edits the draft,
previews it and activates it (the previous active version of the code is retired). Each run
records the versions it evaluated (`Run.custom_versions`), so a stored class is always
explained with the rule that produced it.

The rules are JSON data (see segmentation.custom.schema), validated when saved and evaluated
vectorised over the metrics frame; they are never executed as code."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# "custom_" + code must fit the 20 characters of ClassChange/ClassPin/Playbook.dimension.
DIMENSION_CODE_MAX = 13
CUSTOM_PREFIX = "custom_"
_CODE = RegexValidator(
    r"^[a-z][a-z0-9_]*$", _("Use lower-case letters, digits and _; start with a letter.")
)


def _pick(zh: str, en: str) -> str:
    lang = (get_language() or "zh-hans").lower()
    first, second = (en, zh) if lang.startswith("en") else (zh, en)
    return first or second


class CustomDimensionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class CustomDimension(models.Model):
    """One version of a custom dimension. At most one version per code is active; every
    active dimension is computed in the nightly run."""

    code = models.CharField(
        _("code"),
        max_length=DIMENSION_CODE_MAX,
        validators=[_CODE],
        help_text=_(
            "Stable key: exports show the column custom_<code>, filters and playbooks use it."
        ),
    )
    version = models.PositiveIntegerField(_("version"), editable=False)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=CustomDimensionStatus.choices,
        default=CustomDimensionStatus.DRAFT,
        editable=False,
    )
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
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
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True, editable=False)

    # Audit trail: who changed the dimension (its classes: CustomClass.history), and when.
    history = HistoricalRecords(verbose_name=_("custom dimension history"))

    class Meta:
        verbose_name = _("custom dimension")
        verbose_name_plural = _("custom dimensions")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="custom_dim_code_version"),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(status="active"),
                name="custom_dim_one_active_per_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code} v{self.version})"

    @property
    def name(self) -> str:
        return _pick(self.name_zh_hans, self.name_en)

    @property
    def dimension_key(self) -> str:
        """The key in class history, pins and playbooks: custom_<code>."""
        return f"{CUSTOM_PREFIX}{self.code}"


class CustomClass(models.Model):
    """One class of a custom dimension: the first class (by order) whose rule matches wins;
    the default class takes everyone else and has no rule."""

    dimension = models.ForeignKey(
        CustomDimension,
        verbose_name=_("dimension"),
        on_delete=models.CASCADE,
        related_name="classes",
    )
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.CharField(_("code"), max_length=20, validators=[_CODE])
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    rule = models.JSONField(_("rule"), default=dict, blank=True)
    is_default = models.BooleanField(_("default class"), default=False)

    # Audit trail: who changed a class or its rule, and when.
    history = HistoricalRecords(verbose_name=_("custom class history"))

    class Meta:
        verbose_name = _("custom class")
        verbose_name_plural = _("custom classes")
        ordering = ["dimension", "order"]
        constraints = [
            models.UniqueConstraint(fields=["dimension", "code"], name="custom_class_code_uniq"),
            models.UniqueConstraint(fields=["dimension", "order"], name="custom_class_order_uniq"),
            models.UniqueConstraint(
                fields=["dimension"], condition=Q(is_default=True), name="custom_class_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _pick(self.name_zh_hans, self.name_en)
