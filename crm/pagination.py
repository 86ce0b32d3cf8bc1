"""Pagination that stays cheap on tables with millions of rows."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

# Counting past this many rows costs more than it tells a person scrolling a list; the list
# says "10,000+" instead. A bounded COUNT over an index stays in the low milliseconds.
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """A Paginator whose count stops at COUNT_CAP (`SELECT COUNT(*) FROM (… LIMIT cap+1)`).

    `count_is_capped` tells templates to show "cap+" rather than an exact figure."""

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        # Only ever given querysets; the stubs type object_list as any sliceable sequence.
        counted = self.object_list[: self.cap + 1].count()  # type: ignore[attr-defined]
        self.count_is_capped = counted > self.cap
        return min(counted, self.cap)
