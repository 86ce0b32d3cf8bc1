"""Forms of the rep's workspace: explicit field lists, querysets scoped to the actor."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import User
from crm.widgets import IsoDateInput

from .cells import control_character
from .models import Contact, ContactLog, Customer
from .selectors import users_assignable_by
from .services import can_manage_customers

CUSTOMER_FIELDS = [
    "name",
    "kind",
    "industry",
    "size",
    "region",
    "city",
    "address",
    "market",
    "source_channel",
    "phone",
    "email",
    "website",
    "tax_number",
    "annual_budget",
    "annual_revenue",
    "employees",
    "industry_outlook",
    "growth_rate",
    "age_band",
    "gender",
    "income_band",
    "education",
    "marital_status",
    "acquisition_cost",
    "interest_since",
    "notes",
]


def no_control_characters(value: str) -> None:
    code = control_character(value)
    if code:
        raise ValidationError(
            _("Contains an invisible control character (%(code)s); please remove it."),
            code="control_character",
            params={"code": code},
        )


class PlainTextMixin:
    """Every text field refuses invisible control characters: they cannot be typed, most
    come from pasting binary data, and spreadsheets cannot store them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            if isinstance(field, forms.CharField):
                field.validators.append(no_control_characters)


NON_NEGATIVE_FIELDS = ("acquisition_cost", "annual_budget", "annual_revenue", "employees")
# Shown by customer kind (the form hides the other kind's fields with CSS, so switching the
# kind shows them at once): demographics describe a person, firmographics a company.
INDIVIDUAL_ONLY_FIELDS = ("age_band", "gender", "income_band", "education", "marital_status")
COMPANY_ONLY_FIELDS = ("size", "employees", "annual_revenue", "tax_number", "industry_outlook",
                       "growth_rate")  # fmt: skip


class CustomerForm(PlainTextMixin, forms.ModelForm):
    """Edit (and create) a customer. Managers also see `owner`, limited to their team."""

    confirm_duplicate = forms.BooleanField(
        label=_("Yes, this is a different customer — save anyway"), required=False
    )

    class Meta:
        model = Customer
        fields = ["external_code", *CUSTOMER_FIELDS, "owner"]
        widgets = {
            "interest_since": IsoDateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "address": forms.TextInput(),
        }

    individual_only = INDIVIDUAL_ONLY_FIELDS
    company_only = COMPANY_ONLY_FIELDS

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        if "acquisition_cost" in self.fields:
            # Often unknown when a customer is entered; blank stores the model's default, 0.
            self.fields["acquisition_cost"].required = False
        if can_manage_customers(actor):
            cast(forms.ModelChoiceField, self.fields["owner"]).queryset = users_assignable_by(
                user=actor
            )
            self.fields["owner"].required = True
        else:
            del self.fields["owner"]
        if self.instance.pk:
            # The code keys imports from other systems; it is fixed once the customer exists.
            del self.fields["external_code"]
        for name in NON_NEGATIVE_FIELDS:
            if name in self.fields:
                # Mirrors the model's check constraints with a message about the field.
                cast(forms.DecimalField, self.fields[name]).min_value = 0
                self.fields[name].validators.append(MinValueValidator(0))
                self.fields[name].widget.attrs["min"] = 0
        self.duplicates: list[Customer] = []
        self.hidden_duplicates = 0

    def clean_acquisition_cost(self):
        value = self.cleaned_data.get("acquisition_cost")
        return (
            Customer._meta.get_field("acquisition_cost").get_default() if value is None else value
        )

    def clean(self):
        cleaned = cast(dict[str, Any], super().clean())  # a ModelForm's is never None
        from .selectors import customer_duplicates

        if self.errors:
            return cleaned
        changed = {"name", "phone", "tax_number"} & set(self.changed_data)
        if changed or not self.instance.pk:
            self.duplicates, self.hidden_duplicates = customer_duplicates(
                user=self.actor,
                name=cleaned.get("name", "") if "name" in changed or not self.instance.pk else "",
                phone=cleaned.get("phone", ""),
                tax_number=cleaned.get("tax_number", ""),
                exclude_id=self.instance.pk,
            )
            if (self.duplicates or self.hidden_duplicates) and not cleaned.get("confirm_duplicate"):
                raise forms.ValidationError(
                    _(
                        "A customer with the same name, phone or tax number already exists. "
                        "Open it below, or confirm that this is a different customer."
                    ),
                    code="duplicate",
                )
        return cleaned

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "confirm_duplicate"}
        return data


# What a user may write on a contact (the page's form and the API share the list).
CONTACT_FIELDS = [
    "name",
    "title",
    "role",
    "is_champion",
    "is_primary",
    "phone",
    "email",
    "wechat",
    "notes",
]


class ContactForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = CONTACT_FIELDS
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class ContactLogForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = ContactLog
        fields = ["channel", "direction", "contact", "summary", "outcome", "next_follow_up"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "next_follow_up": IsoDateInput(),
        }

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["contact"]).queryset = Contact.objects.filter(
            customer=customer
        )
        self.fields["contact"].required = False

    def clean_summary(self):
        summary = self.cleaned_data["summary"].strip()
        if not summary:
            raise forms.ValidationError(_("Write what was said or agreed."))
        return summary

    def clean_next_follow_up(self):
        value = self.cleaned_data.get("next_follow_up")
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("The next follow-up cannot be in the past."))
        return value


class MergeForm(forms.Form):
    other_code = forms.CharField(
        label=_("Code of the duplicate customer to merge into this one"), max_length=64
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand: the duplicate's orders, logs, contacts and history move here and "
            "the duplicate is removed."
        )
    )


# The page refuses bigger uploads; the management command has no limit.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
UPLOAD_SUFFIXES = (".csv", ".txt", ".xlsx")


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file contains"), choices=())
    file = forms.FileField(
        label=_("File (CSV or Excel .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(UPLOAD_SUFFIXES)}),
    )
    create_customers = forms.BooleanField(
        label=_("Create customers for unknown customer codes"),
        required=False,
        help_text=_("The code becomes the name until you complete the profile."),
    )

    def __init__(self, *args, **kwargs):
        from .importing import KINDS

        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            (k.name, k.label) for k in KINDS.values()
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith(UPLOAD_SUFFIXES):
            raise forms.ValidationError(
                _("Upload a .csv or .xlsx file (Excel: File › Save as › CSV UTF-8 or .xlsx).")
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB; split it or use the import_data command.")
                % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload
