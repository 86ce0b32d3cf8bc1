"""Dashboard pages: thin views over dashboards.selectors (see the package docstring for the
pattern a new page follows)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.views.generic import TemplateView

from customers.exporting import csv_lines, export_log_start, export_logged, write_xlsx

from .pages import PAGES
from .scope import Scope, filter_bar, scope_from_request
from .selectors.funnel import funnel_data, funnel_export
from .selectors.movements import MOVEMENT_DIMENSIONS, movements_data, movements_export
from .selectors.overview import overview_data, overview_export
from .selectors.rfm import rfm_data, rfm_export
from .selectors.risks import risks_data, risks_export
from .selectors.value import value_data, value_export

EXPORT_FORMATS = ("csv", "xlsx")


class DashboardView(LoginRequiredMixin, TemplateView):
    """Base of every dashboard page: resolves the scope (access + filter bar), calls
    `get_data(scope)`, renders, or with `?export=csv|xlsx` returns `export_table(data)`."""

    page = ""  # url name in dashboards.pages.PAGES, e.g. "dashboards:overview"
    export_name = "dashboard"

    def get_data(self, scope: Scope) -> dict:
        raise NotImplementedError

    def export_table(self, data: dict) -> tuple[list[str], list[list]]:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        scope, form = scope_from_request(request)
        self.scope, self.filter_form = scope, form
        self.data = self.get_data(scope)
        fmt = request.GET.get("export")
        if fmt:
            return self.export(fmt)
        return super().get(request, *args, **kwargs)

    def export(self, fmt: str):
        if fmt not in EXPORT_FORMATS:
            raise Http404("Unknown export format")
        headers, rows = self.export_table(self.data)
        stamp = timezone.localdate().isoformat()
        filename = f"{self.export_name}-{stamp}.{fmt}"
        # Logged like every export (customers.ExportLog): who, when, which filter, how many
        # rows. Dashboard tables are aggregates and names, never phone or e-mail.
        query = self.request.GET.copy()
        query.pop("export", None)
        log = export_log_start(
            user=self.request.user,
            fmt=fmt,
            query=query.urlencode(),
            personal_data=False,
            what=self.export_name,
        )
        table = export_logged(iter([headers, *rows]), log)
        if fmt == "csv":
            response = StreamingHttpResponse(
                csv_lines(table), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        return FileResponse(
            write_xlsx(table, sheet_title=self.export_name[:31]),
            as_attachment=True,
            filename=filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("export", None)
        ctx.update(
            scope=self.scope,
            filter_form=self.filter_form,
            filter_fields=filter_bar(self.filter_form),
            data=self.data,
            pages=PAGES,
            current_page=self.page,
            query=query.urlencode(),
        )
        return ctx


class OverviewView(DashboardView):
    template_name = "dashboards/overview.html"
    page = "dashboards:overview"
    export_name = "overview"

    def get_data(self, scope):
        return overview_data(scope=scope)

    def export_table(self, data):
        return overview_export(data)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class _RunPairMixin:
    """Pages that compare two runs: ?from=<run id>&to=<run id> (defaults: previous, current)."""

    request: HttpRequest  # mixed into a view

    def run_ids(self) -> tuple[int | None, int | None]:
        return _int(self.request.GET.get("from")), _int(self.request.GET.get("to"))


class MovementsView(_RunPairMixin, DashboardView):
    template_name = "dashboards/movements.html"
    page = "dashboards:movements"
    export_name = "movements"

    def get_data(self, scope):
        dimension = self.request.GET.get("dimension") or "lifecycle"
        if dimension not in MOVEMENT_DIMENSIONS:
            dimension = "lifecycle"
        from_id, to_id = self.run_ids()
        return movements_data(scope=scope, dimension=dimension, from_id=from_id, to_id=to_id)

    def export_table(self, data):
        return movements_export(data)

    def get_context_data(self, **kwargs):
        from segmentation.models import Dimension

        ctx = super().get_context_data(**kwargs)
        ctx["dimension_choices"] = [(d, Dimension(d).label) for d in MOVEMENT_DIMENSIONS]
        return ctx


class FunnelView(_RunPairMixin, DashboardView):
    template_name = "dashboards/funnel.html"
    page = "dashboards:funnel"
    export_name = "funnel"

    def get_data(self, scope):
        from_id, to_id = self.run_ids()
        if from_id is None and to_id is None:
            # Default period: about a month (the latest run ≥ 30 days before the current one).
            from .selectors.common import run_trio

            trio = run_trio()
            start = trio.month_ago or trio.previous
            from_id = start.pk if start else None
        return funnel_data(scope=scope, from_id=from_id, to_id=to_id)

    def export_table(self, data):
        return funnel_export(data)


class ValueView(DashboardView):
    template_name = "dashboards/value.html"
    page = "dashboards:value"
    export_name = "value-potential"

    def get_data(self, scope):
        return value_data(scope=scope)

    def export_table(self, data):
        return value_export(data)


class RfmView(DashboardView):
    template_name = "dashboards/rfm.html"
    page = "dashboards:rfm"
    export_name = "rfm"

    def get_data(self, scope):
        return rfm_data(scope=scope)

    def export_table(self, data):
        return rfm_export(data)


class RisksView(DashboardView):
    template_name = "dashboards/risks.html"
    page = "dashboards:risks"
    export_name = "risks"

    def get_data(self, scope):
        return risks_data(scope=scope)

    def export_table(self, data):
        return risks_export(data)
