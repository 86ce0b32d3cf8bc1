"""Admin: tokens (list, revoke), webhook subscriptions, deliveries with the dead-letter list
and its replay action, and the API write log. Only CRM administrators see any of it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.pagination import CappedCountPaginator

from .models import (
    ApiToken,
    ApiWriteLog,
    DeliveryStatus,
    EventKind,
    WebhookDelivery,
    WebhookSubscription,
)
from .webhooks.delivery import deliveries_replay


def _is_admin(request) -> bool:
    return bool(getattr(request.user, "is_crm_admin", False))


class AdminOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return _is_admin(request)

    def has_view_permission(self, request, obj=None):
        return _is_admin(request)

    def has_add_permission(self, request):
        return _is_admin(request)

    def has_change_permission(self, request, obj=None):
        return _is_admin(request)

    def has_delete_permission(self, request, obj=None):
        return _is_admin(request)


class ReadOnly(AdminOnly):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnly):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "last_used_at", "state"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "user__username", "name"]
    list_select_related = ["user"]
    exclude = ["digest"]
    actions = ["revoke"]

    @admin.display(description=gettext_lazy("status"))
    def state(self, obj: ApiToken) -> str:
        if obj.revoked_at:
            return _("revoked")
        return _("expired") if obj.is_expired else _("active")

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        n = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, _("%(n)s tokens revoked.") % {"n": n}, messages.SUCCESS)

    def has_change_permission(self, request, obj=None):
        # The revoke action is a change; the form itself shows no editable field.
        return _is_admin(request)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ApiToken._meta.fields if f.name != "digest"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(AdminOnly):
    list_display = ["name", "format", "url", "events", "team", "is_active"]
    list_filter = ["format", "is_active"]
    search_fields = ["name", "url"]
    fields = ["name", "url", "format", "events", "dimensions", "team", "secret", "is_active"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "events" and field is not None:
            field.help_text = _("Any of: %s. Empty list: all.") % ", ".join(EventKind.values)
        return field


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    """Deliveries; filter "Failed (dead letter)" for the dead-letter list and replay them."""

    list_display = [
        "created_at",
        "event",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
    ]
    list_filter = ["status", "event", "subscription"]
    list_select_related = ["subscription"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    actions = ["replay"]
    readonly_fields = [
        "uid",
        "subscription",
        "event",
        "payload",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    ]

    @admin.action(description=gettext_lazy("Replay (send again)"))
    def replay(self, request, queryset):
        ids = list(
            queryset.exclude(status=DeliveryStatus.PENDING).values_list("pk", flat=True)[:1000]
        )
        n = deliveries_replay(ids=ids)
        self.message_user(
            request, _("%(n)s deliveries queued to be sent again.") % {"n": n}, messages.SUCCESS
        )

    def has_change_permission(self, request, obj=None):
        return _is_admin(request)  # the replay action; the form shows no editable field


@admin.register(ApiWriteLog)
class ApiWriteLogAdmin(ReadOnly):
    list_display = ["at", "username", "token_prefix", "action", "object_ref", "created", "updated"]
    list_filter = ["action"]
    search_fields = ["username", "token_prefix", "object_ref"]
    paginator = CappedCountPaginator
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False
