"""Rule sets: every threshold, window, weight and method of the classification, as data.

A rule set is never edited in place once saved: the admin saves each edit as a new version
(segmentation.services.ruleset_save_version), so a run's classes can always be explained with
the exact version it recorded."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from segmentation.thresholds import threshold_model_fields


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

    # Every threshold, window, weight and method: one column each, generated from the one
    # declaration in segmentation.thresholds (label, default, range, help text). The class body's
    # namespace is the dict Django's ModelBase reads, so these are ordinary fields, created here
    # in declaration order (after the fields above), and seen by simple_history and migrations.
    locals().update(threshold_model_fields())

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
