"""Tags: manual attributes the data cannot decide (need type: cost-sensitive, quality-seeking,
innovation-driven …). An admin defines a tag (a key) and its allowed values; reps set one value
per customer on the customer page; custom classification rules may read them."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# Keys and values are referenced from rules (JSON) as "tag.<key>" = "<value>": plain slugs.
CODE_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9_]*$", _("Use lower-case letters, digits and _; start with a letter.")
)


def pick_language(zh: str, en: str) -> str:
    """The text in the reader's language; the other language when one is missing."""
    lang = (get_language() or "zh-hans").lower()
    first, second = (en, zh) if lang.startswith("en") else (zh, en)
    return first or second


class TagDefinition(models.Model):
    """A manual attribute: a key with a closed list of values (TagOption)."""

    key = models.CharField(
        _("key"), max_length=30, unique=True, validators=[CODE_VALIDATOR],
        help_text=_("Rules refer to the tag as tag.<key>; never change it once rules use it."),
    )  # fmt: skip
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive tags are hidden on the customer page.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["order", "key"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick_language(self.name_zh_hans, self.name_en)


class TagOption(models.Model):
    """One allowed value of a tag."""

    tag = models.ForeignKey(
        TagDefinition, verbose_name=_("tag"), on_delete=models.CASCADE, related_name="options"
    )
    code = models.CharField(_("value"), max_length=30, validators=[CODE_VALIDATOR])
    label_zh_hans = models.CharField(_("label (Chinese)"), max_length=60)
    label_en = models.CharField(_("label (English)"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("tag value")
        verbose_name_plural = _("tag values")
        ordering = ["tag", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tag", "code"], name="tag_option_code_uniq"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return pick_language(self.label_zh_hans, self.label_en)


class CustomerTag(models.Model):
    """The value of one tag for one customer (at most one per tag)."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="tags",
    )
    tag = models.ForeignKey(
        TagDefinition, verbose_name=_("tag"), on_delete=models.CASCADE, related_name="values"
    )
    value = models.CharField(_("value"), max_length=30)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set at"), auto_now=True)

    class Meta:
        verbose_name = _("customer tag")
        verbose_name_plural = _("customer tags")
        constraints = [
            models.UniqueConstraint(fields=["customer", "tag"], name="customer_tag_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.tag_id}={self.value}"
