"""The steps of a classification job, each idempotent. A job is a run (RunJob: the rows of
Run and RunPartition) or a rule-set preview (PreviewJob: a dry run); the steps compute, the job
keeps the books (which partition is done, where the staged frames are, what a step of a
superseded attempt must not touch) and writes the classes.

  prepare      plan the partitions (customer id ranges), clean an earlier attempt's leftovers;
  metrics      per partition: metrics (set-based SQL → pandas), staged as compressed columnar
               blobs (segmentation.staging): every column, and apart the few phase 2 reads;
  cut_points   global cut points and the predicted-value fit from those few columns, the
               scores staged per partition;
  classify     per partition: classify and write (the job's writer), in one transaction;
  finalise     the job's end (a run: the current pointer flips at once), then its post-run
               hooks: this is the one place they fire from.
The order is declared once, in segmentation.pipeline.executors."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd
from django.conf import settings
from django.db import transaction

from segmentation.classifiers import CUT_COLUMNS, cut_points_compute
from segmentation.metrics import Partition, duplicates_map, metrics_for_range, partitions_plan
from segmentation.prediction import OUTPUT_COLUMNS, predict_customer_value
from segmentation.prediction.inputs import INPUT_COLUMNS, summary_from_metrics
from segmentation.rules import Rules
from segmentation.staging import frame_pack, frame_unpack

log = logging.getLogger(__name__)

# Columns phase 2 reads: the cut points' and the prediction's inputs.
PHASE2_COLUMNS = tuple(dict.fromkeys([*CUT_COLUMNS, *INPUT_COLUMNS]))


@dataclass(frozen=True)
class Slot:
    """One partition of a job as a step sees it; the staged blobs only when asked for."""

    part: Partition
    metrics_done: bool
    classified: bool
    metrics: bytes | memoryview | None = None
    scores: bytes | memoryview | None = None
    timings: dict = field(default_factory=dict)


class Job(Protocol):
    """What the steps need from the job they work for. Every step starts with `load()`: False
    means the job is over (failed, finished, or a newer attempt took over) and the step does
    nothing, which makes a late or redelivered step harmless."""

    partition_size: int

    def fork(self) -> Job:
        """The job for a step on another thread (shares nothing that a load() replaces)."""

    def load(self) -> bool: ...
    def fail(self, exc: BaseException) -> None: ...

    @property
    def as_of(self) -> dt.date: ...
    @property
    def rules(self) -> Rules: ...
    @property
    def duplicates(self) -> dict: ...
    def partition_count(self) -> int | str: ...

    def reset(self) -> None: ...
    def plan(self, parts: list[Partition], *, duplicates: dict, seconds: float) -> None: ...
    def phase(self, name: str) -> None: ...
    def slot(self, index: int, *, staged: bool = False) -> Slot: ...
    def delivered(self, index: int) -> None: ...
    def metrics_done(
        self, index: int, *, metrics: bytes, cut_inputs: bytes, customers: int, timings: dict
    ) -> bool: ...
    def missing(self, step: str) -> list[int]: ...
    def cut_inputs(self) -> Iterator[bytes | memoryview | None]: ...
    def cut_points_done(self, cuts: dict) -> None: ...
    def scores_store(self, scores: pd.DataFrame) -> list[int]: ...
    def prediction_done(self, fit: dict, *, seconds: float) -> None: ...
    def write(
        self,
        *,
        part: Partition,
        frame: pd.DataFrame,
        counts: dict[str, Counter],
        timings: dict[str, float],
    ) -> tuple[int, int]: ...
    def classified(
        self,
        slot: Slot,
        *,
        customers: int,
        changes: int,
        counts: dict[str, Counter],
        timings: dict[str, float],
    ) -> bool: ...
    def finalise(self) -> bool: ...
    def after(self) -> None: ...


def _note(exc: BaseException, job: Job, part: Partition, phase: str) -> None:
    exc.add_note(
        f"partition {part.index + 1} of {job.partition_count()} "
        f"(customer ids {part.lo}–{part.hi - 1}), {phase}"
    )


def _test_pause(phase: str, index: int) -> None:
    """Test-only (crm.settings.test reads CRM_TEST_PAUSE_PARTITION="phase:index:seconds"):
    the partition's step sleeps after its work is committed and before its task is
    acknowledged, so a fault test can kill the worker there deterministically."""
    spec = getattr(settings, "SEGMENTATION_TEST_PAUSE", "")
    if not spec:
        return
    want_phase, want_index, seconds = spec.split(":")
    if want_phase == phase and int(want_index) == index:
        log.warning("test pause: %s partition %s sleeps %s s", phase, index, seconds)
        time.sleep(float(seconds))


def prepare(job: Job) -> list[int]:
    """Cleans an earlier attempt's leftovers and plans the partitions. Returns their indexes
    (empty when the job is over)."""
    if not job.load():
        return []
    clock = time.perf_counter()
    job.reset()
    parts = partitions_plan(size=job.partition_size)
    duplicates = duplicates_map()
    job.plan(parts, duplicates=duplicates, seconds=round(time.perf_counter() - clock, 2))
    return [p.index for p in parts]


def metrics(job: Job, index: int) -> bool:
    """Phase 1 for one partition. Returns False when there was nothing to do (finished
    already, or the job is over)."""
    if not job.load():
        return False
    slot = job.slot(index)
    if slot.metrics_done:
        return False
    job.delivered(index)
    part = slot.part
    try:
        clock = time.perf_counter()
        frame = metrics_for_range(
            lo=part.lo, hi=part.hi, as_of=job.as_of, rules=job.rules, duplicates=job.duplicates
        )
        seconds = time.perf_counter() - clock
        clock = time.perf_counter()
        metrics_blob = frame_pack(frame)
        cut_blob = frame_pack(
            frame[list(PHASE2_COLUMNS)]
            if not frame.empty
            else pd.DataFrame(columns=list(PHASE2_COLUMNS), dtype="float64")
        )
        stage_seconds = time.perf_counter() - clock
        done = job.metrics_done(
            index,
            metrics=metrics_blob,
            cut_inputs=cut_blob,
            customers=len(frame),
            timings={"metrics": round(seconds, 3), "stage": round(stage_seconds, 3)},
        )
    except Exception as exc:
        _note(exc, job, part, "metrics")
        raise
    _test_pause("metrics", index)
    return done


def cut_points(job: Job) -> list[int]:
    """Phase 2: cut points and the prediction fit over every partition's few columns; the
    scores go back to each partition. Returns the partition indexes to classify."""
    if not job.load():
        return []
    missing = job.missing("metrics")
    if missing:
        raise RuntimeError(f"partitions without metrics: {missing}")
    job.phase("cut_points")
    frames = [frame_unpack(blob) for blob in job.cut_inputs() if blob is not None]
    frames = [f for f in frames if not f.empty]
    cut_frame = (
        pd.concat([f[list(CUT_COLUMNS)] for f in frames])
        if frames
        else pd.DataFrame(columns=list(CUT_COLUMNS))
    )
    cuts = cut_points_compute(frame=cut_frame, rules=job.rules)
    del cut_frame
    job.phase("prediction")
    job.cut_points_done(cuts)
    clock = time.perf_counter()
    scores, fit = _prediction_compute(frames)
    del frames
    indexes = job.scores_store(scores)
    job.prediction_done(fit, seconds=round(time.perf_counter() - clock, 2))
    return indexes


def _prediction_compute(frames: list[pd.DataFrame]) -> tuple[pd.DataFrame, dict]:
    """One fit on every customer's purchase summary (only the few input columns are
    concatenated, like the cut frame), then scores per customer: OUTPUT_COLUMNS indexed by
    customer id, customers without a purchase absent (→ NULL). Degenerate data never fails
    the run: the package falls back and says why in the fit's notices."""
    parts = [f[list(INPUT_COLUMNS)] for f in frames if not f.empty]
    inputs = pd.concat(parts) if parts else pd.DataFrame(columns=list(INPUT_COLUMNS))
    summary = summary_from_metrics(inputs)
    del inputs
    prediction = predict_customer_value(summary=summary)
    return prediction.scores[list(OUTPUT_COLUMNS)], prediction.as_dict()


def classify(job: Job, index: int) -> bool:
    """Phase 3 for one partition: the job's writer replaces whatever an earlier delivery of
    it wrote, in one transaction with the partition's "done" mark."""
    if not job.load():
        return False
    slot = job.slot(index, staged=True)
    if slot.classified:
        return False
    job.delivered(index)
    counts: dict[str, Counter] = defaultdict(Counter)
    timings: dict[str, float] = defaultdict(float)
    try:
        if slot.metrics is None or slot.scores is None:
            raise RuntimeError("the partition's staged metrics or scores are missing")
        clock = time.perf_counter()
        frame = frame_unpack(slot.metrics)
        scores = frame_unpack(slot.scores, columns=list(OUTPUT_COLUMNS))
        timings["stage"] += time.perf_counter() - clock
        with transaction.atomic():
            written = changed = 0
            if not frame.empty:
                written, changed = job.write(
                    part=slot.part,
                    frame=frame.join(scores, how="left"),
                    counts=counts,
                    timings=timings,
                )
            done = job.classified(
                slot, customers=written, changes=changed, counts=counts, timings=timings
            )
    except Exception as exc:
        _note(exc, job, slot.part, "classify")
        raise
    _test_pause("classify", index)
    return done


def finalise(job: Job) -> list[int]:
    """The job's end, then its post-run hooks: the one place they fire from, whichever
    executor carries the job out. A late duplicate finds the job over and does nothing."""
    if job.load() and job.finalise():
        job.after()
    return []
