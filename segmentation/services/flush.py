"""Deleting every segmentation result, for the demo flush (`seed_demo --flush`).

Class rows and class changes point at customers without a database constraint (so that the
nightly run can write them fast and the customer tables can be bulk-loaded), so deleting the
customers would leave them behind; the runs that produced them would still say "current"."""

from __future__ import annotations

from crm.db import truncate

from ..models import ClassChange, ClassPin, CustomerClasses, Run

# Children first (the SQLite path deletes in this order).
MODELS = (ClassChange, CustomerClasses, ClassPin, Run)


def segmentation_data_flush() -> None:
    """Every run with its classes, class changes and pins. Rule sets are kept."""
    truncate(*MODELS)
