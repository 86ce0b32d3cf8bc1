"""The import engine: validate a whole file first (streamed, chunk by chunk), then write it
in one transaction — or write nothing.

Pass 1 reads the file row by row, parses and checks every cell, resolves customer codes
and existing keys with one query per chunk of rows, and stages valid rows in a temporary
CSV. Pass 2 (not on a dry run, and only when no row is invalid unless the user chose to skip
invalid rows) writes the staged rows: on PostgreSQL with COPY into a temporary table and two
set-based statements (UPDATE changed rows, INSERT new ones); elsewhere with bulk writes per
chunk. Rows are keyed by their external code, so importing the same file twice changes
nothing; rows without a code get a stable key derived from their content."""

from __future__ import annotations

import csv
import hashlib
import logging
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.db import is_postgresql
from crm.models import User

from ..access import customers_visible_to
from ..extensions import contact_logs_changed
from ..models import Customer, CustomerMerge
from . import parsers as p
from .lookups import Lookups
from .readers import ImportFileError, open_table
from .report import MAX_SAMPLES, MAX_WARNINGS, ImportReport, Problem
from .rows import Row, header_map, normalise_header, serialise, show
from .specs import LOOKUP_USER, Column, ImportKind

log = logging.getLogger(__name__)

# Rows validated and resolved together: one query per chunk for customer codes and one for
# existing keys. 5,000 codes keep each IN (…) list well under every database's limits.
CHUNK = 5_000
# …or fewer when rows are wide: a chunk holds at most ~8 MB of cell text, so a 50 MB file of
# long notes is still processed in small pieces.
CHUNK_CHARS = 8_000_000


class Importer:
    def __init__(
        self,
        *,
        kind: ImportKind,
        actor: User | None,
        dry_run: bool,
        skip_invalid: bool,
        create_customers: bool,
        skipped_path: Path | str | None = None,
    ):
        self.kind = kind
        self.actor = actor
        self.dry_run = dry_run
        self.skip_invalid = skip_invalid
        self.create_customers = create_customers and kind.has_customer
        self.skipped_path = Path(skipped_path) if skipped_path else None
        self.report = ImportReport(kind=kind.name, dry_run=dry_run, skip_invalid=skip_invalid)
        self.seen_keys: dict[str, int] = {}
        self.identity_counts: dict[bytes, int] = {}
        self.new_customer_codes: set[str] = set()
        self.claimed_keys: set[str] = set()
        # Contact logs: the customers whose logs the file writes (by code) and those that
        # hold the logs it updates now; both get their "last contact" recomputed.
        self.log_customer_codes: set[str] = set()
        self.log_customer_ids: set[int] = set()

    # ------------------------------------------------------------------ defaults

    def create_defaults(self) -> dict[str, Any]:
        """Values a created row gets for columns the file does not fill."""
        defaults: dict[str, Any] = {}
        actor = self.actor
        if self.kind.name == "customers" and actor is not None:
            if actor.is_rep:
                defaults.update(owner_id=actor.pk, team_id=actor.team_id)
            elif not actor.sees_all_teams:
                defaults["team_id"] = actor.team_id
        if self.kind.name == "contact_logs" and actor is not None:
            defaults["rep_id"] = actor.pk
        return defaults

    # ------------------------------------------------------------------ pass 1

    def run(self, path: Path | str) -> ImportReport:
        try:
            table = open_table(path)
            self._map_header(table.header)
            with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as staged:
                self.staged_writer = csv.writer(staged)
                self.skipped_file = None
                started = time.perf_counter()
                try:
                    self._validate(table.rows)
                finally:
                    self.report.timings["validate"] = time.perf_counter() - started
                    if self.skipped_file is not None:
                        self.skipped_file.close()
                if not self.dry_run and not self.report.blocked and self.report.valid:
                    staged.flush()
                    staged.seek(0)
                    started = time.perf_counter()
                    self._write(staged)
                    self.report.timings["write"] = time.perf_counter() - started
        except ImportFileError as exc:
            self.report.file_error = str(exc)
        except DatabaseError as exc:
            # The write runs in one transaction, so a lost connection or a database error
            # leaves nothing behind; say so, and let the next use reconnect.
            log.warning("import of %s failed: %s", self.kind.name, exc)
            self.report.written = False
            self.report.created = self.report.updated = self.report.customers_created = 0
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            self.report.failed = _(
                "The import failed in the database (%(error)s). Nothing of this file was stored."
            ) % {"error": detail}
            if not connection.in_atomic_block:
                connection.close()
        return self.report

    def _map_header(self, header: list[Any]) -> None:
        mapping = header_map(self.kind)
        self.header = ["" if h is None else str(h).strip().lstrip("\ufeff") for h in header]
        self.positions: list[tuple[int, Column]] = []
        used: dict[str, str] = {}
        for index, raw in enumerate(self.header):
            if not raw:
                continue
            col = mapping.get(normalise_header(raw))
            if col is None:
                self.report.ignored_columns.append(raw)
                continue
            if col.name in used:
                raise ImportFileError(
                    _("Columns “%(a)s” and “%(b)s” both mean “%(name)s”; keep only one.")
                    % {"a": used[col.name], "b": raw, "name": col.name}
                )
            used[col.name] = raw
            self.positions.append((index, col))
        missing = [c for c in self.kind.columns if c.required and c.name not in used]
        if missing:
            names = "; ".join(
                f"{c.name} ({' / '.join(a for a in c.aliases if not a.isascii())[:40]})"
                for c in missing
            )
            found = ", ".join(h for h in self.header if h) or _("none")
            raise ImportFileError(
                _(
                    "Required columns are missing: %(missing)s. The first row must hold the "
                    "column names; it has: %(found)s."
                )
                % {"missing": names, "found": found}
            )
        self.present = {col.name for _i, col in self.positions}
        fields = [c.field for _i, c in self.positions if c.field and c.field != "external_code"]
        if self.kind.name == "customers" and "owner" in self.present and "team" not in self.present:
            fields.append("team_id")
        self.fields: list[str] = fields

    def _validate(self, rows: Iterable[tuple[int, list[Any]]]) -> None:
        lookups = Lookups(self.actor)
        chunk: list[Row] = []
        chars = 0
        for number, cells in rows:
            if all(type(c) is str for c in cells):
                # CSV rows (all text): C-level joins instead of a call per cell.
                joined = "".join(cells)
                if not joined or joined.isspace():
                    continue
                width = len(joined)
            else:
                if all(p.is_blank(c) for c in cells):
                    continue
                width = sum(len(c) for c in cells if type(c) is str)
            self.report.rows += 1
            chunk.append(self._parse_row(number, cells, lookups))
            chars += width
            if len(chunk) >= CHUNK or chars >= CHUNK_CHARS:
                self._flush(chunk)
                chunk = []
                chars = 0
        if chunk:
            self._flush(chunk)
        if self.report.rows == 0:
            raise ImportFileError(_("The file has column names but no data rows."))
        self.report.customers_to_create = len(self.new_customer_codes)

    def _parse_row(self, number: int, cells: list[Any], lookups: Lookups) -> Row:
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        customer_code = None
        key = None
        if len(cells) > len(self.header) and any(
            not p.is_blank(c) for c in cells[len(self.header) :]
        ):
            problems.append(
                Problem(number, "", "", _("the row has more cells than there are column names"))
            )
        ncells = len(cells)
        for index, col in self.positions:
            raw = cells[index] if index < ncells else None
            if raw is None or (type(raw) is str and (not raw or raw.isspace())):
                if col.required:
                    problems.append(Problem(number, col.name, "", _("required, but empty")))
                continue
            try:
                value = col.parse(raw)
                if col.lookup:
                    value = lookups.resolve(col.lookup, value)
            except p.CellError as exc:
                problems.append(Problem(number, col.name, show(raw), str(exc)))
                continue
            if col.lookup is None and col.field is not None and col.field != "external_code":
                values[col.field] = value  # the common case first: a plain column
            elif col.name == "customer_code":
                customer_code = value
            elif col.field == "external_code":
                key = value
            elif col.lookup == LOOKUP_USER and col.field == "owner_id":
                values["owner_id"], owner_team = value
                if "team_id" in self.fields and "team" not in self.present:
                    values["team_id"] = owner_team
            elif col.lookup == LOOKUP_USER:
                values[cast(str, col.field)] = value[0]  # only customer_code has no field
            else:
                values[cast(str, col.field)] = value
        if not problems:
            for check in self.kind.checks:
                for column, reason in check(values):
                    problems.append(Problem(number, column, show(values.get(column)), reason))
        if key is None and not self.kind.has_customer:
            pass  # customers: code is required, the missing-value problem is recorded
        elif key is None and not problems:
            key = self._identity_key(customer_code, values)
        elif key is not None:
            first = self.seen_keys.get(key)
            if first is not None:
                problems.append(
                    Problem(
                        number,
                        "code",
                        show(key),
                        _("the same code is already on row %(row)s of this file") % {"row": first},
                    )
                )
            else:
                self.seen_keys[key] = number
        return Row(number, cells, values, key, customer_code, problems)

    def _identity_key(self, customer_code: str | None, values: dict[str, Any]) -> str:
        """A stable key for a row without a code: its content plus how many identical rows
        came before it in this file, so a re-import maps onto the same rows."""
        parts = [customer_code or ""]
        parts += [serialise(values.get(f)) for f in self.kind.identity if f != "customer_code"]
        digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).digest()
        occurrence = self.identity_counts.get(digest, 0) + 1
        self.identity_counts[digest] = occurrence
        return f"~{digest.hex()}-{occurrence}"

    def _flush(self, chunk: list[Row]) -> None:
        if self.kind.has_customer:
            self._resolve_customers(chunk)
        self._classify_keys(chunk)
        if self.kind.name == "customers":
            self._warn_duplicates(chunk)
        for row in chunk:
            if row.problems:
                self.report.invalid += 1
                for problem in row.problems:
                    self.report.add_problem(problem)
                self._write_skipped(row)
                continue
            self.report.valid += 1
            if row.new_customer:
                self.new_customer_codes.add(cast(str, row.customer_code))  # set with the flag
            self.staged_writer.writerow(
                [row.key, *([row.customer_code] if self.kind.has_customer else [])]
                + [serialise(row.values.get(f)) for f in self.fields]
            )

    def _resolve_customers(self, chunk: list[Row]) -> None:
        # Rows with other problems are resolved too, so the report lists every problem.
        codes = {r.customer_code for r in chunk if r.customer_code}
        if not codes:
            return
        visible_qs = (
            Customer.objects.all() if self.actor is None else customers_visible_to(self.actor)
        )
        visible = set(
            visible_qs.filter(external_code__in=codes).values_list("external_code", flat=True)
        )
        missing = codes - visible
        alias: dict[str, str] = {}
        if missing:
            # A code merged away still finds the customer it was merged into.
            for merged_code, survivor_code in CustomerMerge.objects.filter(
                merged_code__in=missing, survivor__in=visible_qs
            ).values_list("merged_code", "survivor__external_code"):
                alias[merged_code] = survivor_code
            exists_elsewhere = set(
                Customer.objects.filter(external_code__in=missing - set(alias)).values_list(
                    "external_code", flat=True
                )
            )
        else:
            exists_elsewhere = set()
        for row in chunk:
            code = row.customer_code
            if not code or code in visible:
                continue
            if code in alias:
                row.customer_code = alias[code]
            elif self.create_customers and code not in exists_elsewhere:
                row.new_customer = True
            else:
                row.problems.append(
                    Problem(
                        row.number,
                        "customer_code",
                        show(code),
                        _("unknown customer code")
                        + (
                            ""
                            if self.create_customers
                            else " " + _("(import the customers first, or allow creating them)")
                        ),
                    )
                )

    def _classify_keys(self, chunk: list[Row]) -> None:
        model = self.kind.model
        keys = {r.key for r in chunk if r.key and not r.problems}
        if not keys:
            return
        existing = dict(
            model._default_manager.filter(external_code__in=keys).values_list(
                "external_code", "customer_id" if self.kind.has_customer else "pk"
            )
        )
        if self.actor is not None and existing:
            allowed: set[Any]  # customer ids, or record codes
            if self.kind.has_customer:
                owners = set(existing.values())
                allowed = set(
                    customers_visible_to(self.actor)
                    .filter(pk__in=owners)
                    .values_list("pk", flat=True)
                )
                foreign = {k for k, cid in existing.items() if cid not in allowed}
            else:
                allowed = set(
                    customers_visible_to(self.actor)
                    .filter(external_code__in=existing)
                    .values_list("external_code", flat=True)
                )
                foreign = set(existing) - allowed
        else:
            foreign = set()
        for row in chunk:
            if row.problems or not row.key:
                continue
            if row.key in foreign:
                row.problems.append(
                    Problem(
                        row.number,
                        "code",
                        show(row.key),
                        _("this code is already used by a record outside your customers"),
                    )
                )
                continue
            action = "update" if row.key in existing else "create"
            if self.kind.name == "contact_logs":
                if row.customer_code:
                    self.log_customer_codes.add(row.customer_code)
                if action == "update":
                    self.log_customer_ids.add(existing[row.key])
            if action == "update":
                self.report.to_update += 1
            else:
                self.report.to_create += 1
            if len(self.report.samples) < MAX_SAMPLES:
                self.report.samples.append(
                    {
                        "row": row.number,
                        "action": action,
                        "code": "" if row.key.startswith("~") else row.key,
                        "customer_code": row.customer_code or "",
                        "name": row.values.get("name") or row.values.get("summary") or "",
                    }
                )

    def _warn_duplicates(self, chunk: list[Row]) -> None:
        """New customers whose name, phone or tax number is already on file: a warning that
        names the existing customer when the user may see it."""
        new = [r for r in chunk if not r.problems and r.key]
        names = {r.values.get("name") for r in new if r.values.get("name")}
        phones = {r.values.get("phone") for r in new if r.values.get("phone")}
        taxes = {r.values.get("tax_number") for r in new if r.values.get("tax_number")}
        if len(self.report.warnings) >= MAX_WARNINGS or not (names or phones or taxes):
            return
        keys = [r.key for r in new]
        matches = list(
            Customer.objects.filter(
                Q(name__in=names) | Q(phone__in=phones) | Q(tax_number__in=taxes)
            )
            .exclude(external_code__in=keys)
            .values_list("pk", "external_code", "name", "phone", "tax_number")[:MAX_WARNINGS]
        )
        if not matches:
            return
        visible_ids = (
            {m[0] for m in matches}
            if self.actor is None
            else set(
                customers_visible_to(self.actor)
                .filter(pk__in=[m[0] for m in matches])
                .values_list("pk", flat=True)
            )
        )
        for row in new:
            for pk, code, name, phone, tax in matches:
                v = row.values
                if (
                    v.get("name") == name
                    or (phone and v.get("phone") == phone)
                    or (tax and v.get("tax_number") == tax)
                ):
                    who = f"{name} ({code})" if pk in visible_ids else _("another rep's customer")
                    self.report.warnings.append(
                        _("Row %(row)s may duplicate %(who)s (same name, phone or tax number).")
                        % {"row": row.number, "who": who}
                    )
                    break
            if len(self.report.warnings) >= MAX_WARNINGS:
                return

    def _write_skipped(self, row: Row) -> None:
        if self.skipped_path is None:
            return
        if self.skipped_file is None:
            self.skipped_file = self.skipped_path.open("w", encoding="utf-8-sig", newline="")
            self.skipped_writer = csv.writer(self.skipped_file)
            self.skipped_writer.writerow(["row", *self.header, "problems"])
        reasons = "; ".join(
            f"{pr.column}: {pr.reason}" if pr.column else pr.reason for pr in row.problems
        )
        self.skipped_writer.writerow(
            [row.number, *[serialise(c, blank="") for c in row.cells], reasons]
        )
        self.report.skipped_path = str(self.skipped_path)

    # ------------------------------------------------------------------ pass 2

    @transaction.atomic
    def _write(self, staged) -> None:
        from .writers import create_missing_customers, write_generic, write_postgres

        if self.new_customer_codes:
            self.report.customers_created = create_missing_customers(
                codes=sorted(self.new_customer_codes), actor=self.actor
            )
        writer = write_postgres if is_postgresql() else write_generic
        self.report.created, self.report.updated = writer(
            kind=self.kind,
            fields=self.fields,
            staged=staged,
            defaults=self.create_defaults(),
            timings=self.report.timings,
            expect_updates=self.report.to_update > 0,
            expect_creates=self.report.to_create > 0,
            history_user_id=self.actor.pk if self.actor is not None else None,
        )
        if self.kind.name == "contact_logs":
            self._contact_logs_changed()
        self.report.written = True

    def _contact_logs_changed(self) -> None:
        """Higher layers recompute what they derive from the last contact, in this write's
        transaction (one lookup per chunk of customer codes)."""
        ids = set(self.log_customer_ids)
        codes = sorted(self.log_customer_codes)
        for start in range(0, len(codes), CHUNK):
            ids.update(
                Customer.objects.filter(external_code__in=codes[start : start + CHUNK]).values_list(
                    "pk", flat=True
                )
            )
        contact_logs_changed(ids)
