"""Admin of custom dimensions: versions with their ordered classes (rules as JSON, validated
with messages that name the condition), new draft / activate / retire, and a preview of what a
draft would do to the current run's customers. Registered from segmentation.admin."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.admin_history import ScopedHistoryAdmin
from segmentation.models import CustomClass, CustomDimension, CustomDimensionStatus

from .catalog import catalog_help, catalog_load
from .schema import dimension_errors
from .selectors import labels_cache_clear
from .services import (
    _next_version,
    custom_dimension_activate,
    custom_dimension_new_draft,
    custom_dimension_preview,
    custom_dimension_retire,
)

RULE_HELP = _(
    'A rule is JSON: {"all": [conditions]}, {"any": [conditions]}, {"not": condition} or a '
    'condition {"field": "margin_pct", "op": ">=", "value": 30}. Operators: = ≠ < ≤ > ≥ '
    '(also != <= >=), between [low, high], in [values], empty. Example: {"all": [{"field": '
    '"tag.need", "op": "=", "value": "quality"}, {"field": "margin_pct", "op": ">=", '
    '"value": 30}]}. The first class (by order) whose rule holds wins; leave the default '
    "class's rule empty."
)


def _is_admin(request) -> bool:
    return bool(getattr(request.user, "is_crm_admin", False))


class CustomClassForm(forms.ModelForm):
    class Meta:
        model = CustomClass
        fields = ["order", "code", "name_zh_hans", "name_en", "is_default", "rule"]
        widgets = {"rule": forms.Textarea(attrs={"rows": 4, "cols": 90})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].required = False
        self.fields["rule"].help_text = f"{RULE_HELP} {catalog_help()}"

    def clean_rule(self):
        return self.cleaned_data.get("rule") or {}


class CustomClassFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        classes = [
            {
                "code": f.cleaned_data.get("code", ""),
                "order": f.cleaned_data.get("order") or 0,
                "rule": f.cleaned_data.get("rule") or {},
                "is_default": bool(f.cleaned_data.get("is_default")),
            }
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        errors, _spec = dimension_errors(classes=classes, catalog=catalog_load())
        if errors:
            raise ValidationError(errors)


class CustomClassInline(admin.StackedInline):
    model = CustomClass
    form = CustomClassForm
    formset = CustomClassFormSet
    extra = 1
    ordering = ["order"]

    def has_add_permission(self, request, obj=None):
        return _is_admin(request) and (obj is None or obj.status == CustomDimensionStatus.DRAFT)

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)


class CustomDimensionAdmin(ScopedHistoryAdmin):
    inlines = [CustomClassInline]
    list_display = ["code", "version", "name_zh_hans", "name_en", "status", "created_by",
                    "created_at", "activated_at"]  # fmt: skip
    list_filter = ["status", "code"]
    fields = ["code", "name_zh_hans", "name_en", "description", "version", "status",
              "based_on", "created_by", "created_at", "activated_at"]  # fmt: skip
    readonly_fields = ["version", "status", "based_on", "created_by", "created_at",
                       "activated_at"]  # fmt: skip
    actions = ["new_draft", "activate", "retire"]
    change_form_template = "admin/segmentation/customdimension/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "code"] if obj is not None else fields

    def has_view_permission(self, request, obj=None):
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request):
        return _is_admin(request)

    def has_change_permission(self, request, obj=None):
        # A version a run has used is never edited: copy it to a new draft instead.
        return _is_admin(request) and (obj is None or obj.status == CustomDimensionStatus.DRAFT)

    def has_delete_permission(self, request, obj=None):
        # Only never-used drafts may go; active and retired versions explain past runs.
        return _is_admin(request) and obj is not None and obj.status == CustomDimensionStatus.DRAFT

    def save_model(self, request, obj, form, change):
        if not change:
            obj.version = _next_version(obj.code)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        labels_cache_clear()

    def get_urls(self):
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="segmentation_customdimension_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        dimension = get_object_or_404(CustomDimension, pk=pk)
        try:
            result = custom_dimension_preview(dimension=dimension)
        except ValueError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:segmentation_customdimension_change", args=[pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Preview of {name} v{v}").format(
                name=dimension.name, v=dimension.version
            ),
            "dimension": dimension,
            "result": result,
        }
        return TemplateResponse(request, "admin/segmentation/customdimension/preview.html", context)

    def _one(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, gettext("Select exactly one version."), messages.ERROR)
            return None
        return queryset.get()

    @admin.action(description=_("Copy to a new draft version"))
    def new_draft(self, request, queryset):
        if not _is_admin(request):
            raise PermissionDenied
        source = self._one(request, queryset)
        if source is None:
            return None
        draft = custom_dimension_new_draft(source=source, actor=request.user)
        self.message_user(
            request,
            gettext("Draft version {v} created: edit it, preview it, then activate it.").format(
                v=draft.version
            ),
        )
        return HttpResponseRedirect(
            reverse("admin:segmentation_customdimension_change", args=[draft.pk])
        )

    @admin.action(description=_("Activate the selected draft"))
    def activate(self, request, queryset):
        if not _is_admin(request):
            raise PermissionDenied
        dimension = self._one(request, queryset)
        if dimension is None:
            return
        try:
            dimension = custom_dimension_activate(dimension=dimension)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        labels_cache_clear()
        self.message_user(
            request,
            gettext("{name} v{v} is active; the next run computes it.").format(
                name=dimension.name, v=dimension.version
            ),
        )

    @admin.action(description=_("Retire the selected active version"))
    def retire(self, request, queryset):
        if not _is_admin(request):
            raise PermissionDenied
        dimension = self._one(request, queryset)
        if dimension is None:
            return
        try:
            custom_dimension_retire(dimension=dimension)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        labels_cache_clear()
        self.message_user(
            request, gettext("{name} is no longer computed.").format(name=dimension.name)
        )


class CustomClassHistoryAdmin(admin.ModelAdmin):
    """Who added, changed or removed which class (and its rule) of a custom dimension, and
    when; classes are edited inline on the dimension, so their history is listed here."""

    list_display = ["history_date", "history_user", "history_type", "dimension", "order", "code"]
    list_filter = ["history_type"]
    list_select_related = ["history_user", "dimension"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
