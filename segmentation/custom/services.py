"""Custom dimension versions (new draft, activate, retire) and the preview of a draft."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from segmentation.models import (
    CustomClass,
    CustomDimension,
    CustomDimensionStatus,
    CustomerClasses,
    Run,
)

from .catalog import ATTRIBUTE_COLUMNS, catalog_load
from .evaluate import _fetch, classify_dimension, inputs_frame, spec_from_dimension
from .schema import dimension_errors
from .selectors import labels_cache_clear

PREVIEW_CHUNK = 50_000
PREVIEW_SAMPLE = 10


def custom_dimension_errors(dimension: CustomDimension) -> list[str]:
    """Every mistake in a stored version's classes and rules (empty when it is fine)."""
    classes = [
        {"code": c.code, "order": c.order, "rule": c.rule, "is_default": c.is_default}
        for c in dimension.classes.all()
    ]
    errors, _spec = dimension_errors(classes=classes, catalog=catalog_load())
    return errors


def _next_version(code: str) -> int:
    last = (
        CustomDimension.objects.select_for_update()
        .filter(code=code)
        .aggregate(v=Max("version"))["v"]
    )
    return (last or 0) + 1


@transaction.atomic
def custom_dimension_create(
    *, code: str, name_zh_hans: str, name_en: str, classes: list[dict[str, Any]],
    description: str = "", actor=None,
) -> CustomDimension:  # fmt: skip
    """A new draft version of `code` with its classes (dicts of CustomClass fields).
    Raises ValidationError naming every mistake."""
    errors, _spec = dimension_errors(classes=classes, catalog=catalog_load())
    if errors:
        raise ValidationError(errors)
    dimension = CustomDimension(
        code=code,
        version=_next_version(code),
        name_zh_hans=name_zh_hans,
        name_en=name_en,
        description=description,
        created_by=actor,
    )
    dimension.full_clean()
    dimension.save()
    for c in classes:
        cls = CustomClass(dimension=dimension, **c)
        cls.full_clean(exclude=["dimension"])
        cls.save()
    return dimension


@transaction.atomic
def custom_dimension_new_draft(*, source: CustomDimension, actor=None) -> CustomDimension:
    """Copies a version (with its classes) to a new draft: how a used version is edited."""
    draft = CustomDimension.objects.create(
        code=source.code,
        version=_next_version(source.code),
        name_zh_hans=source.name_zh_hans,
        name_en=source.name_en,
        description=source.description,
        based_on=source,
        created_by=actor,
    )
    CustomClass.objects.bulk_create(
        CustomClass(
            dimension=draft,
            order=c.order,
            code=c.code,
            name_zh_hans=c.name_zh_hans,
            name_en=c.name_en,
            rule=c.rule,
            is_default=c.is_default,
        )
        for c in source.classes.all()
    )
    return draft


@transaction.atomic
def custom_dimension_activate(*, dimension: CustomDimension) -> CustomDimension:
    """Makes a draft the version the next run computes; the code's active version (if any)
    is retired. Validated again first (tags may have changed since the draft was saved)."""
    dimension = CustomDimension.objects.select_for_update().get(pk=dimension.pk)
    if dimension.status != CustomDimensionStatus.DRAFT:
        raise ValidationError(
            _("Only a draft can be activated; version {v} is {status}.").format(
                v=dimension.version, status=dimension.get_status_display()
            )
        )
    errors = custom_dimension_errors(dimension)
    if errors:
        raise ValidationError(errors)
    CustomDimension.objects.filter(code=dimension.code, status=CustomDimensionStatus.ACTIVE).update(
        status=CustomDimensionStatus.RETIRED
    )
    dimension.status = CustomDimensionStatus.ACTIVE
    dimension.activated_at = timezone.now()
    dimension.save(update_fields=["status", "activated_at"])
    labels_cache_clear()
    return dimension


@transaction.atomic
def custom_dimension_retire(*, dimension: CustomDimension) -> CustomDimension:
    """Stops computing an active dimension (its history and past runs stay)."""
    if dimension.status != CustomDimensionStatus.ACTIVE:
        raise ValidationError(_("Only the active version can be retired."))
    dimension.status = CustomDimensionStatus.RETIRED
    dimension.save(update_fields=["status"])
    labels_cache_clear()
    return dimension


def custom_dimension_preview(
    *, dimension: CustomDimension, chunk: int = PREVIEW_CHUNK, sample: int = PREVIEW_SAMPLE
) -> dict[str, Any]:
    """How many customers each class of `dimension` would get, and a sample of each, against
    the current run's stored metrics and classes (today's attributes and tags). Reads only the
    columns the rules use, a chunk of customer ids at a time; writes nothing."""
    run = Run.objects.filter(is_current=True).first()
    spec = spec_from_dimension(dimension, catalog_load())
    order = [c.code for c in spec.classes] + [spec.default]
    if run is None:
        return {"as_of": None, "customers": 0, "classes": [], "order": order}
    stored = [
        f.name
        for f in CustomerClasses._meta.concrete_fields
        if f.name in spec.fields and f.name not in ATTRIBUTE_COLUMNS
    ]
    counts: Counter = Counter()
    pools: dict[str, list[int]] = {code: [] for code in order}
    rng = random.Random(dimension.pk)  # noqa: S311 - a sample, not a secret
    customers = 0
    rows = CustomerClasses.objects.filter(run=run)
    top = rows.aggregate(hi=Max("customer_id"))["hi"] or 0
    lo = 0
    while lo <= top:
        hi = lo + chunk - 1
        part = (
            rows.filter(customer_id__gte=lo, customer_id__lte=hi)
            .values_list("customer_id", *stored)
            .order_by()
        )
        base = _fetch(part, ["customer_id", *stored])
        lo = hi + 1
        if base.empty:
            continue
        base = base.set_index("customer_id")
        inputs = inputs_frame(
            base=base, fields=spec.fields, lo=int(base.index.min()), hi=int(base.index.max())
        ).reindex(base.index)
        codes, _whys = classify_dimension(spec, inputs)
        customers += len(codes)
        ids = base.index.to_numpy()
        for code, n in pd.Series(codes).value_counts().items():
            counts[code] += int(n)
            members = ids[codes == code]
            # A few per chunk, then one even draw at the end: a sample over the whole book.
            pools[code].extend(int(c) for c in rng.sample(list(members), min(sample, len(members))))
    samples = {code: rng.sample(pool, min(sample, len(pool))) for code, pool in pools.items()}
    from customers.models import Customer

    names = dict(
        Customer.objects.filter(pk__in=[c for ids in samples.values() for c in ids]).values_list(
            "pk", "name"
        )
    )
    labels = {c.code: c.name for c in dimension.classes.all()}
    return {
        "as_of": run.as_of,
        "customers": customers,
        "order": order,
        "classes": [
            {
                "code": code,
                "label": labels.get(code, code),
                "count": counts.get(code, 0),
                "share_pct": round(100 * counts.get(code, 0) / customers, 1) if customers else 0,
                "sample": [(cid, names.get(cid, "")) for cid in sorted(samples[code])],
            }
            for code in order
        ],
    }
