"""Transactions in bulk: up to API_BATCH_LIMIT items per request, created or updated by their
order `code`, all or nothing. The items go through the file import's own engine
(customers.importing): the same column parsers, customer-code resolution within the actor's
scope, code checks and the same set-based writer (COPY on PostgreSQL) — so an order is
validated and written the same whether it came in a file or over the API. Problems come back
as {index, field, value, reason}."""

from __future__ import annotations

import math
import tempfile
import time
from typing import Any

from django.db import DatabaseError
from django.utils.translation import gettext as _

from customers.importing.engine import Importer
from customers.importing.readers import ImportFileError
from customers.importing.report import ImportReport
from customers.importing.rows import show as _show
from customers.importing.specs import TRANSACTIONS
from customers.models import ImportLog

from .errors import BatchInvalid

FIELDS = tuple(c.name for c in TRANSACTIONS.columns)
# Parsers that take text, numbers or true/false; a list or an object is never a value.
SCALARS = (str, int, float)


class _RowsImporter(Importer):
    """The import engine fed with rows instead of a file (no skipped-rows file)."""

    def run_rows(self, header: list[str], rows: list[tuple[int, list[Any]]]) -> ImportReport:
        import csv

        self._map_header(header)
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as staged:
            self.staged_writer = csv.writer(staged)
            self.skipped_file = None
            started = time.perf_counter()
            self._validate(rows)
            self.report.timings["validate"] = time.perf_counter() - started
            if not self.report.blocked and self.report.valid:
                staged.flush()
                staged.seek(0)
                started = time.perf_counter()
                self._write(staged)
                self.report.timings["write"] = time.perf_counter() - started
        return self.report


def _type_problems(index: int, item: Any) -> list[dict[str, Any]]:
    if not isinstance(item, dict):
        return [{"index": index, "field": "", "reason": _("Expected a JSON object.")}]
    problems = []
    if all(value is None or value == "" for value in item.values()):
        return [{"index": index, "field": "", "reason": _("The item is empty.")}]
    for name, value in item.items():
        if name not in FIELDS:
            problems.append({"index": index, "field": name, "reason": _("Unknown field.")})
        elif isinstance(value, float) and not math.isfinite(value):
            # 1e309 parses to infinity: no amount, date or code is infinite.
            problems.append(
                {"index": index, "field": name, "value": _show(value), "reason": _("not a number")}
            )
        elif value is not None and (isinstance(value, bool) or not isinstance(value, SCALARS)):
            problems.append(
                {
                    "index": index,
                    "field": name,
                    "value": _show(value),
                    "reason": _("Wrong type: expected text or a number."),
                }
            )
    return problems


def transactions_batch_write(*, actor, items: Any, limit: int) -> dict[str, int]:
    """Validates every item, then writes all of them in one transaction, or nothing: raises
    BatchInvalid listing every problem (up to the import report's limit)."""
    if not isinstance(items, list):
        raise BatchInvalid(
            [{"field": "items", "reason": _("Expected a list of transactions.")}],
            detail=_("Invalid input."),
        )
    if not items:
        raise BatchInvalid(
            [{"field": "items", "reason": _("The list is empty.")}], detail=_("Invalid input.")
        )
    if len(items) > limit:
        raise BatchInvalid(
            [
                {
                    "field": "items",
                    "value": str(len(items)),
                    "reason": _("At most %(n)s transactions per request; split the batch.")
                    % {"n": f"{limit:,}"},
                }
            ],
            detail=_("The batch is too large; nothing was written."),
        )
    problems: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        problems.extend(_type_problems(index, item))
    if problems:
        raise BatchInvalid(problems)
    header = list(FIELDS)
    rows = [(index, [item.get(name) for name in header]) for index, item in enumerate(items)]
    importer = _RowsImporter(
        kind=TRANSACTIONS, actor=actor, dry_run=False, skip_invalid=False, create_customers=False
    )
    try:
        report = importer.run_rows(header, rows)
    except ImportFileError as exc:
        raise BatchInvalid([{"field": "items", "reason": str(exc)}]) from exc
    except DatabaseError as exc:
        raise BatchInvalid(
            [{"field": "", "reason": str(exc).strip().splitlines()[0][:200]}],
            detail=_("The database refused the batch; nothing was written."),
        ) from exc
    if report.invalid:
        raise BatchInvalid(
            [
                {
                    "index": pr.row,
                    "field": "code" if pr.column == "code" else pr.column,
                    "value": pr.value,
                    # The import's hint about creating customers has no API equivalent.
                    "reason": _("unknown customer code")
                    if pr.column == "customer_code"
                    else pr.reason,
                }
                for pr in report.problems
            ]
        )
    ImportLog.objects.create(
        user=actor,
        username=actor.username,
        kind="transactions",
        file_name="API",
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        succeeded=report.written,
    )
    return {"rows": report.rows, "created": report.created, "updated": report.updated}
