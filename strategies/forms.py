"""Forms: playbooks in admin (class codes validated against segmentation), task actions."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.widgets import IsoDateInput
from customers.models.choices import ContactOutcome
from segmentation.dimensions import grouped_class_choices

from .models import Playbook


def class_code_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped (dimension → classes) choices for a select; 'unclassified' is not a class a
    playbook can treat."""
    return grouped_class_choices(pinnable=True)


class PlaybookAdminForm(forms.ModelForm):
    target = forms.ChoiceField(label=_("Class"), choices=class_code_choices)

    class Meta:
        model = Playbook
        fields = [
            "code", "name_zh", "name_en", "goal_zh", "goal_en", "priority", "cadence_days",
            "service_level", "max_interval_days", "release_after_days", "channel_zh",
            "channel_en", "pricing_zh", "pricing_en", "active",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["target"] = f"{self.instance.dimension}:{self.instance.class_code}"

    def clean_target(self) -> str:
        value = self.cleaned_data["target"]
        if value not in {v for _group, options in class_code_choices() for v, _l in options}:
            raise forms.ValidationError(_("Choose a class from the list."))
        return value

    def clean(self):
        cleaned = cast(dict[str, Any], super().clean())  # a form's is never None
        if cleaned.get("release_after_days") is not None and not cleaned.get("max_interval_days"):
            self.add_error(
                "release_after_days",
                _("Set the longest gap between contacts first: release counts from it."),
            )
        return cleaned

    def save(self, commit=True):
        dim, _sep, code = self.cleaned_data["target"].partition(":")
        self.instance.dimension = dim
        self.instance.class_code = code
        return super().save(commit=commit)


class TaskCompleteForm(forms.Form):
    """Completing a task; for a call/visit/… the rep may log the contact in the same step."""

    log_contact = forms.BooleanField(label=_("Also log this contact"), required=False)
    summary = forms.CharField(
        label=_("What was said"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=ContactOutcome.choices, initial=ContactOutcome.REACHED
    )

    def clean(self):
        cleaned = cast(dict[str, Any], super().clean())  # a form's is never None
        if cleaned.get("log_contact") and not (cleaned.get("summary") or "").strip():
            self.add_error("summary", _("Write a line about the contact to log it."))
        return cleaned


class TaskSnoozeForm(forms.Form):
    days = forms.IntegerField(label=_("Snooze for (days)"), min_value=1, max_value=30, initial=3)


class AdherenceFilterForm(forms.Form):
    date_from = forms.DateField(
        label=pgettext_lazy("start of a period", "From"), widget=IsoDateInput()
    )
    date_to = forms.DateField(label=pgettext_lazy("end of a period", "To"), widget=IsoDateInput())
    group_by = forms.ChoiceField(
        label=_("Per"),
        choices=[("rep", _("Rep")), ("team", _("Team")), ("playbook", _("Playbook"))],
        initial="rep",
    )

    # A year is the longest period the table aggregates in one go.
    MAX_DAYS = 366

    def __init__(self, data=None, *, today, **kwargs):
        defaults = {
            "date_from": (today - dt.timedelta(days=29)).isoformat(),
            "date_to": today.isoformat(),
            "group_by": "rep",
        }
        merged = {**defaults, **(data.dict() if data is not None else {})}
        super().__init__(merged, **kwargs)

    def clean(self):
        cleaned = cast(dict[str, Any], super().clean())  # a form's is never None
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", _("The end date is before the start date."))
            elif (end - start).days > self.MAX_DAYS:
                self.add_error(
                    "date_to", _("Choose a period of at most %(n)s days.") % {"n": self.MAX_DAYS}
                )
        return cleaned
