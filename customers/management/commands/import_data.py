"""manage.py import_data KIND FILE [--dry-run] [--skip-invalid] [--create-customers]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers.importing import KINDS, run_import

# Problems printed before "… and N more"; the full list goes to --problems-out.
SHOWN_PROBLEMS = 50


class Command(BaseCommand):
    help = (
        "Import customers, contacts, transactions or contact logs from a CSV or XLSX file. "
        "Nothing is written while any row is invalid, unless --skip-invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Write the valid rows and put the invalid ones in --skipped-out.",
        )
        parser.add_argument(
            "--create-customers",
            action="store_true",
            help="Create a customer (named after its code) for unknown customer codes.",
        )
        parser.add_argument(
            "--skipped-out",
            type=Path,
            help="Where skipped rows go (default: FILE.skipped.csv next to the file).",
        )

    def handle(self, *args, kind, file, dry_run, skip_invalid, create_customers, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        skipped = options.get("skipped_out") or file.with_suffix(file.suffix + ".skipped.csv")
        report = run_import(
            kind=kind,
            path=file,
            actor=None,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            create_customers=create_customers,
            skipped_path=skipped if skip_invalid else None,
        )
        out = self.stdout
        if report.file_error:
            raise CommandError(report.file_error)
        for column in report.ignored_columns:
            out.write(self.style.WARNING(f"column ignored (not recognised): {column}"))
        for warning in report.warnings[:SHOWN_PROBLEMS]:
            out.write(self.style.WARNING(warning))
        for pr in report.problems[:SHOWN_PROBLEMS]:
            out.write(f"row {pr.row}, column {pr.column or '-'}, value {pr.value!r}: {pr.reason}")
        if report.problems_total > SHOWN_PROBLEMS:
            out.write(f"… and {report.problems_total - SHOWN_PROBLEMS} more problems")
        out.write(
            f"{report.rows} rows: {report.valid} valid, {report.invalid} invalid; "
            f"would create {report.to_create}, update or keep {report.to_update}"
            + (f"; new customers {report.customers_to_create}" if create_customers else "")
        )
        if report.skipped_path:
            out.write(f"skipped rows written to {report.skipped_path}")
        if dry_run:
            out.write(self.style.SUCCESS("Dry run: nothing was written."))
        elif report.blocked:
            raise CommandError(
                f"{report.invalid} invalid rows: nothing was written. Fix them, or run with "
                "--skip-invalid to import the valid rows only."
            )
        else:
            out.write(
                self.style.SUCCESS(
                    f"Written: {report.created} created, {report.updated} updated"
                    + (
                        f", {report.customers_created} customers created"
                        if create_customers
                        else ""
                    )
                )
            )
