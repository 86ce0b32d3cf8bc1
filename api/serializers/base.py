"""Strict input: a JSON object, only the documented fields (an unknown field is an error, not
silently ignored), no invisible control characters in text."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.forms import no_control_characters


class StrictMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            if isinstance(field, serializers.CharField) and not field.read_only:
                field.validators.append(no_control_characters)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Expected a JSON object.")]}, code="invalid"
            )
        writable = {name for name, f in self.fields.items() if not f.read_only}  # type: ignore[attr-defined]
        unknown = sorted(set(data) - writable)
        if unknown:
            raise serializers.ValidationError(
                {name: [_("Unknown field.")] for name in unknown}, code="unknown_field"
            )
        # DRF's CharField turns a JSON number into text; a number where text belongs (a tax
        # number sent as 91310000…) loses leading zeros and precision, so it is an error.
        wrong = sorted(
            name
            for name, value in data.items()
            if value is not None
            and not isinstance(value, str)
            and isinstance(self.fields[name], serializers.CharField)  # type: ignore[attr-defined]
        )
        if wrong:
            raise serializers.ValidationError(
                {name: [_("Expected text (a JSON string).")] for name in wrong}, code="invalid"
            )
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictSerializer(StrictMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictMixin, serializers.ModelSerializer):
    pass


class ErrorItemSerializer(serializers.Serializer):
    index = serializers.IntegerField(required=False, help_text="Item of a batch (0-based).")
    field = serializers.CharField()
    value = serializers.CharField(required=False)
    reason = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = ErrorItemSerializer(many=True, required=False)
