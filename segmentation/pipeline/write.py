"""Classify one partition in every dimension, and write it: the run's writer (class rows and
the history diff against the baseline run, in one transaction); the preview's dry-run writer
(segmentation.pipeline.preview) classifies with the same `partition_classify` and writes
nothing."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from dataclasses import dataclass

import pandas as pd
from django.db import transaction

from segmentation.custom.evaluate import inputs_frame
from segmentation.dimensions import DimensionSpec, dimension_specs
from segmentation.dimensions.compute import (
    class_counts,
    history_frame,
    partition_classes,
    storage_columns,
)
from segmentation.dimensions.rows import stored_classes
from segmentation.metrics import Partition
from segmentation.models import METRIC_FIELDS, ClassChange, ClassPin, CustomerClasses, Run
from segmentation.rules import Rules
from segmentation.writers import frame_insert


def stored_frame(
    run: Run | None, part: Partition, specs: list[DimensionSpec]
) -> pd.DataFrame | None:
    """A finished run's classes (a column per dimension it computed) and pending dwell in
    this partition; None without a run."""
    if run is None:
        return None
    rows = CustomerClasses.objects.filter(
        run=run, customer_id__gte=part.lo, customer_id__lt=part.hi
    )
    return stored_classes(rows, run=run, specs=specs, pending=True)


def pins_frame(part: Partition, as_of: dt.date) -> pd.DataFrame:
    rows = ClassPin.objects.filter(
        customer_id__gte=part.lo, customer_id__lt=part.hi, expires_on__gte=as_of
    ).values_list("customer_id", "dimension", "code")
    return pd.DataFrame.from_records(list(rows), columns=["customer_id", "dimension", "code"])


def _load_inputs(base: pd.DataFrame, fields: set[str]) -> pd.DataFrame:
    """The attributes and tags stage-2 dimensions read, joined on the partition's frame."""
    if base.empty:
        return base
    lo, hi = int(base.index.min()), int(base.index.max())
    return inputs_frame(base=base, fields=fields, lo=lo, hi=hi)


@dataclass
class Classified:
    specs: list[DimensionSpec]
    classes: pd.DataFrame  # <key>, <key>_why per dimension, potential_score
    pending: pd.Series  # the dwell rule's state per customer
    previous: pd.DataFrame | None  # the baseline's classes


def partition_classify(
    *,
    run: Run,
    part: Partition,
    frame: pd.DataFrame,
    rules: Rules,
    cuts: dict,
    baseline: Run | None,
    timings: dict[str, float],
) -> Classified:
    """Every dimension `run` computes, for the customers of `frame`, against `baseline`."""
    specs = dimension_specs(run=run)
    clock = time.perf_counter()
    previous = stored_frame(baseline, part, specs)
    pins = pins_frame(part, run.as_of)
    timings["read_previous"] += time.perf_counter() - clock
    clock = time.perf_counter()
    classes, pending = partition_classes(
        frame,
        specs=specs,
        rules=rules,
        cuts=cuts,
        prev=previous,
        pins=pins,
        load_inputs=_load_inputs,
    )
    timings["classify"] += time.perf_counter() - clock
    return Classified(specs=specs, classes=classes, pending=pending, previous=previous)


_INTEGER_METRICS = [
    f.name
    for f in CustomerClasses._meta.concrete_fields
    if f.name in METRIC_FIELDS and f.get_internal_type() == "IntegerField"
]


def partition_classify_write(
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
    """Classifies one partition and writes its class rows and history; returns (rows
    written, class changes)."""
    done = partition_classify(
        run=run, part=part, frame=frame, rules=rules, cuts=cuts, baseline=baseline, timings=timings
    )
    clock = time.perf_counter()
    stored = storage_columns(done.classes, done.specs)
    out = pd.DataFrame(stored, index=done.classes.index)
    out["potential_score"] = done.classes["potential_score"]
    out = out.join(frame.drop(columns=["potential_score"], errors="ignore"))
    out["pending"] = done.pending.map(lambda p: json.dumps(p) if p else None)
    out["run_id"] = run.pk
    out["customer_id"] = out.index
    columns = ["run_id", "customer_id", *stored, "pending", *METRIC_FIELDS]
    changes = history_frame(done.classes, done.previous, done.specs)
    timings["classify"] += time.perf_counter() - clock
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
        changed = _history_write(run=run, changes=changes)
    timings["write"] += time.perf_counter() - clock
    for key, counter in class_counts(done.classes, done.specs).items():
        counts[key].update(counter)
    return written, changed


def _history_write(*, run: Run, changes: pd.DataFrame) -> int:
    """The class changes of a partition (dimensions.compute.history_frame) as ClassChange
    rows."""
    if changes.empty:
        return 0
    changes = changes.copy()
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
