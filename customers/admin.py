"""Admin for the customer records. Querysets go through customers.access so a manager who
browses the admin sees exactly what the workspace would show; foreign keys to customers use
autocomplete because a select box of a million customers cannot render."""

from collections.abc import Callable, Sequence
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.admin_history import ScopedHistoryAdmin
from crm.models import User
from crm.pagination import CappedCountPaginator

from . import access
from .admin_privacy import MasksPersonalData
from .anonymise import customer_anonymise
from .history import reason_label
from .models import (
    Category,
    Contact,
    ContactLog,
    Customer,
    CustomerAnonymisation,
    CustomerTag,
    ExportLog,
    ImportLog,
    Product,
    Referral,
    SatisfactionSurvey,
    ServiceCase,
    TagDefinition,
    TagOption,
    Transaction,
)
from .privacy import shown
from .services import contact_log_save, contact_logs_delete


class ScopedAdmin(admin.ModelAdmin):
    """Scopes the changelist and every object lookup to what the user may see."""

    # The records this admin lists for a user; subclasses name their own access selector.
    scope: Callable[[User], QuerySet[Any]] = staticmethod(access.customers_visible_to)
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request):
        qs = self.scope(request.user)
        if self.list_select_related:
            # Our admins list the relations by name (never `True`).
            qs = qs.select_related(*cast(Sequence[str], self.list_select_related))
        return qs


class ContactInline(MasksPersonalData, admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "role", "is_champion", "is_primary", "phone", "email"]

    def customer_id_for(self, obj):
        return obj.pk  # the parent customer


class AnonymiseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why (the request or ticket)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand this erases the personal data for good."),
        required=True,
    )


@admin.register(Customer)
class CustomerAdmin(MasksPersonalData, ScopedHistoryAdmin, ScopedAdmin):
    """History (admin → History) shows who changed the owner or team, and when. Phone and
    e-mail are masked and read-only for whoever would see them masked on the customer page
    (customers.admin_privacy)."""

    actions = ["anonymise"]
    list_display = [
        "external_code",
        "name",
        "kind",
        "industry",
        "size",
        "region",
        "market",
        "owner",
        "team",
    ]
    list_filter = ["kind", "industry", "size", "region", "market", "source_channel", "team"]
    list_select_related = ["owner", "team"]
    search_fields = ["name", "=external_code", "=phone", "=tax_number"]
    autocomplete_fields = ["owner"]
    inlines = [ContactInline]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "external_code",
                    "name",
                    "kind",
                    ("owner", "team"),
                    ("industry", "size"),
                    ("region", "city", "market"),
                    "address",
                    "source_channel",
                    ("phone", "email", "website"),
                    "tax_number",
                    "interest_since",
                    "notes",
                ]
            },
        ),
        (
            "Firmographics",
            {
                "fields": [
                    ("annual_budget", "annual_revenue"),
                    ("employees", "industry_outlook", "growth_rate"),
                    "acquisition_cost",
                ]
            },
        ),
        (
            "Demographics",
            {
                "classes": ["collapse"],
                "fields": [
                    ("age_band", "gender"),
                    ("income_band", "education", "marital_status"),
                ],
            },
        ),
        (None, {"fields": [("created_at", "updated_at")]}),
    ]

    def customer_id_for(self, obj):
        return obj.pk

    # Owner and team of each version: readable even where there is no earlier version to
    # compare with (customers created by an import or the seed have no "created" row).
    history_list_display = ["owner", "team"]

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # Bulk moves store a stable reason (customers.history.OwnerChange): shown translated.
        for record in historical_records:
            record.history_change_reason = reason_label(record.history_change_reason)
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_crm_admin:
            actions.pop("anonymise", None)
        return actions

    @admin.action(description=gettext_lazy("Anonymise (personal-information deletion request)"))
    def anonymise(self, request, queryset):
        """Asks for the reason and a confirmation, then erases each selected customer's
        personal data (customers.anonymise.customer_anonymise). Administrators only."""
        if not request.user.is_crm_admin:
            raise PermissionDenied
        form = AnonymiseForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for customer in queryset:
                try:
                    customer_anonymise(
                        actor=request.user, customer=customer, reason=form.cleaned_data["reason"]
                    )
                except ValidationError as exc:
                    self.message_user(
                        request,
                        f"{customer.external_code}: {' '.join(exc.messages)}",
                        messages.ERROR,
                    )
                else:
                    done += 1
            if done:
                self.message_user(
                    request, _("%(n)s customers anonymised.") % {"n": done}, messages.SUCCESS
                )
            return None
        return TemplateResponse(
            request,
            "admin/customers/customer/anonymise.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Anonymise customers"),
                "opts": self.model._meta,
                "customers": queryset[:100],
                "count": queryset.count(),
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            },
        )


@admin.register(Contact)
class ContactAdmin(MasksPersonalData, ScopedAdmin):
    scope = staticmethod(access.contacts_visible_to)
    customer_path = "customer__"
    list_display = ["name", "customer", "title", "role", "is_champion", "is_primary", "phone"]
    list_filter = ["role", "is_champion"]
    list_select_related = ["customer"]
    search_fields = ["name", "=phone", "customer__name"]
    autocomplete_fields = ["customer"]

    def get_list_display(self, request):
        """The phone column as customers.privacy lets this user see it (a director browsing
        another team's contacts sees it masked)."""

        @admin.display(description=gettext_lazy("phone"))
        def phone(obj):
            return shown(request.user, obj.customer, obj, "phone")

        return [phone if name == "phone" else name for name in self.list_display]

    def customer_id_for(self, obj):
        return obj.customer_id


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "list_price", "unit_cost", "is_active"]
    list_filter = ["category", "is_active"]
    list_select_related = ["category"]
    search_fields = ["code", "name"]


@admin.register(Transaction)
class TransactionAdmin(ScopedAdmin):
    scope = staticmethod(access.transactions_visible_to)
    list_display = [
        "date",
        "customer",
        "amount",
        "cost",
        "category",
        "payment_method",
        "status",
        "due_date",
        "paid_date",
    ]
    list_filter = ["status", "payment_method", "category"]
    list_select_related = ["customer", "category"]
    search_fields = ["=external_code", "=customer__external_code"]
    autocomplete_fields = ["customer", "product", "rep"]
    ordering = ["-date", "-id"]


@admin.register(ContactLog)
class ContactLogAdmin(ScopedAdmin):
    scope = staticmethod(access.contact_logs_visible_to)
    list_display = [
        "occurred_at",
        "customer",
        "channel",
        "direction",
        "outcome",
        "rep",
        "next_follow_up",
    ]
    list_filter = ["channel", "direction", "outcome"]
    list_select_related = ["customer", "rep"]
    search_fields = ["=customer__external_code", "summary"]
    autocomplete_fields = ["customer", "contact", "rep"]

    # A log edited, moved to another customer or deleted here changes "last contact" as much
    # as one logged in the workspace: the services tell the layers that derive from it.
    def save_model(self, request, obj, form, change):
        contact_log_save(log=obj)

    def delete_model(self, request, obj):
        contact_logs_delete(logs=ContactLog.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        contact_logs_delete(logs=queryset)


@admin.register(ServiceCase)
class ServiceCaseAdmin(ScopedAdmin):
    scope = staticmethod(access.service_cases_visible_to)
    list_display = ["opened_on", "customer", "kind", "status", "severity", "subject", "closed_on"]
    list_filter = ["kind", "status", "severity"]
    list_select_related = ["customer"]
    search_fields = ["subject", "=customer__external_code"]
    autocomplete_fields = ["customer", "transaction"]


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(ScopedAdmin):
    scope = staticmethod(access.surveys_visible_to)
    list_display = ["surveyed_on", "customer", "score"]
    list_filter = ["score"]
    list_select_related = ["customer"]
    search_fields = ["=customer__external_code"]
    autocomplete_fields = ["customer"]


@admin.register(Referral)
class ReferralAdmin(ScopedAdmin):
    scope = staticmethod(access.referrals_visible_to)
    list_display = ["referred_on", "referrer", "referred", "referred_name", "converted"]
    list_filter = ["converted"]
    list_select_related = ["referrer", "referred"]
    autocomplete_fields = ["referrer", "referred"]


class TagOptionInline(admin.TabularInline):
    model = TagOption
    extra = 2
    fields = ["order", "code", "label_zh_hans", "label_en"]


@admin.register(TagDefinition)
class TagDefinitionAdmin(admin.ModelAdmin):
    """Tags (manual attributes) and their allowed values; reps set them on the customer page
    and custom classification rules read them as tag.<key>."""

    inlines = [TagOptionInline]
    list_display = ["key", "name_zh_hans", "name_en", "active", "order"]
    list_editable = ["active", "order"]

    def has_module_permission(self, request):
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return bool(getattr(request.user, "is_crm_admin", False))

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request)


@admin.register(CustomerTag)
class CustomerTagAdmin(ScopedAdmin):
    scope = staticmethod(
        lambda user: CustomerTag.objects.filter(
            customer__in=access.customers_visible_to(user).values("pk")
        )
    )
    list_display = ["customer", "tag", "value", "set_by", "set_at"]
    list_filter = ["tag", "value"]
    list_select_related = ["customer", "tag", "set_by"]
    raw_id_fields = ["customer"]


class _ReadOnlyAuditAdmin(admin.ModelAdmin):
    """Audit records: written by the system, never edited, seen by administrators only."""

    paginator = CappedCountPaginator
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return bool(request.user.is_active and request.user.is_crm_admin)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExportLog)
class ExportLogAdmin(_ReadOnlyAuditAdmin):
    list_display = ["at", "username", "source", "format", "query", "personal_data", "rows"]
    list_filter = ["source", "format", "personal_data"]
    search_fields = ["username", "query"]
    date_hierarchy = "at"


@admin.register(ImportLog)
class ImportLogAdmin(_ReadOnlyAuditAdmin):
    list_display = ["at", "username", "kind", "file_name", "rows", "created", "updated", "skipped"]
    list_filter = ["kind", "succeeded"]
    search_fields = ["username", "file_name"]
    date_hierarchy = "at"


@admin.register(CustomerAnonymisation)
class CustomerAnonymisationAdmin(_ReadOnlyAuditAdmin):
    list_display = ["at", "customer", "actor_username", "reason"]
    search_fields = ["=customer__external_code", "actor_username"]
    list_select_related = ["customer"]
