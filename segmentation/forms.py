"""The pin form on the customer page: one select of every class grouped by dimension
(value "dimension:code"), so no script is needed to filter classes by dimension."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.widgets import IsoDateInput

from .dimensions import grouped_class_choices

DEFAULT_PIN_DAYS = 90


def _grouped_choices():
    return grouped_class_choices(pinnable=True, blank=True)


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
