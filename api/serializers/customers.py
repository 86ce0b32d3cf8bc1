"""Customers, contacts, contact logs and transactions as the API reads and writes them.
Phone, e-mail and WeChat are masked exactly as on the pages (customers.privacy)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.forms import CONTACT_FIELDS, CUSTOMER_FIELDS, NON_NEGATIVE_FIELDS
from customers.models import Contact, ContactLog, Customer, Transaction
from customers.privacy import PERSONAL_FIELDS, mask, personal_data_visible

from .base import StrictModelSerializer


def _masked(data: dict, user, customer: Customer) -> dict:
    if not personal_data_visible(user, customer):
        for name in PERSONAL_FIELDS:
            if name in data:
                data[name] = mask(name, data[name])
    return data


class CustomerSerializer(serializers.ModelSerializer):
    """A customer as read. `classes`: the current class code per dimension (list responses
    carry it for every row, read in one query per page)."""

    code = serializers.CharField(source="external_code")
    owner = serializers.CharField(source="owner.username", default=None, allow_null=True)
    team = serializers.CharField(source="team.name", default=None, allow_null=True)
    classes = serializers.SerializerMethodField()
    # Plain text, not e-mail: a masked address (a***@example.com) is what some readers get.
    email = serializers.CharField()

    # Output only (never bound to input): fields keep their blank/null flags for the schema,
    # which read_only_fields would drop.
    class Meta:
        model = Customer
        fields = ["id", "code", *CUSTOMER_FIELDS, "owner", "team", "created_at", "updated_at"]
        fields.append("classes")

    def get_classes(self, obj) -> dict[str, str]:
        return self.context.get("classes", {}).get(obj.pk, {})

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return _masked(data, self.context["request"].user, instance)


class CustomerWriteSerializer(StrictModelSerializer):
    """Create (`code` required) and update (PATCH; `code` is fixed once created). `owner` (a
    user name) only for managers, directors and admins, limited to whom they may assign."""

    code = serializers.CharField(source="external_code", max_length=64)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=Customer.objects.none(), required=False
    )
    confirm_duplicate = serializers.BooleanField(
        required=False,
        write_only=True,
        help_text="Save although a customer with the same name, phone or tax number exists.",
    )

    class Meta:
        model = Customer
        fields = ["code", *CUSTOMER_FIELDS, "owner", "confirm_duplicate"]
        extra_kwargs = {name: {"min_value": 0} for name in NON_NEGATIVE_FIELDS}

    def __init__(self, *args, assignable=None, **kwargs):
        super().__init__(*args, **kwargs)
        if assignable is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = assignable
        if self.instance is not None:
            del self.fields["code"]


class ContactSerializer(serializers.ModelSerializer):
    email = serializers.CharField()  # may be masked

    class Meta:
        model = Contact
        fields = ["id", *CONTACT_FIELDS, "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return _masked(data, self.context["request"].user, self.context["customer"])


class ContactWriteSerializer(StrictModelSerializer):
    class Meta:
        model = Contact
        fields = CONTACT_FIELDS


class ContactLogSerializer(serializers.ModelSerializer):
    rep = serializers.CharField(source="rep.username", default=None, allow_null=True)

    class Meta:
        model = ContactLog
        fields = [
            "id",
            "channel",
            "direction",
            "contact",
            "occurred_at",
            "summary",
            "outcome",
            "next_follow_up",
            "rep",
            "created_at",
        ]


class ContactLogWriteSerializer(StrictModelSerializer):
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = ContactLog
        fields = ["channel", "direction", "contact", "occurred_at", "summary", "outcome"]
        fields.append("next_follow_up")

    def __init__(self, *args, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if customer is not None:
            self.fields["contact"].queryset = Contact.objects.filter(customer=customer)

    def validate_summary(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError(_("Write what was said or agreed."))
        return value

    def validate_next_follow_up(self, value):
        if value and value < timezone.localdate():
            raise serializers.ValidationError(_("The next follow-up cannot be in the past."))
        return value


class TransactionSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="external_code", allow_null=True)
    category = serializers.CharField(source="category.code", default=None, allow_null=True)
    product = serializers.CharField(source="product.code", default=None, allow_null=True)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "code",
            "date",
            "amount",
            "cost",
            "quantity",
            "category",
            "product",
            "payment_method",
            "status",
            "due_date",
            "paid_date",
            "created_at",
        ]
