"""Reading stored classes back as one column per dimension (the baseline of a run, a
preview's "before"), whatever storage each dimension uses."""

from __future__ import annotations

import pandas as pd
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from segmentation.models import Run

from .base import DimensionSpec
from .compute import storage_read, stored_columns


def stored_classes(
    rows: QuerySet, *, run: Run, specs: list[DimensionSpec], pending: bool = False
) -> pd.DataFrame:
    """`rows` (CustomerClasses of `run`) as a frame indexed by customer id with a column per
    dimension of `specs` that `run` computed (and `pending`, the dwell rule's state)."""
    mine = [s for s in specs if s.in_run(run)]
    columns = stored_columns(mine)
    if "custom_text" in columns:
        rows = rows.annotate(custom_text=Cast("custom", TextField()))
    if pending:
        columns.append("pending")
    frame = pd.DataFrame.from_records(
        list(rows.values_list("customer_id", *columns)), columns=["customer_id", *columns]
    ).set_index("customer_id")
    return storage_read(frame, mine)
