"""A run as a job of the steps: its books are the rows of Run and RunPartition, so any
worker on any machine can carry out any step, and its writer writes the classes and the
history (segmentation.pipeline.write). Until the flip in `finalise` the product keeps showing
the previous run's classes, so a run killed at any point changes nothing visible."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import time
from collections import Counter, defaultdict
from collections.abc import Iterator

import pandas as pd
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from segmentation.aggregates import aggregates_write
from segmentation.custom.evaluate import custom_versions_record
from segmentation.hooks import run_post_run_hooks
from segmentation.metrics import DEFAULT_PARTITION_SIZE, Partition
from segmentation.models import ClassChange, CustomerClasses, Run, RunPartition, RunStatus
from segmentation.rules import Rules, rules_from_ruleset
from segmentation.staging import frame_pack

from . import steps
from .claim import baseline, beat, phase_started, run_active, run_fail
from .timings import phase_walls, timings_sum
from .write import partition_classify_write


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


@dataclasses.dataclass
class RunJob:
    """One attempt of one run. Primitive fields only: a Celery task rebuilds it from them."""

    run_id: int
    attempt: int
    partition_size: int = DEFAULT_PARTITION_SIZE
    _run: Run | None = dataclasses.field(default=None, init=False, repr=False)

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "attempt": self.attempt,
            "partition_size": self.partition_size,
        }

    def fork(self) -> RunJob:
        return RunJob(self.run_id, self.attempt, self.partition_size)

    def load(self) -> bool:
        self._run = run_active(self.run_id, self.attempt)
        return self._run is not None

    def fail(self, exc: BaseException) -> None:
        run_fail(self.run_id, self.attempt, exc)

    @property
    def run(self) -> Run:
        if self._run is None:
            raise RuntimeError("RunJob.load() first")
        return self._run

    @property
    def as_of(self) -> dt.date:
        return self.run.as_of

    @property
    def rules(self) -> Rules:
        return rules_from_ruleset(self.run.rule_set)

    @property
    def duplicates(self) -> dict:
        return self.run.plan.get("duplicates", {})

    def partition_count(self) -> int | str:
        return self.run.plan.get("partitions", "?")

    def reset(self) -> None:
        run = self.run
        # Leftovers of an earlier attempt at this date (killed or forced).
        ClassChange.objects.filter(run=run).delete()
        CustomerClasses.objects.filter(run=run).delete()
        RunPartition.objects.filter(run=run).delete()
        # The custom dimension versions every partition of this attempt evaluates.
        custom_versions_record(run)

    def plan(self, parts: list[Partition], *, duplicates: dict, seconds: float) -> None:
        run = self.run
        RunPartition.objects.bulk_create(
            [RunPartition(run=run, index=p.index, lo=p.lo, hi=p.hi) for p in parts]
        )
        run.plan = {
            **run.plan,
            "partition_size": self.partition_size,
            "partitions": len(parts),
            "duplicates": duplicates,
            "prepare_seconds": seconds,
        }
        phase_started(run, "metrics")
        beat(run, partitions_total=2 * len(parts), partitions_done=0)

    def phase(self, name: str) -> None:
        phase_started(self.run, name)

    def slot(self, index: int, *, staged: bool = False) -> steps.Slot:
        fields = ["pk", "index", "lo", "hi", "metrics_done_at", "classified_at", "timings"]
        rows = RunPartition.objects.filter(run=self.run, index=index)
        row = rows.get() if staged else rows.only(*fields).get()
        return steps.Slot(
            part=Partition(index=row.index, lo=row.lo, hi=row.hi),
            metrics_done=row.metrics_done_at is not None,
            classified=row.classified_at is not None,
            metrics=row.metrics if staged else None,
            scores=row.scores if staged else None,
            timings=row.timings,
        )

    def delivered(self, index: int) -> None:
        RunPartition.objects.filter(run=self.run, index=index).update(
            deliveries=F("deliveries") + 1, worker=_worker_name()
        )
        beat(self.run)

    def _count_done(self) -> None:
        Run.objects.filter(pk=self.run_id).update(
            partitions_done=F("partitions_done") + 1, heartbeat_at=timezone.now()
        )

    def metrics_done(
        self, index: int, *, metrics: bytes, cut_inputs: bytes, customers: int, timings: dict
    ) -> bool:
        with transaction.atomic():
            done = RunPartition.objects.filter(
                run=self.run, index=index, metrics_done_at__isnull=True
            ).update(
                metrics=metrics,
                cut_inputs=cut_inputs,
                customers=customers,
                metrics_done_at=timezone.now(),
                timings=timings,
            )
            if done:
                self._count_done()
        return bool(done)

    def missing(self, step: str) -> list[int]:
        done_at = {"metrics": "metrics_done_at", "classify": "classified_at"}[step]
        rows = RunPartition.objects.filter(run=self.run, **{f"{done_at}__isnull": True})
        return [i + 1 for i in rows.order_by("index").values_list("index", flat=True)]

    def cut_inputs(self) -> Iterator[bytes | memoryview | None]:
        rows = RunPartition.objects.filter(run=self.run).order_by("index")
        yield from rows.values_list("cut_inputs", flat=True).iterator(chunk_size=10)

    def cut_points_done(self, cuts: dict) -> None:
        beat(self.run, cut_points=cuts)

    def scores_store(self, scores: pd.DataFrame) -> list[int]:
        index = scores.index.to_numpy()
        rows = RunPartition.objects.filter(run=self.run).order_by("index")
        for row in rows.only("pk", "lo", "hi"):
            mask = (index >= row.lo) & (index < row.hi)
            RunPartition.objects.filter(pk=row.pk).update(scores=frame_pack(scores.loc[mask]))
        return list(rows.values_list("index", flat=True))

    def prediction_done(self, fit: dict, *, seconds: float) -> None:
        run = self.run
        run.plan = {**run.plan, "prediction_seconds": seconds}
        phase_started(run, "classify")
        beat(run, prediction=fit)

    def write(
        self,
        *,
        part: Partition,
        frame: pd.DataFrame,
        counts: dict[str, Counter],
        timings: dict[str, float],
    ) -> tuple[int, int]:
        run = self.run
        return partition_classify_write(
            run=run,
            part=part,
            frame=frame,
            rules=self.rules,
            cuts=run.cut_points,
            baseline=baseline(run.as_of),
            counts=counts,
            timings=timings,
        )

    def classified(
        self,
        slot: steps.Slot,
        *,
        customers: int,
        changes: int,
        counts: dict[str, Counter],
        timings: dict[str, float],
    ) -> bool:
        done = RunPartition.objects.filter(
            run=self.run, index=slot.part.index, classified_at__isnull=True
        ).update(
            classified_at=timezone.now(),
            customers=customers,
            changes=changes,
            counts={dim: dict(c) for dim, c in counts.items()},
            timings={
                **slot.timings,
                **{k: round(v, 3) for k, v in timings.items() if k != "stage"},
                "stage": round(slot.timings.get("stage", 0) + timings["stage"], 3),
            },
        )
        if done:
            self._count_done()
        return bool(done)

    def finalise(self) -> bool:
        """Makes the run current once every partition is classified; returns True when this
        call did it (a late duplicate finds the run finished and returns False)."""
        run = self.run
        rows = list(
            RunPartition.objects.filter(run=run).values(
                "index", "customers", "changes", "counts", "timings", "classified_at"
            )
        )
        missing = [r["index"] + 1 for r in rows if r["classified_at"] is None]
        if missing:
            raise RuntimeError(f"partitions not classified: {missing}")
        phase_started(run, "finalise")
        counts: dict[str, Counter] = defaultdict(Counter)
        for r in rows:
            for dim, counter in r["counts"].items():
                counts[dim].update(counter)
        timings = timings_sum(r["timings"] for r in rows)
        timings["prediction"] = run.plan.get("prediction_seconds", 0.0)
        timings["cleanup"] = run.plan.get("prepare_seconds", 0.0)
        previous = baseline(run.as_of)
        # Dashboard aggregates of this run, written before the flip so the dashboards never
        # read a current run without them.
        beat(run, phase="aggregates")
        for step, seconds in aggregates_write(run).items():
            timings[step] += seconds
        clock = time.perf_counter()
        with transaction.atomic():
            locked = Run.objects.select_for_update().get(pk=run.pk)
            if locked.status != RunStatus.RUNNING or locked.attempts != self.attempt:
                return False
            Run.objects.filter(is_current=True).exclude(pk=run.pk).update(is_current=False)
            beat(
                run,
                phase="done",
                status=RunStatus.SUCCEEDED,
                is_current=True,
                customers_total=sum(r["customers"] for r in rows),
                changes_total=sum(r["changes"] for r in rows),
                counts={dim: dict(sorted(c.items())) for dim, c in counts.items()},
                finished_at=timezone.now(),
            )
        timings["switch"] = time.perf_counter() - clock
        clock = time.perf_counter()
        _retention(keep=[run.pk, previous.pk if previous else None])
        RunPartition.objects.filter(run=run).update(metrics=None, cut_inputs=None, scores=None)
        timings["retention"] = time.perf_counter() - clock
        timings.update(phase_walls(run.plan.get("phase_started", {})))
        beat(run, timings={k: round(v, 2) for k, v in timings.items()})
        return True

    def after(self) -> None:
        # Outside any transaction: the hooks (strategies' task generation) enqueue work.
        run_post_run_hooks(self.run_id)


def _retention(*, keep: list[int | None]) -> None:
    """Keeps the rows of the current run and of its baseline (a forced re-run of today
    compares with it again); older runs keep their summary and history only."""
    ids = [k for k in keep if k is not None]
    CustomerClasses.objects.exclude(run_id__in=ids).delete()


# The run's steps by id (a shell, a test, or re-running one partition by hand).


def run_prepare(run_id: int, attempt: int, *, partition_size: int = DEFAULT_PARTITION_SIZE):
    return steps.prepare(RunJob(run_id, attempt, partition_size))


def partition_metrics(run_id: int, attempt: int, index: int) -> bool:
    return steps.metrics(RunJob(run_id, attempt), index)


def run_cut_points(run_id: int, attempt: int) -> list[int]:
    return steps.cut_points(RunJob(run_id, attempt))


def partition_classify(run_id: int, attempt: int, index: int) -> bool:
    return steps.classify(RunJob(run_id, attempt), index)


def run_finalise(run_id: int, attempt: int) -> bool:
    """The switch without the post-run hooks (the executors fire those, see steps.finalise)."""
    job = RunJob(run_id, attempt)
    return job.load() and job.finalise()
