"""Writes of playbooks (the admin is where they are edited)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import QuerySet

from ..models import Playbook

if TYPE_CHECKING:
    from crm.models import User

# The fields a customer's next contact deadline is derived from (strategies.services.touch).
TOUCH_FIELDS = ("max_interval_days", "active")


def _rebuild_touch_due_after_commit() -> None:
    # Late import: tasks import the services.
    from ..tasks import enqueue_touch_due_rebuild

    enqueue_touch_due_rebuild()


@transaction.atomic
def playbook_save(*, actor: User | None, playbook: Playbook) -> Playbook:
    """Saves a new or edited playbook (its steps are saved by the caller's formset). When
    its longest gap or its active flag changed, every enrolled customer's next contact
    deadline is rebuilt by a background job after the commit: hundreds of thousands of rows,
    too many for the request. A new playbook has no enrollment yet."""
    was = (
        Playbook.objects.filter(pk=playbook.pk).values(*TOUCH_FIELDS).first()
        if playbook.pk is not None
        else None
    )
    # django-simple-history's way to name the author of this version.
    playbook._history_user = actor  # type: ignore[attr-defined]
    playbook.save()
    if was is not None and was != {f: getattr(playbook, f) for f in TOUCH_FIELDS}:
        _rebuild_touch_due_after_commit()
    return playbook


@transaction.atomic
def playbooks_delete(*, playbooks: QuerySet[Playbook]) -> int:
    """Deletes playbooks with their steps, enrollments and tasks; the next contact deadlines
    of their customers are rebuilt after the commit. Returns how many playbooks."""
    deleted = playbooks.count()
    if deleted:
        playbooks.delete()
        _rebuild_touch_due_after_commit()
    return deleted


__all__ = ["playbook_save", "playbooks_delete"]
