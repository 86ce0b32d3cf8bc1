"""The dimension registry: every dimension, built-in or defined by an admin, as one
`DimensionSpec`. Everything that lists dimensions asks here (see docs/architecture.md,
"How to add a dimension")."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from segmentation.models import Run

from . import builtin
from .base import (
    PINNED,
    ClassifyContext,
    ColumnStorage,
    DimensionSpec,
    JsonStorage,
    ReasonContext,
    Result,
)
from .builtin import BUILTIN
from .defined import labelled_specs, run_specs

__all__ = [
    "BUILTIN",
    "PINNED",
    "ClassifyContext",
    "ColumnStorage",
    "DimensionSpec",
    "JsonStorage",
    "ReasonContext",
    "Result",
    "class_label",
    "dimension_label",
    "dimension_spec",
    "dimension_specs",
    "grouped_class_choices",
    "in_class_q",
]


def dimension_specs(
    *, run: Run | None = None, include_inactive: bool = False
) -> list[DimensionSpec]:
    """The dimensions in display order: built-in first, then the admin's by code. With `run`:
    exactly the dimensions that run computed (its admin versions compiled, for classifying
    and reasons). Without: the admin dimensions the next run computes (and, with
    `include_inactive`, retired ones still named in history)."""
    if run is not None:
        return [*builtin.BUILTIN, *run_specs(run)]
    defined = [s for s in labelled_specs() if include_inactive or s.active]
    return [*builtin.BUILTIN, *defined]


def dimension_spec(key: str) -> DimensionSpec | None:
    """The dimension `key` (built-in, active or retired admin dimension), or None."""
    spec = next((s for s in builtin.BUILTIN if s.key == key), None)
    if spec is not None:
        return spec
    return next((s for s in labelled_specs() if s.key == key), None)


def dimension_label(key: str) -> str:
    spec = dimension_spec(key)
    return spec.label if spec else key


def class_label(key: str, code: str) -> str:
    """The translated label of a class ('' for an empty code; the code itself when unknown)."""
    if not code:
        return ""
    spec = dimension_spec(key)
    return spec.class_label(code) if spec else code


def grouped_class_choices(*, pinnable: bool = False, blank: bool = False) -> list[tuple[Any, Any]]:
    """Select choices "<key>:<class>" grouped by dimension, every current dimension."""
    groups: list[tuple[Any, Any]] = [("", "—")] if blank else []
    for spec in dimension_specs():
        options = spec.pin_choices() if pinnable else spec.choices()
        groups.append((spec.label, [(f"{spec.key}:{c}", label) for c, label in options]))
    return groups


def in_class_q(key: str, codes: str | list[str]) -> Q:
    """A Q on class rows for "in class `codes` of `key`"; matches nothing for an unknown key."""
    spec = dimension_spec(key)
    if spec is None:
        return Q(pk__in=[])
    if isinstance(codes, str):
        return spec.in_class(codes)
    return spec.in_classes(list(codes))
