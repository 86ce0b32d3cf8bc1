"""Writes of the segmentation app (see the modules for details). The run and the rule-set
preview live in segmentation.pipeline."""

from crm.db import LockKey  # the project's advisory lock keys (re-exported for callers)
from segmentation.pipeline.claim import RunInProgress, RunRefused
from segmentation.pipeline.executors import segmentation_run
from segmentation.pipeline.preview import ruleset_preview

from .pins import class_pin_errors, class_pin_remove, class_pin_set
from .rulesets import ruleset_activate, ruleset_save_version

__all__ = [
    "LockKey",
    "RunInProgress",
    "RunRefused",
    "class_pin_errors",
    "class_pin_remove",
    "class_pin_set",
    "ruleset_activate",
    "ruleset_preview",
    "ruleset_save_version",
    "segmentation_run",
]
