"""Export the filtered customer list (CSV streamed, XLSX) — import views live below."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.views import View

from ..exporting import csv_lines, customer_export_rows, write_xlsx
from ..selectors import customer_filtered_queryset


class CustomerExportView(LoginRequiredMixin, View):
    def get(self, request, fmt: str):
        qs = customer_filtered_queryset(user=request.user, params=request.GET)
        rows = customer_export_rows(qs, today=timezone.localdate())
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        if fmt == "csv":
            response = StreamingHttpResponse(
                csv_lines(rows), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
            return response
        if fmt == "xlsx":
            return FileResponse(
                write_xlsx(rows),
                as_attachment=True,
                filename=f"customers-{stamp}.xlsx",
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        raise Http404


class ImportView(LoginRequiredMixin, View):
    def get(self, request):
        raise Http404
