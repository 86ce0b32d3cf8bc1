"""Audit records of data leaving or changing in bulk: exports, imports and anonymisations.

They are written once and never edited (admin shows them read-only). They name the user and
keep the username as text, so the record survives the user's deletion."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .customer import Customer


class AuditSource(models.TextChoices):
    WEB = "web", _("Web page")
    COMMAND = "command", _("Management command")
    TASK = "task", _("Background task")
    ADMIN = "admin", _("Admin")


class ExportLog(models.Model):
    """Someone exported customer data: who, when, which filter, which format, how many rows,
    and whether personal data was in full or masked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    source = models.CharField(
        _("from"), max_length=10, choices=AuditSource.choices, default=AuditSource.WEB
    )
    what = models.CharField(_("what"), max_length=30, default="customers")
    format = models.CharField(_("format"), max_length=10)
    query = models.TextField(_("filter (query string)"), blank=True)
    personal_data = models.BooleanField(
        _("personal data in full"),
        default=False,
        help_text=_("Off: phone numbers and e-mail addresses were masked."),
    )
    rows = models.PositiveIntegerField(
        _("rows"), null=True, blank=True, help_text=_("Empty: the download did not finish.")
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export log")
        verbose_name_plural = _("export logs")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.username or '-'} {self.format} {self.at:%Y-%m-%d %H:%M}"


class ImportLog(models.Model):
    """One applied import job (never one entry per row)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=20)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    rows = models.PositiveIntegerField(_("rows in the file"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    succeeded = models.BooleanField(_("written"), default=False)

    class Meta:
        verbose_name = _("import log")
        verbose_name_plural = _("import logs")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.username or '-'} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class CustomerAnonymisation(models.Model):
    """A customer's personal data was erased on request (personal-information deletion)."""

    customer = models.OneToOneField(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="anonymisation",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("anonymised by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    reason = models.TextField(_("why (request, ticket)"))
    erased = models.JSONField(
        _("records erased"), default=dict, help_text=_("How many records of each kind.")
    )

    class Meta:
        verbose_name = _("customer anonymisation")
        verbose_name_plural = _("customer anonymisations")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"#{self.customer_id} {self.at:%Y-%m-%d}"
