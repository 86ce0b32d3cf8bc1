"""The audit record of a customer merge."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .customer import Customer


class CustomerMerge(models.Model):
    """One customer was merged into another: who did it, when, and what moved.

    The merged customer row is deleted; its code, name and profile are kept here so the merge
    can be explained (and so an import that still uses the old code finds the survivor)."""

    survivor = models.ForeignKey(
        Customer,
        verbose_name=_("kept customer"),
        on_delete=models.CASCADE,
        related_name="merges",
    )
    merged_code = models.CharField(_("merged customer code"), max_length=64, db_index=True)
    merged_name = models.CharField(_("merged customer name"), max_length=200)
    merged_profile = models.JSONField(_("merged customer profile"), default=dict)
    moved = models.JSONField(
        _("records moved"), default=dict, help_text=_("How many records of each kind moved.")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.merged_code} → {self.survivor_id}"
