"""Forms: playbooks in admin (class codes validated against segmentation), task actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models.choices import ContactOutcome
from segmentation.models import CLASS_CHOICES, UNCLASSIFIED, Dimension

from .models import Playbook


def class_code_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped (dimension → classes) choices for a select; 'unclassified' is not a class a
    playbook can treat."""
    return [
        (
            str(Dimension(dim).label),
            [
                (f"{dim}:{code}", str(label))
                for code, label in choices.choices
                if code != UNCLASSIFIED
            ],
        )
        for dim, choices in CLASS_CHOICES.items()
    ]


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
        dim, _sep, code = value.partition(":")
        choices = CLASS_CHOICES.get(dim)
        if choices is None or code not in choices.values or code == UNCLASSIFIED:
            raise forms.ValidationError(_("Choose a class from the list."))
        return value

    def clean(self):
        cleaned = super().clean()
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
        cleaned = super().clean()
        if cleaned.get("log_contact") and not (cleaned.get("summary") or "").strip():
            self.add_error("summary", _("Write a line about the contact to log it."))
        return cleaned


class TaskSnoozeForm(forms.Form):
    days = forms.IntegerField(label=_("Snooze for (days)"), min_value=1, max_value=30, initial=3)
