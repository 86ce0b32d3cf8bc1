"""Reading stored classes back as one column per dimension (the baseline of a run, a
preview's "before", the dashboards' aggregates), whatever storage each dimension uses."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from crm.db import is_postgresql
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


# ---- bulk reads of the JSON document (the dashboards' aggregates of a whole run) ----------


def json_categoricals(texts: pd.Series, codes: list[str]) -> dict[str, pd.Categorical]:
    """One categorical column per custom dimension from the run's `custom` JSON text (a
    categorical itself: the few hundred class combinations a run has). Each distinct text is
    parsed once, instead of one JSON extraction per customer and dimension in SQL."""
    categorical = (
        texts if isinstance(texts.dtype, pd.CategoricalDtype) else texts.astype("category")
    )
    rows = categorical.cat.codes.to_numpy()
    parsed = [json.loads(t) if t else {} for t in categorical.cat.categories]
    out = {}
    for code in codes:
        per_text = np.array([str(d.get(code) or "") for d in parsed] + [""], dtype=object)
        classes, inverse = np.unique(per_text, return_inverse=True)
        out[code] = pd.Categorical.from_codes(inverse[rows], categories=classes)  # -1 → ""
    return out


def json_document_hashes(table: str, run: Run) -> dict[str, str] | None:
    """PostgreSQL: the run's distinct `custom` documents by their jsonb_hash (a few hundred,
    one hashed group-by), so the per-customer read carries a number instead of the JSON text:
    parsing a million quoted JSON texts was most of the custom dimensions' aggregate cost.
    None elsewhere, or if two documents share a hash (then the text is read)."""
    if not is_postgresql():
        return None
    with connection.cursor() as cursor:
        name = connection.ops.quote_name(table)
        cursor.execute(
            f"SELECT jsonb_hash(custom)::text, custom::text FROM {name} "  # noqa: S608 - quoted name
            "WHERE run_id = %s AND custom IS NOT NULL GROUP BY custom",
            [run.pk],
        )
        pairs = cursor.fetchall()
    texts_of = dict(pairs)
    return texts_of if len(texts_of) == len(pairs) else None


def hashes_to_texts(hashes: pd.Series, texts_of: dict[str, str]) -> pd.Series:
    """The categorical of hashes as a categorical of the documents ('' for NULL)."""
    categorical = (
        hashes if isinstance(hashes.dtype, pd.CategoricalDtype) else hashes.astype("category")
    )
    texts = [texts_of.get(str(h), "") for h in categorical.cat.categories] + [""]
    distinct, inverse = np.unique(np.array(texts, dtype=object), return_inverse=True)
    codes = inverse.ravel()[categorical.cat.codes.to_numpy()]  # code -1 (missing) → ""
    return pd.Series(pd.Categorical.from_codes(codes, categories=distinct), index=hashes.index)
