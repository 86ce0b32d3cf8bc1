"""Keyset ("seek") pagination for the customer list.

A page is fetched with `WHERE (sort_key, id) > (last_key, last_id) ORDER BY sort_key, id
LIMIT n+1`, which walks the (…, name, id) indexes and costs the same on page 1 and page
20,000 — an OFFSET scan would read every skipped row. The cursor travels in the URL (`after`
/ `before`), so a page can be bookmarked. The total is a capped COUNT (crm.pagination)."""

from __future__ import annotations

import base64
import binascii
import json
import operator
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.db import connection
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


class InvalidCursor(ValueError):
    """A page cursor that was not made by `encode_cursor` for this sort (edited, truncated or
    from another sort): the view answers 400 rather than guessing a page."""


def decode_cursor(cursor: str, model_field) -> tuple[Any, int]:
    """(value, pk) of a cursor made by `encode_cursor`; InvalidCursor for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("not a page cursor") from exc
    if not isinstance(decoded, list) or len(decoded) != 2:
        raise InvalidCursor("not a page cursor")
    value, pk = decoded
    # bool is an int to Python; a cursor never carries one.
    if not isinstance(pk, int) or isinstance(pk, bool) or pk < 1:
        raise InvalidCursor("bad row id in page cursor")
    if value is None:
        # Every sort key is NOT NULL, so encode_cursor never writes a null; seeking past a
        # NULL would be a query error (`[null, 1]` used to give a 500).
        if not model_field.null:
            raise InvalidCursor("null sort key in page cursor")
        return None, pk
    if not isinstance(value, str):
        raise InvalidCursor("bad sort key in page cursor")
    try:
        return model_field.to_python(value), pk
    except Exception as exc:  # a ValidationError from to_python
        raise InvalidCursor("bad sort key in page cursor") from exc


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
    any_of: list[Q] | None = None,
    count_cap: int = COUNT_CAP,
    counted_at_least: int = 0,
) -> KeysetPage:
    """One page of `queryset` (narrowed to rows matching any of `any_of`, when given).

    With `any_of` every branch is paged on its own — a branch's top rows come from its
    own index (a trigram or prefix index, a contact join) — and one last query loads the
    page from the union of those candidates, in the database's order. One OR over every
    branch would make PostgreSQL read every row of the user's scope instead.

    `counted_at_least`: a count the caller already has (of part of the rows); past the cap
    it spares the count query."""
    model_field = queryset.model._meta.get_field(sort.field)
    f = sort.field
    forward = [f"-{f}", "-pk"] if sort.descending else [f, "pk"]
    backward = [f, "pk"] if sort.descending else [f"-{f}", "-pk"]
    # InvalidCursor propagates: the caller answers 400 (a tampered link is not page 1).
    cursor = decode_cursor(before, model_field) if before else None
    going_back = cursor is not None
    if not going_back and after:
        cursor = decode_cursor(after, model_field)

    def fetch(order: list[str], seek: Q | None) -> list[Any]:
        if not any_of:
            qs = queryset.filter(seek) if seek is not None else queryset
            return list(qs.order_by(*order)[: per_page + 1])
        candidates: set[int] = set()
        for branch in any_of:
            qs = queryset.filter(branch)
            if seek is not None:
                qs = qs.filter(seek)
            candidates.update(qs.order_by(*order).values_list("pk", flat=True)[: per_page + 1])
        if not candidates:
            return []
        return list(queryset.filter(pk__in=candidates).order_by(*order)[: per_page + 1])

    if going_back:
        value, pk = cursor  # type: ignore[misc]
        rows = fetch(backward, _after(f, value, pk, descending=not sort.descending))
        has_more_before = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        has_more_after = True
    else:
        seek = None
        if cursor is not None:
            value, pk = cursor
            seek = _after(f, value, pk, descending=sort.descending)
        rows = fetch(forward, seek)
        has_more_after = len(rows) > per_page
        rows = rows[:per_page]
        has_more_before = cursor is not None

    page = KeysetPage(items=rows, sort=sort.key, is_first=not has_more_before)
    if rows and has_more_after:
        page.next_cursor = encode_cursor(getattr(rows[-1], f), rows[-1].pk)
    if rows and has_more_before:
        page.prev_cursor = encode_cursor(getattr(rows[0], f), rows[0].pk)
    if with_count:
        if not has_more_before and not has_more_after:
            # The whole result is on this page: its length is the count.
            page.count = len(rows)
        elif counted_at_least > count_cap:
            page.count, page.count_is_capped = count_cap, True
        else:
            counted = capped_count(queryset, any_of=any_of, cap=count_cap)
            page.count = min(counted, count_cap)
            page.count_is_capped = counted > count_cap
    return page


def capped_count(queryset: QuerySet, *, any_of: list[Q] | None = None, cap: int = COUNT_CAP) -> int:
    """How many rows match, counting at most `cap` + 1.

    For branches, `(branch 1 LIMIT cap+1) UNION (branch 2 LIMIT cap+1) …` counts the
    union exactly up to the cap: a branch stopped by its limit has more than the cap rows,
    and so has the union. Databases that cannot limit the parts of a UNION (SQLite) count
    one OR instead."""
    limit = cap + 1
    if not any_of:
        return queryset.order_by()[:limit].count()
    if not connection.features.supports_slicing_ordering_in_compound or len(any_of) == 1:
        return queryset.filter(reduce(operator.or_, any_of)).order_by()[:limit].count()
    parts = [queryset.filter(b).order_by().values("pk")[:limit] for b in any_of]
    return parts[0].union(*parts[1:])[:limit].count()
