"""A rep completes or snoozes a task; completing a contact-type task can log the contact."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models.choices import ContactChannel
from customers.services import contact_log_create

from ..models import Task, TaskKind, TaskStatus
from ..selectors.tasks import task_get_for_user

if TYPE_CHECKING:
    from crm.models import User

# Task kinds that are a contact with the customer, and the contact-log channel they become.
CHANNEL_FOR_KIND: dict[str, ContactChannel] = {
    TaskKind.CALL: ContactChannel.CALL,
    TaskKind.VISIT: ContactChannel.VISIT,
    TaskKind.EMAIL: ContactChannel.EMAIL,
    TaskKind.WECHAT: ContactChannel.WECHAT,
    TaskKind.MEETING: ContactChannel.MEETING,
    TaskKind.POOL_NOTICE: ContactChannel.CALL,
}

MAX_SNOOZE_DAYS = 30


def _check_open(task: Task) -> None:
    if not task.is_open:
        raise ValidationError(
            _("This task is already closed (%(status)s).") % {"status": task.get_status_display()}
        )


@transaction.atomic
def task_complete(
    *,
    actor: User,
    task_id: int,
    log_contact: bool = False,
    summary: str = "",
    outcome: str = "reached",
) -> Task:
    """Marks a task the actor may see as done (404 otherwise). With `log_contact`, a contact
    log is written through customers' own service and linked to the task."""
    task = task_get_for_user(user=actor, task_id=task_id)
    _check_open(task)
    log = None
    if log_contact:
        channel = CHANNEL_FOR_KIND.get(task.kind)
        if channel is None:
            raise ValidationError(
                _("A “%(kind)s” task is not a contact; complete it without logging one.")
                % {"kind": task.get_kind_display()}
            )
        summary = (summary or "").strip()
        if not summary:
            raise ValidationError({"summary": _("Write a line about the contact to log it.")})
        log = contact_log_create(
            actor=actor,
            customer=task.customer,
            data={"channel": channel, "summary": summary, "outcome": outcome},
        )
    now = timezone.now()
    task.status = TaskStatus.DONE
    task.completed_at = now
    task.closed_on = timezone.localdate(now)
    task.contact_log = log
    task.save(update_fields=["status", "completed_at", "closed_on", "contact_log"])
    return task


@transaction.atomic
def task_snooze(*, actor: User, task_id: int, days: int) -> Task:
    """Moves a task out of today's list for `days` days (1–30); its original due date stays,
    so adherence still counts it against that date."""
    task = task_get_for_user(user=actor, task_id=task_id)
    _check_open(task)
    if not 1 <= days <= MAX_SNOOZE_DAYS:
        raise ValidationError({"days": _("Snooze for 1 to %(n)s days.") % {"n": MAX_SNOOZE_DAYS}})
    task.status = TaskStatus.SNOOZED
    task.snoozed_until = timezone.localdate() + dt.timedelta(days=days)
    task.save(update_fields=["status", "snoozed_until"])
    return task
