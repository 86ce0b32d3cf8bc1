"""Reads of custom dimensions: labels (cached briefly), the customer page, the list filter,
export columns, and which customers are in a class (strategies' backfill)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import get_language

from segmentation.models import (
    CUSTOM_PREFIX,
    CustomDimension,
    CustomDimensionStatus,
    CustomerClasses,
    Run,
)

# Labels change only when an admin edits a dimension; the services clear the cache, other
# processes see the change within this many seconds.
LABELS_TTL = 30.0


@dataclass(frozen=True)
class DimensionLabels:
    code: str
    key: str  # custom_<code>
    name_zh_hans: str
    name_en: str
    classes: tuple[tuple[str, str, str], ...]  # (code, zh, en) in order
    active: bool

    def name(self) -> str:
        return self.name_en if _english() else self.name_zh_hans

    def class_name(self, code: str) -> str:
        for c, zh, en in self.classes:
            if c == code:
                return (en or zh) if _english() else (zh or en)
        return code


def _english() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


_cache: dict[str, Any] = {"at": 0.0, "value": None}


def labels_cache_clear() -> None:
    _cache["at"], _cache["value"] = 0.0, None


def custom_dimensions_labels() -> dict[str, DimensionLabels]:
    """{custom_<code>: labels} of every code that ever had an active version: the active
    version's names, else the last retired one's (history still shows them). Two queries,
    cached for LABELS_TTL seconds."""
    now = time.monotonic()
    if _cache["value"] is not None and now - _cache["at"] < LABELS_TTL:
        return _cache["value"]
    chosen: dict[str, CustomDimension] = {}
    for dim in (
        CustomDimension.objects.exclude(status=CustomDimensionStatus.DRAFT)
        .prefetch_related("classes")
        .order_by("code", "-version")
    ):
        current = chosen.get(dim.code)
        if current is None or (
            dim.status == CustomDimensionStatus.ACTIVE
            and current.status != CustomDimensionStatus.ACTIVE
        ):
            chosen[dim.code] = dim
    value = {
        f"{CUSTOM_PREFIX}{code}": DimensionLabels(
            code=code,
            key=f"{CUSTOM_PREFIX}{code}",
            name_zh_hans=d.name_zh_hans,
            name_en=d.name_en,
            classes=tuple((c.code, c.name_zh_hans, c.name_en) for c in d.classes.all()),
            active=d.status == CustomDimensionStatus.ACTIVE,
        )
        for code, d in chosen.items()
    }
    _cache["at"], _cache["value"] = now, value
    return value


def active_custom_dimensions() -> list[DimensionLabels]:
    return [d for d in custom_dimensions_labels().values() if d.active]


def custom_dimension_label(key: str) -> str:
    labels = custom_dimensions_labels().get(key)
    return labels.name() if labels else key


def custom_class_label(key: str, code: str) -> str:
    if not code:
        return ""
    labels = custom_dimensions_labels().get(key)
    return labels.class_name(code) if labels else code


def custom_class_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped select choices "custom_<code>:<class>" of the active dimensions."""
    return [
        (d.name(), [(f"{d.key}:{c}", d.class_name(c)) for c, _zh, _en in d.classes])
        for d in active_custom_dimensions()
    ]


def custom_rows_in_class(run: Run, code: str, class_code: str) -> QuerySet[CustomerClasses]:
    """The run's rows whose custom dimension `code` is `class_code`. On PostgreSQL a
    containment (custom @> {...}), which the GIN index answers; elsewhere a key lookup."""
    rows = CustomerClasses.objects.filter(run=run)
    if connection.vendor == "postgresql":
        return rows.filter(custom__contains={code: class_code})
    return rows.filter(**{f"custom__{code}": class_code})


def customers_in_custom_class(queryset: QuerySet, *, key: str, class_code: str) -> QuerySet:
    """Narrows a customer queryset to the current run's members of custom class
    (`key` = custom_<code>); no current run → none."""
    run = Run.objects.filter(is_current=True).first()
    if run is None or not key.startswith(CUSTOM_PREFIX):
        return queryset.none()
    code = key[len(CUSTOM_PREFIX) :]
    ids = custom_rows_in_class(run, code, class_code).values("customer_id")
    return queryset.filter(pk__in=ids)


def custom_export_headers() -> list[str]:
    return [d.key for d in active_custom_dimensions()]


def custom_classes_for_export(customer_ids: Sequence[int]) -> dict[int, list[Any]]:
    """{customer id: [class per active custom dimension]} for one export batch: one query."""
    codes = [d.code for d in active_custom_dimensions()]
    run = Run.objects.filter(is_current=True).first()
    if run is None or not codes:
        return {}
    rows = CustomerClasses.objects.filter(run=run, customer_id__in=list(customer_ids)).values_list(
        "customer_id", "custom"
    )
    return {cid: [(custom or {}).get(code, "") for code in codes] for cid, custom in rows}


def class_rows_filter(dimension: str, code: str) -> Q:
    """A Q on CustomerClasses for "in class `code` of `dimension`" — built-in or custom."""
    if dimension.startswith(CUSTOM_PREFIX):
        key = dimension[len(CUSTOM_PREFIX) :]
        if connection.vendor == "postgresql":
            return Q(custom__contains={key: code})
        return Q(**{f"custom__{key}": code})
    return Q(**{dimension: code})


def customer_custom_classes(
    *, run: Run, row: dict[str, Any], customer_id: int, pins: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each custom class of one customer in `run` with its reason in the active language.
    Reads the run's dimension versions (one query + classes), the customer's attributes and
    tags (two queries); nothing when the run evaluated no custom dimension."""
    from customers.models import Customer, CustomerTag

    from .evaluate import spec_from_dimension, why_of
    from .reasons import custom_reason_text
    from .schema import ATTRIBUTE_COLUMNS, catalog_load

    versions = run.custom_versions or {}
    stored = row.get("custom") or {}
    whys = row.get("custom_why") or {}
    if not versions or not stored:
        return []
    catalog = catalog_load()
    dims = sorted(
        CustomDimension.objects.filter(pk__in=versions.values()).prefetch_related("classes"),
        key=lambda d: d.code,
    )
    values = dict(row)
    customer = (
        Customer.objects.filter(pk=customer_id)
        .values(*{ATTRIBUTE_COLUMNS[a] for a in ATTRIBUTE_COLUMNS})
        .first()
        or {}
    )
    for name, column in ATTRIBUTE_COLUMNS.items():
        value = customer.get(column)
        if name in ("owner", "team"):
            value = None if value is None else str(value)
        values[name] = float(value) if value is not None and name in (
            "annual_budget", "annual_revenue", "employees", "growth_rate",
        ) else value  # fmt: skip
    for key, value in CustomerTag.objects.filter(customer_id=customer_id).values_list(
        "tag__key", "value"
    ):
        values[f"tag.{key}"] = value
    out = []
    for dim in dims:
        code = stored.get(dim.code)
        if code is None:
            continue
        try:
            spec = spec_from_dimension(dim, catalog)
        except ValueError:
            spec = None
        rule = None
        if spec is not None:
            rule = next((c.rule for c in spec.classes if c.code == code), None)
        default = next((c.code for c in dim.classes.all() if c.is_default), None)
        why = why_of(default, code, whys.get(dim.code))
        names = {c.code: c.name for c in dim.classes.all()}
        pin = pins.get(dim.dimension_key)
        shown = pin.code if pin else code
        out.append(
            {
                "dimension": dim.dimension_key,
                "dimension_label": dim.name,
                "code": shown,
                "label": names.get(shown, shown),
                "reason": custom_reason_text(rule=rule, why=why, row=values, catalog=catalog),
                "pin": pin,
                "computed_label": names.get(code, code) if pin and pin.code != code else "",
            }
        )
    return out
