"""Customer exports: CSV (streamed) and XLSX (openpyxl write-only), one row per customer with
stable English column names. Other apps add columns via extensions.register_export_columns.

Every cell goes through `safe_cell`, the one guard against spreadsheet formula injection."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from .cells import (  # noqa: F401 - FORMULA_TRIGGERS: the guard lives in cells.py
    CONTROL_CHARACTERS,
    FORMULA_TRIGGERS,
    safe_cell,
)
from .extensions import export_columns
from .models import AuditSource, Customer, ExportLog
from .privacy import PERSONAL_FIELDS, mask
from .selectors import key_figures_for_ids

# 2,000 customers per batch keeps one batch ≈ a few MB and the id list in one IN (…) query.
BATCH = 2_000

PROFILE_COLUMNS = [
    "code",
    "name",
    "kind",
    "industry",
    "size",
    "region",
    "city",
    "address",
    "market",
    "source_channel",
    "owner",
    "team",
    "phone",
    "email",
    "website",
    "tax_number",
    "annual_budget",
    "annual_revenue",
    "employees",
    "industry_outlook",
    "growth_rate",
    "age_band",
    "gender",
    "income_band",
    "education",
    "marital_status",
    "acquisition_cost",
    "interest_since",
    "created_at",
    "updated_at",
]
FIGURE_COLUMNS = [
    "revenue_this_year",
    "revenue_last_year",
    "revenue_total",
    "orders",
    "last_purchase",
]
FIELD_OF = {"code": "external_code"}


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _money(value: Decimal | None) -> Decimal:
    # SQLite's SUM drops trailing zeros; the file always shows cents.
    return (value or Decimal(0)).quantize(Decimal("0.01"))


def customer_export_headers() -> list[str]:
    """Column names; an extension column whose name is taken gets its registration name as a
    prefix (segmentation's `revenue_total` becomes `segmentation_revenue_total`), so every
    name stays unique and stable."""
    headers = [*PROFILE_COLUMNS, *FIGURE_COLUMNS]
    taken = set(headers)
    for ext in export_columns():
        for header in ext.headers:
            name = header if header not in taken else f"{ext.name}_{header}"
            taken.add(name)
            headers.append(name)
    return headers


def _id_batches(queryset: QuerySet[Customer]) -> Iterator[list[int]]:
    """Primary keys in batches, by keyset on pk (no OFFSET, no long-lived cursor)."""
    ids = queryset.order_by("pk").values_list("pk", flat=True)
    last = 0
    while True:
        batch = list(ids.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1]


def customer_export_rows(
    queryset: QuerySet[Customer], *, today: dt.date, personal_data: bool = False
) -> Iterator[Sequence[Any]]:
    """The header, then one row per customer of `queryset`; a constant number of queries
    per batch of customers (profile, figures, one per registered extension). Phone and
    e-mail are masked unless `personal_data` (customers.privacy decides who may)."""
    extensions = export_columns()
    yield customer_export_headers()
    for ids in _id_batches(queryset):
        customers = Customer.objects.filter(pk__in=ids).select_related("owner", "team")
        by_id = {c.pk: c for c in customers}
        figures = key_figures_for_ids(ids=ids, today=today)
        extra = [(ext, ext.fetch(ids)) for ext in extensions]
        for pk in ids:
            c = by_id.get(pk)
            if c is None:  # deleted meanwhile
                continue
            row: list[Any] = []
            for col in PROFILE_COLUMNS:
                if col == "owner":
                    row.append(c.owner.username if c.owner else "")
                elif col == "team":
                    row.append(c.team.name if c.team else "")
                elif col in PERSONAL_FIELDS and not personal_data:
                    row.append(mask(col, getattr(c, col)))
                else:
                    row.append(getattr(c, FIELD_OF.get(col, col)))
            f = figures.get(pk, {})
            row.extend(
                [
                    _money(f.get("revenue_this_year")),
                    _money(f.get("revenue_last_year")),
                    _money(f.get("revenue_total")),
                    f.get("orders") or 0,
                    f.get("last_purchase"),
                ]
            )
            for ext, values in extra:
                vals = values.get(pk)
                row.extend(vals if vals is not None else [""] * len(ext.headers))
            yield row


def export_log_start(
    *,
    user,
    fmt: str,
    query: str,
    personal_data: bool,
    source: str = AuditSource.WEB,
    username: str = "",
    what: str = "customers",
) -> ExportLog:
    """Every export is logged before the first byte leaves: who, when, filter, format."""
    return ExportLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        username=username or getattr(user, "username", "") or "",
        source=source,
        what=what[:30],
        format=fmt,
        query=query[:4000],
        personal_data=personal_data,
    )


def export_logged(rows: Iterator[Sequence[Any]], log: ExportLog) -> Iterator[Sequence[Any]]:
    """`rows` (header first) passed through; when the last row is out, the log gets the row
    count. A download that breaks off leaves `rows` empty in the log."""
    n = -1
    for row in rows:
        n += 1
        yield row
    ExportLog.objects.filter(pk=log.pk).update(rows=max(n, 0), finished_at=timezone.now())


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterator[Sequence[Any]], *, bom: bool = True) -> Iterator[str]:
    """CSV text line by line. A UTF-8 BOM first so Excel opens Chinese text correctly."""
    writer = csv.writer(_Echo())
    if bom:
        yield "\ufeff"
    for row in rows:
        yield writer.writerow([safe_cell(_plain(v)) for v in row])


def write_csv(rows: Iterator[Sequence[Any]], fileobj) -> int:
    n = 0
    for line in csv_lines(rows):
        fileobj.write(line)
        n += 1
    return max(n - 2, 0)  # minus BOM and header


def write_xlsx(rows: Iterator[Sequence[Any]], *, sheet_title: str = "customers"):
    """An XLSX in a temporary file (write-only mode keeps memory flat); returns the file."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title)
    for row in rows:
        ws.append([_xlsx_value(v) for v in row])
    tmp = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - handed to the response
    wb.save(tmp)
    tmp.seek(0)
    return tmp


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # Excel has no time zones: local wall time.
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    if value is None:
        return None
    if isinstance(value, str):
        # XLSX cannot hold control characters (forms and imports refuse them; older data
        # might still have one): a visible replacement instead of a failed download.
        value = CONTROL_CHARACTERS.sub("\ufffd", value)
    return safe_cell(value)
