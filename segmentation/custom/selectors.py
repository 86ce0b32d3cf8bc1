"""Labels of admin-defined dimensions (cached briefly); segmentation.dimensions builds their
specs from them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language

from segmentation.models import (
    CUSTOM_PREFIX,
    CustomDimension,
    CustomDimensionStatus,
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
    default: str = ""  # the default class's code

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
            default=next((c.code for c in d.classes.all() if c.is_default), ""),
        )
        for code, d in chosen.items()
    }
    _cache["at"], _cache["value"] = now, value
    return value
