"""Classify and write one partition: the classes (with dwell and pins), the custom
dimensions, the history diff against the baseline run. The run's writer; the preview's
dry-run writer (segmentation.pipeline.preview) reads the same baseline and pins frames.

Kept as one module so the classify-and-write logic can be replaced as a whole."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter

import pandas as pd
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from segmentation.classifiers import apply_dwell, apply_pins, classify
from segmentation.custom.evaluate import custom_partition
from segmentation.metrics import Partition
from segmentation.models import (
    DIMENSIONS,
    METRIC_FIELDS,
    WHY_FIELDS,
    ClassChange,
    ClassPin,
    CustomerClasses,
    Run,
)
from segmentation.rules import Rules
from segmentation.writers import frame_insert


def _baseline_frame(baseline: Run | None, part: Partition) -> pd.DataFrame | None:
    """The baseline run's classes and pending dwell in this partition; with its custom
    classes as JSON text (`custom_text`, parsed once per distinct value by the custom step)
    when it evaluated custom dimensions, so one read serves both."""
    if baseline is None:
        return None
    columns = ["customer_id", *DIMENSIONS, "pending"]
    rows = CustomerClasses.objects.filter(
        run=baseline, customer_id__gte=part.lo, customer_id__lt=part.hi
    )
    if baseline.custom_versions:
        rows = rows.annotate(custom_text=Cast("custom", TextField()))
        columns.append("custom_text")
    frame = pd.DataFrame.from_records(list(rows.values_list(*columns)), columns=columns).set_index(
        "customer_id"
    )
    return frame


def _pins_frame(part: Partition, as_of: dt.date) -> pd.DataFrame:
    rows = ClassPin.objects.filter(
        customer_id__gte=part.lo, customer_id__lt=part.hi, expires_on__gte=as_of
    ).values_list("customer_id", "dimension", "code")
    return pd.DataFrame.from_records(list(rows), columns=["customer_id", "dimension", "code"])


_INTEGER_METRICS = [
    f.name
    for f in CustomerClasses._meta.concrete_fields
    if f.name in METRIC_FIELDS and f.get_internal_type() == "IntegerField"
]


def _partition_classify_write(
    *,
    run: Run,
    part: Partition,
    frame: pd.DataFrame,
    rules: Rules,
    cuts: dict,
    baseline: Run | None,
    counts: dict[str, Counter],
    timings: dict[str, float],
) -> tuple[int, int]:
    clock = time.perf_counter()
    prev = _baseline_frame(baseline, part)
    pins = _pins_frame(part, run.as_of)
    timings["read_previous"] += time.perf_counter() - clock
    clock = time.perf_counter()
    classes = classify(frame, rules, cuts)
    classes, pending = apply_dwell(classes, prev, min_runs=rules.min_dwell_runs)
    classes = apply_pins(classes, pins)

    out = classes.join(frame.drop(columns=["potential_score"], errors="ignore"))
    out["pending"] = pending.map(lambda p: json.dumps(p) if p else None)
    out["run_id"] = run.pk
    out["customer_id"] = out.index
    columns = ["run_id", "customer_id", *DIMENSIONS, *WHY_FIELDS, "pending", *METRIC_FIELDS]
    timings["classify"] += time.perf_counter() - clock
    custom = custom_partition(
        run=run,
        frame=frame,
        classes=classes,
        pins=pins,
        baseline=baseline,
        baseline_custom=prev["custom_text"] if prev is not None and "custom_text" in prev else None,
        timings=timings,
    )
    if custom is not None:
        out["custom"], out["custom_why"] = custom.custom, custom.custom_why
        columns += ["custom", "custom_why"]
        counts.update(custom.counts)
    clock = time.perf_counter()
    with transaction.atomic():
        # A redelivered partition replaces what an earlier delivery of it wrote.
        in_part = {"run": run, "customer_id__gte": part.lo, "customer_id__lt": part.hi}
        CustomerClasses.objects.filter(**in_part).delete()
        ClassChange.objects.filter(**in_part).delete()
        written = frame_insert(
            table=CustomerClasses._meta.db_table,
            frame=out,
            columns=columns,
            integer_columns=["customer_id", "run_id", *_INTEGER_METRICS],
        )
        changed = _history_write(run=run, classes=classes, prev=prev)
        if custom is not None:
            changed += custom.history_write(run)
    timings["write"] += time.perf_counter() - clock
    for dim in DIMENSIONS:
        counts[dim].update(classes[dim].value_counts().to_dict())
    return written, changed


def _history_write(*, run: Run, classes: pd.DataFrame, prev: pd.DataFrame | None) -> int:
    """One row per (customer, dimension) whose class differs from the baseline run. Without a
    baseline (the very first run) nothing has changed yet."""
    if prev is None:
        return 0
    before_all = prev.reindex(classes.index)
    parts = []
    for dim in DIMENSIONS:
        before = before_all[dim].fillna("")
        after = classes[dim]
        mask = (before != after).to_numpy()
        if mask.any():
            parts.append(
                pd.DataFrame(
                    {
                        "customer_id": classes.index[mask],
                        "dimension": dim,
                        "from_code": before.to_numpy()[mask],
                        "to_code": after.to_numpy()[mask],
                    }
                )
            )
    if not parts:
        return 0
    changes = pd.concat(parts, ignore_index=True)
    changes["run_id"] = run.pk
    changes["as_of"] = run.as_of.isoformat()
    return frame_insert(
        table=ClassChange._meta.db_table,
        frame=changes,
        columns=["customer_id", "dimension", "from_code", "to_code", "run_id", "as_of"],
        integer_columns=["customer_id", "run_id"],
        # A customer new since the baseline comes from "" (no class), not NULL.
        text_columns=["from_code"],
    )
