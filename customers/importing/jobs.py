"""An import job: the engine run over one file, and its audit entry (never one per row)."""

from __future__ import annotations

from pathlib import Path

from crm.models import User

from .engine import Importer
from .report import ImportReport


def run_import(
    *,
    kind: str,
    path: Path | str,
    actor: User | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    create_customers: bool = False,
    skipped_path: Path | str | None = None,
) -> ImportReport:
    """Import `path` as `kind` (customers, contacts, transactions, contact_logs).

    `actor` None means a trusted system import (the management command): every customer is
    in scope. Otherwise customer codes, owners and teams are limited to what the actor may
    see, and codes of records outside that scope are refused."""
    from .specs import KINDS

    report = Importer(
        kind=KINDS[kind],
        actor=actor,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        create_customers=create_customers,
        skipped_path=skipped_path,
    ).run(path)
    if not dry_run:
        _import_log(report=report, kind=kind, path=path, actor=actor)
    return report


def _import_log(*, report: ImportReport, kind: str, path: Path | str, actor: User | None) -> None:
    """One audit entry per applied import job (never per row): who, when, what, how many."""
    import getpass

    from ..models import ImportLog

    ImportLog.objects.create(
        user=actor,
        username=actor.username if actor is not None else f"shell:{getpass.getuser()}",
        kind=kind,
        file_name=str(path)[-255:],
        rows=report.rows,
        created=report.created + report.customers_created,
        updated=report.updated,
        skipped=report.invalid if report.skip_invalid else 0,
        succeeded=report.written,
    )
