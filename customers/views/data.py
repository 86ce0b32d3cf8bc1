"""Data in and out: export the filtered customer list (CSV streamed, XLSX) and the import
page (upload → dry run report → import, skipped rows downloadable)."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from crm.queue import QueueUnavailable, enqueue

from ..exporting import (
    csv_lines,
    customer_export_rows,
    export_log_start,
    export_logged,
    write_xlsx,
)
from ..forms import ImportForm
from ..importing import KINDS, run_import
from ..importing.uploads import SESSION_KEY, clean_old_uploads, import_root
from ..privacy import sees_all_personal_data
from ..selectors import customer_filtered_queryset
from ..tasks import customer_import_task, import_report_key, import_report_load
from .workspace import ManagerRequiredMixin


class CustomerExportView(LoginRequiredMixin, View):
    def get(self, request, fmt: str):
        if fmt not in ("csv", "xlsx"):
            raise Http404
        qs = customer_filtered_queryset(user=request.user, params=request.GET)
        personal = sees_all_personal_data(request.user)
        log = export_log_start(
            user=request.user, fmt=fmt, query=request.GET.urlencode(), personal_data=personal
        )
        rows = export_logged(
            customer_export_rows(qs, today=timezone.localdate(), personal_data=personal), log
        )
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


# Files up to this size are checked and imported within the request (a few seconds);
# bigger ones go to a Celery task so no web worker waits minutes.
SYNC_IMPORT_MAX_BYTES = 2 * 1024 * 1024


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
        clean_old_uploads()
        token = uuid.uuid4().hex
        folder = import_root() / token
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
        return self._run(request, token, entry, step="check")

    def _run(self, request, token: str, entry: dict, *, step: str, skip_invalid: bool = False):
        """Small files are handled within the request; bigger ones by a Celery task while
        the page polls for the report."""
        skipped = Path(entry["path"]).with_name("skipped.csv") if skip_invalid else None
        args = {
            "kind": entry["kind"],
            "path": entry["path"],
            "create_customers": entry["create_customers"],
            "skip_invalid": skip_invalid,
            "skipped_path": str(skipped) if skipped else None,
        }
        context = {"token": token, "upload": entry, "kind": KINDS[entry["kind"]], "step": step}
        if Path(entry["path"]).stat().st_size > SYNC_IMPORT_MAX_BYTES:
            cache.delete(import_report_key(token, step))  # a report of an earlier attempt
            try:
                enqueue(
                    customer_import_task, token=token, step=step, actor_id=request.user.pk, **args
                )
            except QueueUnavailable as exc:
                # Nothing started; the upload stays, so the same step can be asked again.
                retry = {"queue_error": str(exc), "skip_invalid": skip_invalid}
                request.session.save()  # kept despite the 503: the upload is asked for again
                return render(request, self.template_name, {**context, **retry}, status=503)
            return render(request, self.template_name, {**context, "pending": True})
        report = run_import(actor=request.user, dry_run=step == "check", **args)
        status = 400 if step == "apply" and not report.written else 200
        if report.failed:
            status = 503
            request.session.save()  # kept despite the 503: "Try again" names this upload
        return render(
            request,
            self.template_name,
            {**context, "report": report, "applied": step == "apply"},
            status=status,
        )

    def _apply(self, request):
        token = request.POST["token"]
        entry = _upload_for(request, token)
        skip_invalid = request.POST.get("skip_invalid") == "1"
        # "check" again after the queue was unavailable; otherwise the import itself.
        step = "check" if request.POST.get("step") == "check" else "apply"
        return self._run(request, token, entry, step=step, skip_invalid=skip_invalid)


class ImportStatusView(ManagerRequiredMixin, View):
    """Polled by the page (htmx) while a background check or import runs."""

    def get(self, request, token: str, step: str):
        entry = _upload_for(request, token)
        if step not in ("check", "apply"):
            raise Http404
        report = import_report_load(token, step)
        context = {"token": token, "upload": entry, "kind": KINDS[entry["kind"]], "step": step}
        if report is None:
            context["pending"] = True
            template = "customers/partials/_import_pending.html"
        else:
            context.update(report=report, applied=step == "apply")
            template = "customers/partials/_import_report.html"
        # Without htmx (a plain reload), the whole page.
        return render(request, template if request.htmx else ImportView.template_name, context)


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
