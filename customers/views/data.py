"""Data in and out: export the filtered customer list (CSV streamed, XLSX) and the import
page (upload → dry run report → import, skipped rows downloadable)."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from ..exporting import csv_lines, customer_export_rows, write_xlsx
from ..forms import ImportForm
from ..importing import KINDS, run_import
from ..selectors import customer_filtered_queryset
from .workspace import ManagerRequiredMixin


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


# Uploaded files wait this long between the dry run and the real import.
UPLOAD_TTL_SECONDS = 24 * 60 * 60
SESSION_KEY = "customer_imports"


def _import_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _clean_old_uploads() -> None:
    root = _import_root()
    if not root.is_dir():
        return
    cutoff = time.time() - UPLOAD_TTL_SECONDS
    for child in root.iterdir():
        if child.is_dir() and child.stat().st_mtime < cutoff:
            shutil.rmtree(child, ignore_errors=True)


def _upload_for(request, token: str) -> dict:
    """The upload `token` names, if this user's session made it (404 otherwise)."""
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not entry or not Path(entry["path"]).is_file():
        raise Http404
    return entry


class ImportView(ManagerRequiredMixin, View):
    """Upload → dry run → import. Nothing is written until the user saw the report."""

    template_name = "customers/import.html"

    def get(self, request):
        return render(request, self.template_name, {"form": ImportForm(), "kinds": KINDS})

    def post(self, request):
        if "token" in request.POST:
            return self._apply(request)
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form, "kinds": KINDS}, status=400)
        _clean_old_uploads()
        token = uuid.uuid4().hex
        folder = _import_root() / token
        folder.mkdir(parents=True)
        upload = form.cleaned_data["file"]
        path = folder / ("upload" + Path(upload.name).suffix.lower()[:8])
        with path.open("wb") as fh:
            for piece in upload.chunks():
                fh.write(piece)
        entry = {
            "path": str(path),
            "name": upload.name[:200],
            "kind": form.cleaned_data["kind"],
            "create_customers": form.cleaned_data["create_customers"],
        }
        imports = request.session.get(SESSION_KEY, {})
        imports[token] = entry
        request.session[SESSION_KEY] = imports
        report = run_import(
            kind=entry["kind"],
            path=path,
            actor=request.user,
            dry_run=True,
            create_customers=entry["create_customers"],
        )
        return render(
            request,
            self.template_name,
            {"report": report, "token": token, "upload": entry, "kind": KINDS[entry["kind"]]},
        )

    def _apply(self, request):
        token = request.POST["token"]
        entry = _upload_for(request, token)
        skip_invalid = request.POST.get("skip_invalid") == "1"
        report = run_import(
            kind=entry["kind"],
            path=entry["path"],
            actor=request.user,
            dry_run=False,
            skip_invalid=skip_invalid,
            create_customers=entry["create_customers"],
            skipped_path=Path(entry["path"]).with_name("skipped.csv") if skip_invalid else None,
        )
        return render(
            request,
            self.template_name,
            {
                "report": report,
                "token": token,
                "upload": entry,
                "kind": KINDS[entry["kind"]],
                "applied": True,
            },
            status=200 if report.written else 400,
        )


class SkippedRowsView(ManagerRequiredMixin, View):
    def get(self, request, token: str):
        entry = _upload_for(request, token)
        path = Path(entry["path"]).with_name("skipped.csv")
        if not path.is_file():
            raise Http404
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=f"skipped-rows-{Path(entry['name']).stem}.csv",
            content_type="text/csv; charset=utf-8",
        )
