"""Dimensions an admin defines (segmentation.custom: validated rule data, versioned) as specs.

Two views of the same dimension: for labels (list filters, history, pins, export headers)
the active version's names, else the last retired one's; for a run (classification and
reasons) the exact versions the run recorded (`Run.custom_versions`), compiled once per
process and run."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from segmentation.custom.catalog import catalog_load
from segmentation.custom.evaluate import (
    DEFAULT,
    Columns,
    classify_dimension,
    spec_from_dimension,
)
from segmentation.custom.reasons import custom_reason_text
from segmentation.custom.schema import CompiledDimension
from segmentation.custom.selectors import DimensionLabels, custom_dimensions_labels
from segmentation.models import CustomDimension, Run

from .base import PINNED, ClassifyContext, DimensionSpec, JsonStorage, ReasonContext, Result


def _classes_of(labels: DimensionLabels):
    return lambda: tuple((code, labels.class_name(code)) for code, _zh, _en in labels.classes)


def _default_of(labels: DimensionLabels) -> Callable[[], str | None]:
    return lambda: labels.default


def _no_reason(code: str, why: str, ctx: ReasonContext) -> str:
    return ""


def labelled_specs() -> list[DimensionSpec]:
    """Every admin dimension that ever had an active version (cached briefly): labels,
    storage and filters; `active` tells whether the next run computes it."""
    out = []
    for labels in custom_dimensions_labels().values():
        out.append(
            DimensionSpec(
                key=labels.key,
                name=labels.name,
                classes=_classes_of(labels),
                storage=JsonStorage(labels.code, default=_default_of(labels)),
                classify=None,
                reason=_no_reason,
                stage=2,
                dwell=False,
                list_filter=False,
                active=labels.active,
                not_pinnable=frozenset(),
            )
        )
    return out


def _run_spec(dim: CustomDimension, compiled: CompiledDimension) -> DimensionSpec:
    rows = list(dim.classes.all())  # names are read in the language of each call
    rules = {c.code: c.rule for c in compiled.classes}

    def classify(df: pd.DataFrame, ctx: ClassifyContext, got: dict[str, Result]) -> Result:
        # Every stage-2 dimension of a partition shares one converted view of the inputs.
        columns = ctx.memo.setdefault("columns", Columns(df))
        codes, whys = classify_dimension(compiled, columns)
        return codes, whys

    def reason(code: str, why: str, ctx: ReasonContext) -> str:
        stored = "p" if why == PINNED else why
        # The catalog's field labels are read in the reader's language: loaded per page.
        catalog = ctx.shared("catalog", catalog_load)
        return custom_reason_text(
            rule=rules.get(code), why=stored or DEFAULT, row=ctx.values, catalog=catalog
        )

    default = compiled.default
    return DimensionSpec(
        key=dim.dimension_key,
        name=lambda: dim.name,
        classes=lambda: tuple((c.code, c.name) for c in rows),
        storage=JsonStorage(dim.code, default=lambda: default),
        classify=classify,
        reason=reason,
        stage=2,
        dwell=False,
        list_filter=False,
        inputs=frozenset(compiled.fields),
        not_pinnable=frozenset(),
    )


_compiled: dict[tuple, list[DimensionSpec]] = {}


def run_specs(run: Run) -> list[DimensionSpec]:
    """The admin dimensions `run` recorded, compiled (cached per process: one run at a
    time). A version that no longer compiles is left out; the run recorded only versions
    that compiled when it started."""
    versions = run.custom_versions or {}
    key = (run.pk, run.attempts, tuple(sorted(versions.items())))
    if key in _compiled:
        return _compiled[key]
    specs: list[DimensionSpec] = []
    if versions:
        catalog = catalog_load()
        dims = CustomDimension.objects.filter(pk__in=versions.values()).prefetch_related("classes")
        for dim in sorted(dims, key=lambda d: d.code):
            try:
                compiled = spec_from_dimension(dim, catalog)
            except ValueError:
                continue
            specs.append(_run_spec(dim, compiled))
    _compiled.clear()
    _compiled[key] = specs
    return specs
