"""People: teams and users with a sales role."""

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
