"""Admin: rule-set versions (edit = new version, activate, preview), runs (status, progress,
"run now"), current classes with reasons, history and pins. Customer-bound lists are scoped
with customers.access, like the rest of the admin."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.admin_history import ScopedHistoryAdmin
from crm.queue import QueueUnavailable

from .custom.admin import CustomClassHistoryAdmin, CustomDimensionAdmin
from .dimensions import class_label, dimension_label, dimension_specs
from .models import (
    CustomClass,
    CustomDimension,
    RuleSet,
    Run,
    RunPartition,
    RunStatus,
)
from .pipeline.claim import RunInProgress, RunRefused
from .pipeline.executors import run_start
from .pipeline.preview import DONE, FAILED, preview_progress, ruleset_preview_start
from .prediction.backtest import TABLE_HEADER, table_rows, why_text
from .services import (
    ruleset_activate,
    ruleset_save_version,
)
from .thresholds import threshold_fieldsets


def _is_admin(request) -> bool:
    return bool(getattr(request.user, "is_crm_admin", False))


@admin.register(RuleSet)
class RuleSetAdmin(ScopedHistoryAdmin):
    list_display = [
        "version",
        "name",
        "is_active",
        "value_method",
        "dormant_days",
        "churned_days",
        "created_by",
        "created_at",
    ]
    list_filter = ["is_active"]
    readonly_fields = ["version", "is_active", "based_on", "created_by", "created_at"]
    actions = ["activate", "preview"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "note",
                    "version",
                    "is_active",
                    "based_on",
                    "created_by",
                    "created_at",
                ]
            },
        ),
        # One fieldset per threshold group, from the declaration (segmentation.thresholds).
        *threshold_fieldsets(),
    ]

    def has_add_permission(self, request):
        return _is_admin(request)

    def has_change_permission(self, request, obj=None):
        return _is_admin(request)

    def has_delete_permission(self, request, obj=None):
        # Versions explain past runs; they are never deleted.
        return False

    def save_model(self, request, obj, form, change):
        """Every save is a new inactive version; the edited one stays as it was."""
        based_on = RuleSet.objects.get(pk=obj.pk) if change else None
        data = {name: form.cleaned_data[name] for name in form.cleaned_data}
        new = ruleset_save_version(data=data, actor=request.user, based_on=based_on)
        obj.pk, obj.version, obj.is_active = new.pk, new.version, new.is_active
        obj._state.adding = False
        messages.info(
            request,
            gettext("Saved as version {v} (not active yet): preview it, then activate it.").format(
                v=new.version
            ),
        )

    def response_change(self, request, obj):
        # The edit became a new version: show that one.
        return HttpResponseRedirect(reverse("admin:segmentation_ruleset_change", args=[obj.pk]))

    @admin.action(description=_("Activate the selected version"))
    def activate(self, request, queryset):
        if not _is_admin(request):
            raise PermissionDenied
        if queryset.count() != 1:
            self.message_user(request, gettext("Select exactly one version."), messages.ERROR)
            return
        try:
            rule_set = ruleset_activate(rule_set=queryset.get())
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        self.message_user(
            request,
            gettext("Version {v} is active; the next run uses it.").format(v=rule_set.version),
        )

    @admin.action(
        description=_("Preview: how many customers would change class"), permissions=["change"]
    )
    def preview(self, request, queryset):
        """Queues the preview on the workers and sends the admin to its progress page: a
        preview reads every customer, which never happens inside a request."""
        if queryset.count() != 1:
            self.message_user(request, gettext("Select exactly one version."), messages.ERROR)
            return None
        try:
            key = ruleset_preview_start(rule_set=queryset.get(), actor=request.user)
        except QueueUnavailable as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        return HttpResponseRedirect(reverse("admin:segmentation_ruleset_preview", args=[key]))

    def get_urls(self):
        return [
            path(
                "preview/<str:key>/",
                self.admin_site.admin_view(self.preview_view),
                name="segmentation_ruleset_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, key: str):
        """The preview's progress (the page reloads itself until it is done), then per
        dimension the table of class moves from → to."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        record = preview_progress(key)
        if record is None:
            raise Http404(gettext("No such preview (previews are kept for a day)."))
        result = record.get("result") or {}
        tables = [
            {
                "label": dimension_label(dim),
                "moved": info["moved"],
                "rows": [
                    (class_label(dim, old) or old or "—", class_label(dim, new) or new, n)
                    for (old, new), n in info["pairs"]
                ],
            }
            for dim, info in result.get("dimensions", {}).items()
        ]
        finished = record.get("status") in (DONE, FAILED)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Preview of rule set version {v}").format(v=record.get("version")),
            "record": record,
            "result": result,
            "tables": tables,
            "finished": finished,
            "percent": int(100 * record.get("done", 0) / record["total"])
            if record.get("total")
            else 0,
        }
        return TemplateResponse(request, "admin/segmentation/ruleset/preview.html", context)


class RunPartitionInline(admin.TabularInline):
    """Who did which customer range in how long: phase 1 and phase 3 of each partition."""

    model = RunPartition
    readonly_fields = [
        "index",
        "lo",
        "hi",
        "customers",
        "changes",
        "metrics_done_at",
        "classified_at",
        "worker",
        "deliveries",
        "timings",
    ]
    fields = tuple(readonly_fields)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# What a run's `phase` code means, for admin pages (an unknown code shows as itself).
RUN_PHASE_LABELS = {
    "claimed": _("claimed"),
    "metrics": _("computing metrics"),
    "cut_points": _("computing cut points"),
    "prediction": _("predicting value"),
    "classify": _("classifying"),
    "finalise": _("finalising"),
    "aggregates": _("summing up for dashboards"),
    "done": _("done"),
}


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    inlines = [RunPartitionInline]
    list_display = [
        "as_of",
        "status",
        "is_current",
        "rule_set",
        "phase_label",
        "progress",
        "customers_total",
        "changes_total",
        "attempts",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status", "is_current"]
    readonly_fields = [
        "as_of",
        "status",
        "is_current",
        "rule_set",
        "phase_label",
        "progress",
        "customers_total",
        "changes_total",
        "counts_table",
        "timings",
        "prediction",
        "backtest_table",
        "cut_points",
        "error",
        "triggered_by",
        "attempts",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "mode",
    ]
    exclude = ["counts", "partitions_total", "partitions_done", "plan"]
    change_list_template = "admin/segmentation/run/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("carried out"))
    def mode(self, obj: Run) -> str:
        if obj.plan.get("mode") == "celery":
            return gettext("on the Celery workers, {n} partitions").format(
                n=obj.plan.get("partitions", "?")
            )
        return gettext("in one process, {n} partitions").format(n=obj.plan.get("partitions", "?"))

    @admin.display(description=_("phase"), ordering="phase")
    def phase_label(self, obj: Run) -> str:
        return str(RUN_PHASE_LABELS.get(obj.phase, obj.phase or "—"))

    @admin.display(description=_("progress"))
    def progress(self, obj: Run) -> str:
        return f"{obj.progress_pct}% ({obj.partitions_done}/{obj.partitions_total})"

    @admin.display(description=_("customers per class"))
    def counts_table(self, obj: Run):
        rows = [
            (spec.label, ", ".join(f"{k}: {v}" for k, v in obj.counts.get(spec.key, {}).items()))
            for spec in dimension_specs(run=obj)
        ]
        return format_html_join("", "<div><strong>{}</strong> — {}</div>", rows)

    @admin.display(description=_("prediction backtest"))
    def backtest_table(self, obj: Run):
        stored = (obj.prediction or {}).get("backtest")
        if not stored:
            return gettext("no backtest in this run")
        head = format_html_join("", "<th>{}</th>", ((h,) for h in TABLE_HEADER))
        body = format_html_join(
            "", "<tr>" + "<td>{}</td>" * len(TABLE_HEADER) + "</tr>", table_rows(stored)
        )
        caption = gettext("held out the last {days} days, {n} customers; {why}").format(
            days=stored.get("holdout_days"),
            n=stored.get("n_customers"),
            why=why_text(stored.get("why")),
        )
        return format_html("<table><caption>{}</caption><tr>{}</tr>{}</table>", caption, head, body)

    def get_urls(self):
        return [
            path("run-now/", self.admin_site.admin_view(self.run_now), name="segmentation_run_now"),
            *super().get_urls(),
        ]

    def run_now(self, request):
        """Starts a run as of today at once, or says why not: another run in progress (which,
        how far), no active rule set, or the task queue unavailable."""
        if request.method != "POST" or not _is_admin(request):
            raise PermissionDenied
        today = timezone.localdate()
        try:
            run = run_start(as_of=today, force=True, triggered_by=f"admin:{request.user.username}")
        except (RunInProgress, RunRefused, QueueUnavailable) as exc:
            self.message_user(
                request,
                gettext("The run as of {d} was not started: {why}").format(d=today, why=exc),
                level=messages.ERROR,
            )
        else:
            if run.status == RunStatus.RUNNING:
                text = gettext(
                    "A run as of {d} has started on the workers; refresh to follow it."
                ).format(d=today)
            else:
                text = gettext("The run as of {d} finished: {status}, {n} customers.").format(
                    d=today, status=run.get_status_display(), n=run.customers_total
                )
            self.message_user(request, text)
        return HttpResponseRedirect(reverse("admin:segmentation_run_changelist"))


# The classes, their history and pins have their admin in admin_classes.
from . import admin_classes  # noqa: E402, F401

admin.site.register(CustomDimension, CustomDimensionAdmin)
admin.site.register(CustomClass.history.model, CustomClassHistoryAdmin)
