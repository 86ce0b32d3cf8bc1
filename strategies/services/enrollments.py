"""Corrections of enrollments and pool events (made in the admin; the nightly generation and
the pool write them in bulk). Each moves the customers' next contact deadline in the same
transaction."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from ..models import Enrollment, PoolEvent
from .touch import touch_due_refresh


@transaction.atomic
def enrollment_save(*, enrollment: Enrollment) -> Enrollment:
    """Saves an edited enrollment (e.g. an end date set by hand). Moving it to another
    customer moves both customers' deadlines."""
    before = (
        Enrollment.objects.filter(pk=enrollment.pk).values_list("customer_id", flat=True).first()
    )
    enrollment.save()
    touch_due_refresh(customer_ids=[c for c in (before, enrollment.customer_id) if c is not None])
    return enrollment


def _delete_moving_touch_due(queryset: QuerySet) -> int:
    customer_ids = list(queryset.values_list("customer_id", flat=True).distinct())
    deleted, _per_model = queryset.delete()
    touch_due_refresh(customer_ids=customer_ids)
    return deleted


@transaction.atomic
def enrollments_delete(*, enrollments: QuerySet[Enrollment]) -> int:
    """Deletes enrollments (their tasks go with them). Returns the rows deleted."""
    return _delete_moving_touch_due(enrollments)


@transaction.atomic
def pool_events_delete(*, events: QuerySet[PoolEvent]) -> int:
    """Deletes pool events: a deleted claim no longer restarts its customer's contact
    clock. Returns the rows deleted."""
    return _delete_moving_touch_due(events)


__all__ = ["enrollment_save", "enrollments_delete", "pool_events_delete"]
