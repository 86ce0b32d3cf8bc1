"""Dashboard pages: thin views over dashboards.selectors (see the package docstring for the
pattern a new page follows)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.views.generic import TemplateView

from customers.exporting import csv_lines, write_xlsx

from .pages import PAGES
from .scope import Scope, scope_from_request
from .selectors.overview import overview_data, overview_export

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
        table = iter([headers, *rows])
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
