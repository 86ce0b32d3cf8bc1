"""Post-run hooks: higher layers (strategies) register a callable here from their
AppConfig.ready(); the run's finalise step (segmentation.pipeline.steps.finalise) calls
`run_post_run_hooks(run_id)` after a run succeeded, whichever executor carried it out.
Segmentation never imports the apps that register."""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

_post_run_hooks: list[Callable[[int], object]] = []


def register_post_run_hook(fn: Callable[[int], object]) -> None:
    if fn not in _post_run_hooks:
        _post_run_hooks.append(fn)


def run_post_run_hooks(run_id: int) -> None:
    """Calls every hook with the succeeded run's id. A failing hook is logged and does not
    stop the others (the run itself has already succeeded)."""
    for fn in list(_post_run_hooks):
        try:
            fn(run_id)
        except Exception:
            log.exception("post-run hook %r failed for run %s", fn, run_id)
