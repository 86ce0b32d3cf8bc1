"""Reading an uploaded table row by row without loading it: CSV (UTF-8 with or without BOM,
UTF-16 with BOM, GB18030 — what Excel in China writes) and XLSX (openpyxl read-only)."""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

# Bytes looked at to decide the format and encoding; a whole first screen of rows.
SNIFF_BYTES = 256 * 1024
# The longest cell we read. Anything longer is not a CRM field but a wrong file; the csv
# module would otherwise keep it all in memory.
MAX_CELL_CHARS = 100_000


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message says why, for a user."""

    def __init__(self, message: str, *, row: int | None = None):
        super().__init__(message)
        self.row = row


@dataclass
class TableSource:
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (row number in the file, cells)
    format: str  # "csv" | "xlsx"
    encoding: str | None = None


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # a character cut at the sample's end is fine
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def open_table(path: Path | str) -> TableSource:
    path = Path(path)
    with path.open("rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    if not sample.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError(_("The file is empty."))
    if sample.startswith(b"PK\x03\x04"):
        return _open_xlsx(path)
    if sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("This is an old Excel (.xls) file. Save it as .xlsx or CSV and upload it again.")
        )
    encoding = detect_encoding(sample)
    if encoding != "utf-16" and b"\x00" in sample:
        raise ImportFileError(
            _("This is not a CSV or Excel file (it contains binary data). Check the file.")
        )
    return _open_csv(path, encoding)


def _open_csv(path: Path, encoding: str) -> TableSource:
    fh = path.open("r", encoding=encoding, newline="", errors="strict")
    try:
        sample = fh.read(8192)
        fh.seek(0)
    except UnicodeDecodeError:
        fh.close()
        raise ImportFileError(_("The file's text encoding is not readable.")) from None
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0] + "\n", delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(fh, delimiter=delimiter)
    csv.field_size_limit(MAX_CELL_CHARS)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        line = 0  # record number: the header is row 1, as a spreadsheet shows it
        try:
            for cells in reader:
                line += 1
                yield line, cells
        except UnicodeDecodeError:
            raise ImportFileError(
                _(
                    "Around row %(row)s the file is not valid %(encoding)s text. Save it again "
                    "as UTF-8 CSV."
                )
                % {"row": line + 1, "encoding": encoding.upper()},
                row=line + 1,
            ) from None
        except csv.Error as exc:
            if "field larger" in str(exc):
                message = _(
                    "Row %(row)s has a cell longer than %(max)s characters; is this the right file?"
                ) % {"row": line + 1, "max": f"{MAX_CELL_CHARS:,}"}
            else:
                message = _("Row %(row)s cannot be read as CSV: %(error)s") % {
                    "row": line + 1,
                    "error": exc,
                }
            raise ImportFileError(message, row=line + 1) from None
        finally:
            fh.close()

    iterator = rows()
    try:
        _number, header = next(iterator)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    return TableSource(header=header, rows=iterator, format="csv", encoding=encoding)


def _open_xlsx(path: Path) -> TableSource:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(
            _("The Excel file cannot be opened (%(error)s). Save it again as .xlsx.")
            % {"error": exc.__class__.__name__}
        ) from None
    ws = wb.worksheets[0]
    it = ws.iter_rows(values_only=True)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, cells in enumerate(it, start=2):
                yield number, list(cells)
        finally:
            wb.close()

    try:
        header = next(it)
    except StopIteration:
        wb.close()
        raise ImportFileError(_("The file is empty.")) from None
    header_cells = ["" if h is None else str(h) for h in header]
    return TableSource(header=header_cells, rows=rows(), format="xlsx")
