"""The pin form on the customer page: one select of every class grouped by dimension
(value "dimension:code"), so no script is needed to filter classes by dimension."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.widgets import IsoDateInput

from .custom.selectors import custom_class_choices
from .models import CLASS_CHOICES, UNCLASSIFIED, Dimension

DEFAULT_PIN_DAYS = 90


def _grouped_choices():
    groups: list[tuple[Any, Any]] = [("", "—")]
    for dim in Dimension:
        options = [
            (f"{dim.value}:{value}", label)
            for value, label in CLASS_CHOICES[dim.value].choices
            if value != UNCLASSIFIED
        ]
        groups.append((dim.label, options))
    return [*groups, *custom_class_choices()]


class PinForm(forms.Form):
    target = forms.ChoiceField(label=_("Class"), choices=_grouped_choices)
    reason = forms.CharField(label=_("Reason"), max_length=300)
    expires_on = forms.DateField(label=_("Applies until"), widget=IsoDateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = timezone.localdate() + dt.timedelta(
            days=DEFAULT_PIN_DAYS
        )

    def split_target(self) -> tuple[str, str]:
        dimension, _sep, code = self.cleaned_data["target"].partition(":")
        return dimension, code
