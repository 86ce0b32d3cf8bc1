from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.admin_history import ScopedHistoryAdmin
from customers.access import customers_visible_to
from segmentation.dimensions import class_label

from .forms import PlaybookAdminForm
from .models import Enrollment, Playbook, PlaybookStep, PoolEvent, StrategySettings, Task
from .services import (
    enrollment_save,
    enrollments_delete,
    playbook_save,
    playbooks_delete,
    pool_events_delete,
)


class _CustomerScopedAdmin(admin.ModelAdmin):
    """Rows that belong to a customer: an admin user sees those of the customers they may see
    (customers.access), whatever model permissions they were given."""

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(customer_id__in=customers_visible_to(request.user).values("pk"))
        )


class PlaybookStepInline(admin.TabularInline):
    model = PlaybookStep
    extra = 1
    fields = ["order", "kind", "day_offset", "instruction_zh", "instruction_en"]
    # Django's default textarea (40 columns × 10 rows) twice in a row made the page ~2,000 px
    # wide; short boxes that grow with the text keep it within a laptop screen.
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 32})},
    }


@admin.register(Playbook)
class PlaybookAdmin(ScopedHistoryAdmin):
    form = PlaybookAdminForm
    inlines = [PlaybookStepInline]
    list_display = [
        "name_zh", "name_en", "dimension", "class_display", "priority", "cadence_days",
        "service_level", "max_interval_days", "release_after_days", "active",
    ]  # fmt: skip
    list_filter = ["active", "dimension", "service_level"]
    list_editable = ["priority", "active"]
    search_fields = ["name_zh", "name_en", "code"]
    fieldsets = [
        (None, {"fields": ["code", "target", "priority", "active"]}),
        (_("Name and goal"), {"fields": ["name_zh", "name_en", "goal_zh", "goal_en"]}),
        (
            _("Service level"),
            {
                "fields": [
                    "service_level",
                    "cadence_days",
                    "max_interval_days",
                    "release_after_days",
                ]
            },
        ),
        (_("Guidance"), {"fields": ["channel_zh", "channel_en", "pricing_zh", "pricing_en"]}),
    ]

    @admin.display(description=_("class"))
    def class_display(self, obj: Playbook) -> str:
        return class_label(obj.dimension, obj.class_code)

    # Writes go through the services, which keep the next contact deadlines in step.
    def save_model(self, request, obj, form, change):
        playbook_save(actor=request.user, playbook=obj)

    def delete_model(self, request, obj):
        playbooks_delete(playbooks=Playbook.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        playbooks_delete(playbooks=queryset)


@admin.register(StrategySettings)
class StrategySettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__", "max_open_tasks", "missed_after_days", "pool_enabled", "pool_notice_days",
        "prospect_release_days", "claim_limit", "claim_window_days",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return not StrategySettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(_CustomerScopedAdmin):
    list_display = ["customer", "playbook", "reason", "started_on", "ended_on", "tasks_capped"]
    list_filter = ["reason", "playbook"]
    list_select_related = ["customer", "playbook"]
    raw_id_fields = ["customer"]
    show_full_result_count = False
    date_hierarchy = "started_on"

    def has_add_permission(self, request):
        return False

    # Writes go through the services, which move the customers' next contact deadlines.
    def save_model(self, request, obj, form, change):
        enrollment_save(enrollment=obj)

    def delete_model(self, request, obj):
        enrollments_delete(enrollments=Enrollment.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        enrollments_delete(enrollments=queryset)


@admin.register(Task)
class TaskAdmin(_CustomerScopedAdmin):
    list_display = ["customer", "kind", "due_on", "status", "owner", "completed_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["customer", "owner"]
    raw_id_fields = ["customer", "owner", "enrollment", "step", "contact_log"]
    show_full_result_count = False
    date_hierarchy = "due_on"

    def has_add_permission(self, request):
        return False


@admin.register(PoolEvent)
class PoolEventAdmin(_CustomerScopedAdmin):
    list_display = ["on", "kind", "customer", "user", "team", "reason"]
    list_filter = ["kind", "team"]
    list_select_related = ["customer", "user", "team"]
    raw_id_fields = ["customer", "user"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        pool_events_delete(events=PoolEvent.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        pool_events_delete(events=queryset)


@admin.register(PlaybookStep.history.model)
class PlaybookStepHistoryAdmin(admin.ModelAdmin):
    """Who added, changed or removed which playbook step, and when (steps are edited inline
    on the playbook, so their changes are listed here)."""

    list_display = [
        "history_date",
        "history_user",
        "history_type",
        "playbook",
        "order",
        "kind",
        "day_offset",
    ]
    list_filter = ["history_type", "playbook"]
    list_select_related = ["history_user", "playbook"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
