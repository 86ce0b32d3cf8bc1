"""Writes of the segmentation app (see the modules for details)."""

from .pins import class_pin_errors, class_pin_remove, class_pin_set
from .rulesets import ruleset_activate, ruleset_preview, ruleset_save_version
from .runs import LockKey, RunInProgress, RunRefused, segmentation_run

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
