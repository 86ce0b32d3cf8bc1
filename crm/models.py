"""People: teams and users with a sales role."""

import re

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """A sales team; managers see their team's customers."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    region = models.CharField(_("region"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# CJK ideographs (basic block, extension A, compatibility): a name written in Chinese.
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def person_name(*, first_name: str, last_name: str, username: str = "") -> str:
    """How a person is named everywhere a person is meant (owner columns, filters, greetings).

    Chinese names read family name first with no space (汪 + 霞 → 汪霞); other names
    "given family". The login name only when no name is recorded."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if not first and not last:
        return username
    if _CJK.search(first) or _CJK.search(last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Sales manager")
    REP = "rep", _("Sales rep")


class User(AbstractUser):
    """A CRM user. `role` decides what they see (customers.access); a manager with
    `is_director` sees every team."""

    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    is_director = models.BooleanField(
        _("sales director"),
        default=False,
        help_text=_("A director manager sees the customers of every team."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]  # stubs omit the inner Meta
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["team", "role"], name="user_team_role_idx")]

    def __str__(self) -> str:
        # Choice lists (owner filters, forms) and owner columns show the person, not the login.
        return self.display_name

    @property
    def display_name(self) -> str:
        return person_name(
            first_name=self.first_name, last_name=self.last_name, username=self.username
        )

    def get_full_name(self) -> str:
        # Django's "first last" puts a Chinese given name first ("霞 汪"); no login fallback
        # here, as Django's contract is "" for a user without a name.
        return person_name(first_name=self.first_name, last_name=self.last_name)

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def is_crm_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_rep(self) -> bool:
        return self.role == Role.REP and not self.is_superuser

    @property
    def sees_all_teams(self) -> bool:
        return self.is_crm_admin or (self.is_manager and self.is_director)
