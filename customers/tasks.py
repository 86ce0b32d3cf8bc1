"""Thin Celery task for imports too big to check or write within a web request."""

from __future__ import annotations

import dataclasses

from celery import shared_task
from django.core.cache import cache
from django.utils.translation import gettext as _

# The report waits this long for the page that polls it (then the upload expires too).
REPORT_TTL_SECONDS = 24 * 60 * 60


def import_report_key(token: str, step: str) -> str:
    return f"customers:import:{token}:{step}"


def import_report_store(token: str, step: str, report) -> None:
    cache.set(import_report_key(token, step), dataclasses.asdict(report), REPORT_TTL_SECONDS)


def import_report_load(token: str, step: str):
    """The stored report as an ImportReport, or None while the task still runs."""
    from .importing.report import ImportReport, Problem

    data = cache.get(import_report_key(token, step))
    if data is None:
        return None
    data = dict(data)
    data["problems"] = [Problem(**p) for p in data["problems"]]
    return ImportReport(**data)


@shared_task(acks_late=True)
def customer_import_task(
    *,
    token: str,
    step: str,
    kind: str,
    path: str,
    actor_id: int,
    create_customers: bool,
    skip_invalid: bool = False,
    skipped_path: str | None = None,
) -> None:
    """Runs the check ("check") or the import ("apply") and stores the report for the page.
    Safe to redeliver: an import keyed by codes writes nothing the second time."""
    from crm.models import User

    from .importing import run_import
    from .importing.report import ImportReport

    try:
        actor = User.objects.get(pk=actor_id)
        report = run_import(
            kind=kind,
            path=path,
            actor=actor,
            dry_run=step == "check",
            skip_invalid=skip_invalid,
            create_customers=create_customers,
            skipped_path=skipped_path,
        )
    except Exception as exc:
        # The page polls for a report: give it a failed one rather than leave it waiting.
        failed = ImportReport(kind=kind, dry_run=step == "check", skip_invalid=skip_invalid)
        failed.failed = _("The import job stopped with an error (%(error)s).") % {
            "error": type(exc).__name__
        }
        import_report_store(token, step, failed)
        raise
    import_report_store(token, step, report)
