"""When each customer must next be contacted, kept ready for the pages that list the most
overdue customers of a whole team or company."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TouchDue(models.Model):
    """A customer's next contact deadline: its touch clock (strategies.selectors.contact: the
    later of the last logged contact, the last claim from the pool and its creation) plus the
    smallest longest-allowed gap among the active playbooks it follows. One row per customer
    that has such a gap; none for the others.

    Derived data, kept by strategies.services.touch: recomputed for a customer whenever its
    contact logs or claims change (so logging a call clears an overdue touch at once) and for
    everyone after each night's task generation (which is when enrollments change). It exists
    so that "the 50 most overdue of 200,000 customers" is a walk along one date index instead
    of a computation over every customer of the team."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="touch_due",
    )
    clock = models.DateField(_("contact clock started"))
    gap_days = models.PositiveSmallIntegerField(_("longest gap between contacts (days)"))
    due_on = models.DateField(_("next contact due"))

    class Meta:
        verbose_name = _("next contact due")
        verbose_name_plural = _("next contacts due")
        indexes = [
            # Overdue touch of a team or the company: the earliest due dates first.
            models.Index(fields=["due_on", "customer"], name="touch_due_on_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.due_on}"
