"""Bulk writes of the run's DataFrames through crm.db.bulk_insert (COPY on PostgreSQL,
batched executemany elsewhere). What is segmentation's own here: metrics are written to the
cent."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crm.db import bulk_insert

# Cents are the finest grain any metric needs; short numbers make the CSV (the slowest step
# of the write) about a third faster than 17-digit floats.
FLOAT_DECIMALS = 2


def frame_insert(
    *,
    table: str,
    frame: pd.DataFrame,
    columns: Sequence[str],
    integer_columns: Sequence[str] = (),
    text_columns: Sequence[str] = (),
) -> int:
    """Inserts `frame[columns]` into `table`; returns the number of rows. Integer columns
    are written as integers, NaN as NULL; `text_columns` keep "" as "" (a CSV COPY would
    otherwise read an empty field as NULL)."""
    return bulk_insert(
        table=table,
        columns=columns,
        rows=frame,
        integer_columns=integer_columns,
        text_columns=text_columns,
        float_decimals=FLOAT_DECIMALS,
    )
