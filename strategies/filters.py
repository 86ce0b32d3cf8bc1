"""Customer-list filters of the strategies app (registered from apps.py into
customers.extensions): the drill-downs of the playbook dashboards.

- `?playbook=<code>`: customers following the playbook now (an open enrollment).
- `?outcome=<playbook code>:<window>:<steps>:<result>`: the customers behind one number of
  the effectiveness dashboard — the cohort of a playbook (`*`: every playbook) for a window
  of 30/60/90 days, `steps` one of all / kept / not_kept / none_due, `result` one of all /
  improved / slipped.
  The dashboards build it with `outcome_value`."""

from __future__ import annotations

from typing import NamedTuple

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import OUTCOME_WINDOWS, Enrollment, Playbook, StepsKept
from .selectors.effectiveness import ALL_PLAYBOOKS

STEPS_CODES = {
    "all": None,
    "kept": StepsKept.KEPT,
    "not_kept": StepsKept.NOT_KEPT,
    "none_due": StepsKept.NONE_DUE,
}
RESULTS = ("all", "improved", "slipped")


class Outcome(NamedTuple):
    playbook_code: str
    window: int
    steps: int | None
    result: str


def outcome_value(*, playbook_code: str, window: int, steps: str = "all", result: str = "all"):
    return f"{playbook_code}:{window}:{steps}:{result}"


class OutcomeField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        parts = value.split(":")
        if len(parts) != 4:
            raise ValidationError(
                _("Expected playbook:days:steps:result, got %(value)s."), params={"value": value}
            )
        code, window, steps, result = parts
        if not window.isdigit() or int(window) not in OUTCOME_WINDOWS:
            raise ValidationError(
                _("The window must be 30, 60 or 90 days, not %(w)s."), params={"w": window}
            )
        if steps not in STEPS_CODES:
            raise ValidationError(
                _("Steps must be all, kept, not_kept or none_due, not %(s)s."), params={"s": steps}
            )
        if result not in RESULTS:
            raise ValidationError(
                _("The result must be all, improved or slipped, not %(r)s."), params={"r": result}
            )
        if code != ALL_PLAYBOOKS and not Playbook.objects.filter(code=code).exists():
            raise ValidationError(_("Unknown playbook %(code)s."), params={"code": code})
        return Outcome(code, int(window), STEPS_CODES[steps], result)


class OutcomeFilter(django_filters.Filter):
    field_class = OutcomeField

    def filter(self, qs, value):
        if not value:
            return qs
        from .selectors.effectiveness import outcome_customer_ids

        ids = outcome_customer_ids(
            playbook_code=value.playbook_code,
            window=value.window,
            steps=value.steps,
            outcome=value.result,
        )
        return qs.filter(pk__in=ids)


class PlaybookCodeField(forms.CharField):
    """A playbook code, checked only when given (an empty list page asks nothing of the
    database; a select of every playbook would cost a query on each page load)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        if not Playbook.objects.filter(code=value).exists():
            raise ValidationError(_("Unknown playbook %(code)s."), params={"code": value})
        return value


class PlaybookFilter(django_filters.Filter):
    field_class = PlaybookCodeField

    def filter(self, qs, value):
        if not value:
            return qs
        ids = Enrollment.objects.filter(playbook__code=value, ended_on__isnull=True).values(
            "customer_id"
        )
        return qs.filter(pk__in=ids)


def playbook_filter() -> PlaybookFilter:
    return PlaybookFilter(label=_("Following playbook"))


def outcome_filter() -> OutcomeFilter:
    return OutcomeFilter(label=_("Playbook outcome"))
