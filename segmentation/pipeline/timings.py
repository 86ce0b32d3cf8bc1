"""Where a run's time goes: seconds per step summed over partitions, and wall seconds per
phase from the phase start times the run records (plan["phase_started"])."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping

# Consecutive phases whose start times give a phase's wall time.
_WALLS = (("metrics", "cut_points"), ("cut_points", "classify"), ("classify", "finalise"))


def timings_sum(per_partition: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Seconds per step summed over the partitions (workers overlap, so a sum can exceed the
    wall time)."""
    out: dict[str, float] = defaultdict(float)
    for timings in per_partition:
        for step, seconds in timings.items():
            out[step] += seconds
    return out


def phase_walls(phase_started: Mapping[str, float]) -> dict[str, float]:
    """Wall seconds of each phase: "wall_metrics" (phase 1), "wall_cut_points" (phase 2 with
    the prediction), "wall_classify" (phase 3), "wall_total" (claim to now, finalise
    included)."""
    walls: dict[str, float] = {}
    for phase, nxt in _WALLS:
        if phase in phase_started and nxt in phase_started:
            walls[f"wall_{phase}"] = phase_started[nxt] - phase_started[phase]
    if "claimed" in phase_started:
        walls["wall_total"] = time.time() - phase_started["claimed"]
    return walls
