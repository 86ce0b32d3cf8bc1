"""Admin of the classes a run produced, their history and hand-set pins (read-only but for
pins; scoped to the customers the user may see)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from crm.admin_history import ScopedHistoryAdmin
from crm.pagination import CappedCountPaginator
from customers.access import customers_visible_to

from .dimensions import dimension_specs
from .models import (
    ClassChange,
    ClassPin,
    CustomerClasses,
    Run,
)
from .selectors import class_views
from .services import (
    class_pin_errors,
    class_pin_set,
)


class _ScopedReadOnly(admin.ModelAdmin):
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CustomerClasses)
class CustomerClassesAdmin(_ScopedReadOnly):
    list_display = [
        "customer",
        "lifecycle",
        "value_tier",
        "loyalty",
        "potential",
        "value_potential",
        "frequency",
        "rfm_segment",
        "churn_warning",
        "payment_risk",
        "problem_customer",
    ]
    list_filter = [
        "lifecycle",
        "value_tier",
        "loyalty",
        "potential",
        "value_potential",
        "frequency",
        "rfm_segment",
        "churn_warning",
        "payment_risk",
        "problem_customer",
    ]
    list_select_related = ["customer"]
    search_fields = ["=customer__external_code", "customer__name"]
    fields = ["customer", "run", "reasons"]
    readonly_fields = ["customer", "run", "reasons"]

    def get_queryset(self, request):
        run = Run.objects.filter(is_current=True).first()
        qs = super().get_queryset(request)
        if run is None:
            return qs.none()
        return qs.filter(
            run=run, customer_id__in=customers_visible_to(request.user).values("pk")
        ).select_related("run__rule_set")

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    @admin.display(description=_("classes and reasons"))
    def reasons(self, obj: CustomerClasses):
        row = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
        views = class_views(run=obj.run, row=row, customer_id=obj.customer_id, pins={})
        lines = [(v.dimension_label, v.code, v.reason) for v in views]
        return format_html_join("", "<div><strong>{}</strong>: {} — {}</div>", lines)


@admin.register(ClassChange)
class ClassChangeAdmin(_ScopedReadOnly):
    list_display = ["as_of", "customer", "dimension", "from_code", "to_code", "run"]
    list_filter = ["dimension", "to_code", "as_of"]
    list_select_related = ["customer", "run"]
    search_fields = ["=customer__external_code"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(customer_id__in=customers_visible_to(request.user).values("pk"))
        )


def _pin_dimension_choices():
    return [(spec.key, spec.label) for spec in dimension_specs()]


class ClassPinAdminForm(forms.ModelForm):
    # Every dimension the next run computes; class_pin_errors checks the pair.
    dimension = forms.ChoiceField(label=_("dimension"), choices=_pin_dimension_choices)

    class Meta:
        model = ClassPin
        fields = ["customer", "dimension", "code", "reason", "expires_on"]

    def _get_validation_exclusions(self):
        # The model field's fixed choices know only built-in dimensions.
        exclusions = super()._get_validation_exclusions()  # type: ignore[misc]
        exclusions.add("dimension")
        return exclusions

    def clean(self):
        data = super().clean() or {}
        errors = class_pin_errors(
            dimension=data.get("dimension", ""),
            code=data.get("code", ""),
            reason=data.get("reason", ""),
            expires_on=data.get("expires_on"),
        )
        for field, messages_ in errors.items():
            for message in messages_:
                self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(ClassPin)
class ClassPinAdmin(ScopedHistoryAdmin):
    form = ClassPinAdminForm
    list_display = [
        "customer",
        "dimension",
        "code",
        "reason",
        "expires_on",
        "created_by",
        "created_at",
    ]
    list_filter = ["dimension", "expires_on"]
    list_select_related = ["customer", "created_by"]
    autocomplete_fields = ["customer"]
    fields = ["customer", "dimension", "code", "reason", "expires_on"]
    paginator = CappedCountPaginator
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(customer_id__in=customers_visible_to(request.user).values("pk"))
        )

    def save_model(self, request, obj, form, change):
        try:
            pin = class_pin_set(
                actor=request.user,
                customer_id=obj.customer_id,
                dimension=obj.dimension,
                code=obj.code,
                reason=obj.reason,
                expires_on=obj.expires_on,
            )
        except ValidationError as exc:
            # The form has already passed; report the service's reason rather than a 500.
            messages.error(request, "; ".join(exc.messages))
            return
        obj.pk = pin.pk
        obj._state.adding = False
