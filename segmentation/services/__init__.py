"""Writes of the segmentation app (see the modules for details)."""

from crm.db import LockKey  # the project's advisory lock keys (re-exported for callers)

from .pins import class_pin_errors, class_pin_remove, class_pin_set
from .rulesets import ruleset_activate, ruleset_preview, ruleset_save_version
from .runs import RunInProgress, RunRefused, segmentation_run

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
