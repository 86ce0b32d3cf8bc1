"""Keyset ("seek") pagination for the customer list.

A page is fetched with `WHERE (sort_key, id) > (last_key, last_id) ORDER BY sort_key, id
LIMIT n+1`, which walks the (…, name, id) indexes and costs the same on page 1 and page
20,000 — an OFFSET scan would read every skipped row. The cursor travels in the URL (`after`
/ `before`), so a page can be bookmarked. The total is a capped COUNT (crm.pagination)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from crm.pagination import COUNT_CAP


@dataclass(frozen=True)
class SortOption:
    key: str  # the value in the URL (?sort=name)
    field: str  # the model field
    descending: bool = False


@dataclass
class KeysetPage:
    items: list[Any]
    sort: str
    next_cursor: str | None = None
    prev_cursor: str | None = None
    count: int = 0
    count_is_capped: bool = False
    is_first: bool = True
    extra: dict = field(default_factory=dict)


def encode_cursor(value: Any, pk: int) -> str:
    raw = json.dumps([None if value is None else str(value), pk], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, model_field) -> tuple[Any, int] | None:
    """(value, pk) or None for a cursor that was tampered with or is stale."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        return (None if value is None else model_field.to_python(value)), int(pk)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        return None
    except Exception:  # a ValidationError from to_python
        return None


def _after(field_name: str, value: Any, pk: int, *, descending: bool) -> Q:
    op = "lt" if descending else "gt"
    eq_or = "lte" if descending else "gte"
    # The redundant range predicate lets the planner use the (field, id) index as a range scan.
    return Q(**{f"{field_name}__{eq_or}": value}) & (
        Q(**{f"{field_name}__{op}": value}) | Q(**{field_name: value, f"pk__{op}": pk})
    )


def keyset_page(
    queryset: QuerySet,
    *,
    sort: SortOption,
    after: str | None = None,
    before: str | None = None,
    per_page: int = 50,
    with_count: bool = True,
) -> KeysetPage:
    model_field = queryset.model._meta.get_field(sort.field)
    f = sort.field
    forward = [f"-{f}", "-pk"] if sort.descending else [f, "pk"]
    backward = [f, "pk"] if sort.descending else [f"-{f}", "-pk"]
    cursor = decode_cursor(before, model_field) if before else None
    going_back = cursor is not None
    if not going_back and after:
        cursor = decode_cursor(after, model_field)

    if going_back:
        value, pk = cursor  # type: ignore[misc]
        rows = list(
            queryset.filter(_after(f, value, pk, descending=not sort.descending)).order_by(
                *backward
            )[: per_page + 1]
        )
        has_more_before = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        has_more_after = True
    else:
        qs = queryset
        if cursor is not None:
            value, pk = cursor
            qs = qs.filter(_after(f, value, pk, descending=sort.descending))
        rows = list(qs.order_by(*forward)[: per_page + 1])
        has_more_after = len(rows) > per_page
        rows = rows[:per_page]
        has_more_before = cursor is not None

    page = KeysetPage(items=rows, sort=sort.key, is_first=not has_more_before)
    if rows and has_more_after:
        page.next_cursor = encode_cursor(getattr(rows[-1], f), rows[-1].pk)
    if rows and has_more_before:
        page.prev_cursor = encode_cursor(getattr(rows[0], f), rows[0].pk)
    if with_count:
        counted = queryset.order_by()[: COUNT_CAP + 1].count()
        page.count = min(counted, COUNT_CAP)
        page.count_is_capped = counted > COUNT_CAP
    return page
