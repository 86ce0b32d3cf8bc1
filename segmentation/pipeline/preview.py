"""Rule-set preview: the run's steps (segmentation.pipeline.executors.PHASES) with a dry-run
writer. Nothing is written to CustomerClasses or ClassChange; per dimension it counts the
customers whose class would go from → to against the current run, as a forced re-run of the
current run's date with the draft would classify them (metrics, cut points, prediction, dwell
and pins alike). Customers the current run never classified are new, not changes: they are
counted apart.

It runs as one Celery task (never inside a request) on the in-process executor; partitions
stream through it, their staged frames on the task's local disk, never all in memory.

The progress record lives in the cache rather than in a table: it is read a few times within
minutes and then forgotten, the web processes and the workers share the cache (Redis), and no
migration is needed. When Redis is gone the broker is gone too, so no preview can start."""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
import threading
import traceback
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from django.core.cache import cache
from django.utils import timezone

from segmentation.dimensions import DimensionSpec
from segmentation.dimensions.compute import class_counts, history_frame
from segmentation.metrics import DEFAULT_PARTITION_SIZE, Partition
from segmentation.models import DIMENSIONS, RuleSet, Run
from segmentation.rules import Rules, rules_from_ruleset
from segmentation.staging import frame_pack

from . import steps
from .claim import baseline
from .executors import execute_in_process, workers_for
from .write import partition_classify, stored_frame

# A preview is looked at within minutes of its end; a day covers a lunch break.
PREVIEW_TTL = 24 * 3600
_KEY = "segmentation:ruleset-preview:{}"
# From → to pairs shown per dimension in the short summary (the page shows them all).
TOP = 5

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def preview_progress(key: str) -> dict[str, Any] | None:
    """The progress record of a preview: status (queued, running, done, failed), rule set
    version, phase, steps done and total, and once done the result (see ruleset_preview)."""
    if not key.isalnum():
        return None
    return cache.get(_KEY.format(key))


def preview_failed(key: str, error: str) -> None:
    """Marks a preview failed with `error` (shown on its page)."""
    _record(key, status=FAILED, error=error)


def _record(key: str | None, **fields: Any) -> None:
    if key is None:
        return
    record = cache.get(_KEY.format(key)) or {}
    record.update(fields, updated_at=timezone.now())
    cache.set(_KEY.format(key), record, PREVIEW_TTL)


def ruleset_preview_start(*, rule_set: RuleSet, actor=None) -> str:
    """Queues a preview of `rule_set` and returns its key (the progress page's address).
    Raises crm.queue.QueueUnavailable when the broker is down (the record says failed)."""
    from crm.queue import QueueUnavailable, enqueue
    from segmentation.tasks import ruleset_preview_task

    key = secrets.token_hex(16)
    _record(
        key,
        status=QUEUED,
        rule_set_id=rule_set.pk,
        version=rule_set.version,
        started_by=getattr(actor, "pk", None),
        phase="",
        done=0,
        total=0,
        created_at=timezone.now(),
    )
    try:
        enqueue(ruleset_preview_task, key=key, rule_set_id=rule_set.pk)
    except QueueUnavailable as exc:
        preview_failed(key, str(exc))
        raise
    return key


def ruleset_preview(
    *,
    rule_set: RuleSet,
    key: str | None = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    workers: int | None = None,
) -> dict[str, Any]:
    """Runs the preview of `rule_set` here (the task calls this) and returns
    {"as_of", "version", "customers" (compared), "new" (never classified by the current
    run), "dimensions": {dim: {"moved": n, "top": [((from, to), n), …], "pairs": [...]}}}.
    With `key`, the progress record follows it."""
    current = Run.objects.filter(is_current=True).first()
    if current is None:
        result: dict[str, Any] = {
            "as_of": None,
            "version": rule_set.version,
            "customers": 0,
            "new": 0,
            "dimensions": {},
        }
        _record(key, status=DONE, result=result)
        return result
    _record(key, status=RUNNING, phase="prepare", as_of=current.as_of)
    with tempfile.TemporaryDirectory(prefix="ruleset-preview-") as directory:
        job = PreviewJob(
            rule_set=rule_set,
            current=current,
            partition_size=partition_size,
            directory=Path(directory),
            key=key,
        )
        try:
            execute_in_process(job, workers=workers_for(workers))
        except Exception as exc:
            job.fail(exc)
            raise
    return job.result


class PreviewJob:
    """A preview as a job of the steps: its books in memory (one task carries it out), its
    staged frames in files, its writer a dry run. Thread-safe: the partition steps share it."""

    partition_size: int

    def __init__(
        self,
        *,
        rule_set: RuleSet,
        current: Run,
        partition_size: int,
        directory: Path,
        key: str | None,
    ) -> None:
        self.rule_set, self.current, self.partition_size = rule_set, current, partition_size
        self.key = key
        # What the dwell rule compares with: the run before the current one, as a forced
        # re-run of the current date would.
        self.baseline = baseline(current.as_of)
        self._rules = rules_from_ruleset(rule_set)
        self._dir = directory
        self._lock = threading.Lock()
        self._parts: dict[int, Partition] = {}
        self._done: dict[str, set[int]] = {"metrics": set(), "classify": set()}
        self._duplicates: dict = {}
        self._cuts: dict = {}
        self._moved: dict[str, Counter] = {dim: Counter() for dim in DIMENSIONS}
        self._customers = self._new = 0
        self.result: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"PreviewJob(rule set v{self.rule_set.version}, key={self.key})"

    def fork(self) -> PreviewJob:
        return self

    def load(self) -> bool:
        return True

    def fail(self, exc: BaseException) -> None:
        notes = "; ".join(getattr(exc, "__notes__", []))
        error = f"{notes + ': ' if notes else ''}{type(exc).__name__}: {exc}"[:2000]
        _record(self.key, status=FAILED, error=error, trace=traceback.format_exc()[-4000:])

    @property
    def as_of(self) -> dt.date:
        return self.current.as_of

    @property
    def rules(self) -> Rules:
        return self._rules

    @property
    def duplicates(self) -> dict:
        return self._duplicates

    def partition_count(self) -> int | str:
        return len(self._parts)

    def reset(self) -> None:
        """Nothing to clean: a preview starts from an empty directory."""

    def plan(self, parts: list[Partition], *, duplicates: dict, seconds: float) -> None:
        self._parts = {p.index: p for p in parts}
        self._duplicates = duplicates
        _record(self.key, phase="metrics", done=0, total=2 * len(parts))

    def phase(self, name: str) -> None:
        _record(self.key, phase=name)

    def _path(self, index: int, name: str) -> Path:
        return self._dir / f"{index}.{name}.npz"

    def _read(self, index: int, name: str) -> bytes | None:
        path = self._path(index, name)
        return path.read_bytes() if path.exists() else None

    def slot(self, index: int, *, staged: bool = False) -> steps.Slot:
        return steps.Slot(
            part=self._parts[index],
            metrics_done=index in self._done["metrics"],
            classified=index in self._done["classify"],
            metrics=self._read(index, "metrics") if staged else None,
            scores=self._read(index, "scores") if staged else None,
        )

    def delivered(self, index: int) -> None:
        """No record of deliveries: one task carries the whole preview out."""

    def _step_done(self, step: str, index: int) -> bool:
        with self._lock:
            if index in self._done[step]:
                return False
            self._done[step].add(index)
            _record(self.key, done=len(self._done["metrics"]) + len(self._done["classify"]))
        return True

    def metrics_done(
        self, index: int, *, metrics: bytes, cut_inputs: bytes, customers: int, timings: dict
    ) -> bool:
        self._path(index, "metrics").write_bytes(metrics)
        self._path(index, "cut_inputs").write_bytes(cut_inputs)
        return self._step_done("metrics", index)

    def missing(self, step: str) -> list[int]:
        return [i + 1 for i in sorted(self._parts) if i not in self._done[step]]

    def cut_inputs(self) -> Iterator[bytes | None]:
        for index in sorted(self._parts):
            yield self._read(index, "cut_inputs")

    def cut_points_done(self, cuts: dict) -> None:
        self._cuts = cuts

    def scores_store(self, scores: pd.DataFrame) -> list[int]:
        ids = scores.index.to_numpy()
        for index, part in sorted(self._parts.items()):
            mask = (ids >= part.lo) & (ids < part.hi)
            self._path(index, "scores").write_bytes(frame_pack(scores.loc[mask]))
        return sorted(self._parts)

    def prediction_done(self, fit: dict, *, seconds: float) -> None:
        _record(self.key, phase="classify")

    def write(
        self,
        *,
        part: Partition,
        frame: pd.DataFrame,
        counts: dict[str, Counter],
        timings: dict[str, float],
    ) -> tuple[int, int]:
        """The dry-run writer: classifies like the run's writer (every dimension the current
        run computed: classes, dwell, pins) and counts the moves against the current run
        instead of writing anything."""
        done = partition_classify(
            run=self.current,
            part=part,
            frame=frame,
            rules=self._rules,
            cuts=self._cuts,
            baseline=self.baseline,
            timings=timings,
        )
        current = stored_frame(self.current, part, done.specs)
        moves = moves_count(done.classes, current, done.specs)
        with self._lock:
            for dim, pairs in moves.items():
                self._moved.setdefault(dim, Counter()).update(pairs)
            compared = (
                int(done.classes.index.isin(current.index).sum()) if current is not None else 0
            )
            self._customers += compared
            self._new += len(done.classes) - compared
        for key, counter in class_counts(done.classes, done.specs).items():
            counts[key].update(counter)
        return compared, sum(sum(c.values()) for c in moves.values())

    def classified(
        self,
        slot: steps.Slot,
        *,
        customers: int,
        changes: int,
        counts: dict[str, Counter],
        timings: dict[str, float],
    ) -> bool:
        done = self._step_done("classify", slot.part.index)
        for name in ("metrics", "cut_inputs", "scores"):
            self._path(slot.part.index, name).unlink(missing_ok=True)
        return done

    def finalise(self) -> bool:
        missing = self.missing("classify")
        if missing:
            raise RuntimeError(f"partitions not classified: {missing}")
        self.result = {
            "as_of": self.as_of,
            "version": self.rule_set.version,
            "customers": self._customers,
            "new": self._new,
            "dimensions": {
                dim: {
                    "moved": sum(moved.values()),
                    "top": moved.most_common(TOP),
                    "pairs": sorted(moved.items(), key=lambda kv: (-kv[1], kv[0])),
                }
                for dim, moved in self._moved.items()
            },
        }
        _record(self.key, status=DONE, phase="done", result=self.result)
        return True

    def after(self) -> None:
        """A preview has no post-run hooks: nothing changed."""


def moves_count(
    classes: pd.DataFrame, current: pd.DataFrame | None, specs: list[DimensionSpec]
) -> dict[str, Counter[tuple[str, str]]]:
    """Per dimension, how many customers go from → to between `current` (the current run's
    classes, indexed by customer id) and `classes`; customers absent from `current` (never
    classified) are left out."""
    out: dict[str, Counter[tuple[str, str]]] = {s.key: Counter() for s in specs}
    if current is None or current.empty:
        return out
    known = classes.loc[classes.index.isin(current.index)]
    changes = history_frame(known, current, specs)
    for (dim, old, new), n in changes.groupby(["dimension", "from_code", "to_code"]).size().items():
        out[str(dim)][(str(old), str(new))] += int(n)
    return out
