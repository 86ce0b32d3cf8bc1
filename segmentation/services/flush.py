"""Deleting every segmentation result, for the demo flush (`seed_demo --flush`).

Class rows and class changes point at customers without a database constraint (so that the
nightly run can write them fast and the customer tables can be bulk-loaded), so deleting the
customers would leave them behind; the runs that produced them would still say "current"."""

from __future__ import annotations

from django.db import connection, transaction

from ..models import ClassChange, ClassPin, CustomerClasses, Run

# Children first (the SQLite path deletes in this order).
MODELS = (ClassChange, CustomerClasses, ClassPin, Run)


def segmentation_data_flush() -> None:
    """Every run with its classes, class changes and pins. Rule sets are kept."""
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in MODELS)
        with connection.cursor() as cursor:
            # Like the customer flush: no TRUNCATE with deferred checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return
    with transaction.atomic():
        for model in MODELS:
            model.objects.all().delete()
