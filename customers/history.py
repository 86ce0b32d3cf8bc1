"""Ownership history for the paths that move customers in bulk.

django-simple-history records a customer's owner and team from model signals, which a bulk
`update()`, an import's COPY or a set-based UPDATE never send. The pool (claims and
releases) and imports change owners that way, so they write the history rows themselves,
set-based: one read and one insert per batch of customers, never one per customer. Each row
carries the user (none for the nightly release) and why, so admin → customer → History shows
who moved the customer to whom, when and how."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Customer

# Customers per read + insert (a batch of ids and their history rows stays well under a MB).
BATCH = 2_000


class OwnerChange(models.TextChoices):
    """Why a bulk path moved a customer: stored in the history row's change reason (the
    value), shown translated in admin (the label)."""

    POOL_CLAIM = "pool claim", _("Claimed from the public pool")
    POOL_RELEASE = "pool release", _("Released to the public pool")
    IMPORT = "import", _("Changed by an import")


def reason_label(value: str | None) -> str | None:
    """The translated label of a stored reason; anything else as stored."""
    if value is None:
        return None
    try:
        return str(OwnerChange(value).label)
    except ValueError:
        return value


def customer_owner_history_write(
    *, customer_ids: Iterable[int], user_id: int | None, reason: OwnerChange
) -> int:
    """One history row per customer with its owner and team as they are now (call it after
    the change, in the same transaction). Returns the number of rows written."""
    historical = Customer.history.model
    ids = sorted(set(customer_ids))
    now = timezone.now()
    written = 0
    for start in range(0, len(ids), BATCH):
        rows = Customer.objects.filter(pk__in=ids[start : start + BATCH]).values_list(
            "pk", "external_code", "owner_id", "team_id"
        )
        written += len(
            historical.objects.bulk_create(
                [
                    historical(
                        id=pk,
                        external_code=code,
                        owner_id=owner_id,
                        team_id=team_id,
                        history_date=now,
                        history_type="~",
                        history_user_id=user_id,
                        history_change_reason=reason.value,
                    )
                    for pk, code, owner_id, team_id in rows
                ]
            )
        )
    return written


def owner_history_insert_sql(*, source: str) -> str:
    """PostgreSQL: the same rows, in one INSERT … SELECT from `source` (a table or CTE name
    with the columns id, external_code, owner_id, team_id: the customers as they are now).
    Parameters: history date, user id, reason; the caller may append a WHERE."""
    from django.db import connection

    historical = connection.ops.quote_name(Customer.history.model._meta.db_table)
    return (
        f"INSERT INTO {historical} (id, external_code, owner_id, team_id, history_date, "  # noqa: S608 - names from _meta
        "history_type, history_user_id, history_change_reason) "
        f"SELECT u.id, u.external_code, u.owner_id, u.team_id, %s, '~', %s, %s FROM {source} u"
    )
