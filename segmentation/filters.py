"""The customer list's "moved between classes" filter (registered from apps.py).

`?moved=<dimension>:<from>:<to>:<after>:<until>` keeps the customers who have a class change
in `dimension` from `from` to `to` in a run dated after `after` and up to `until` (ISO dates).
`from` and `to` may list several classes (comma-separated, e.g. the funnel's "prospect,intent"
→ "new"); `from` may be empty (customers new since the previous run). The dashboards'
movement matrix builds these values with `moved_value`; one indexed query on ClassChange
(change_dim_to_date_idx: dimension, to_code, as_of)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .dimensions import dimension_spec
from .models import ClassChange


class Moved(NamedTuple):
    dimension: str
    from_codes: tuple[str, ...]
    to_codes: tuple[str, ...]
    after: dt.date
    until: dt.date


def moved_value(
    *, dimension: str, from_code: str, to_code: str, after: dt.date, until: dt.date
) -> str:
    """`from_code` / `to_code`: one class code or several joined by commas."""
    return f"{dimension}:{from_code}:{to_code}:{after.isoformat()}:{until.isoformat()}"


class MovedField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        parts = value.split(":")
        if len(parts) != 5:
            raise ValidationError(
                _("Expected dimension:from:to:after-date:until-date, got %(value)s."),
                params={"value": value},
            )
        dimension, from_code, to_code, after, until = parts
        spec = dimension_spec(dimension)
        if spec is None:
            raise ValidationError(_("Unknown dimension %(d)s."), params={"d": dimension})
        codes = set(spec.codes())
        from_codes = tuple(from_code.split(",")) if from_code else ("",)
        to_codes = tuple(c for c in to_code.split(",") if c)
        for code in (*from_codes, *to_codes):
            if code and code not in codes:
                raise ValidationError(
                    _("Unknown class %(c)s of %(d)s."), params={"c": code, "d": dimension}
                )
        if not to_codes:
            raise ValidationError(_("The class moved to is missing."))
        try:
            start, end = dt.date.fromisoformat(after), dt.date.fromisoformat(until)
        except ValueError:
            raise ValidationError(_("Dates must be YYYY-MM-DD.")) from None
        if start >= end:
            raise ValidationError(_("The first date must be before the second."))
        return Moved(dimension, from_codes, to_codes, start, end)


class MovedFilter(django_filters.Filter):
    field_class = MovedField

    def filter(self, qs, value):
        if not value:
            return qs
        ids = ClassChange.objects.filter(
            dimension=value.dimension,
            to_code__in=value.to_codes,
            from_code__in=value.from_codes,
            as_of__gt=value.after,
            as_of__lte=value.until,
        ).values("customer_id")
        return qs.filter(pk__in=ids)
