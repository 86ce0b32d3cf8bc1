"""manage.py export_data customers --out FILE.csv"""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from customers.exporting import (
    customer_export_rows,
    export_log_start,
    export_logged,
    write_csv,
    write_xlsx,
)
from customers.models import AuditSource, Customer


class Command(BaseCommand):
    help = (
        "Export every customer with its profile fields and key figures, one row each, with "
        "stable English column names (code, name, …). Other apps add their columns."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["customers"])
        parser.add_argument("--out", type=Path, required=True, help="FILE.csv or FILE.xlsx")
        parser.add_argument(
            "--masked",
            action="store_true",
            help="Mask phone numbers and e-mail addresses (138****5678, a***@example.com).",
        )

    def handle(self, *args, what, out, masked, **options):
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            raise CommandError("--out must end in .csv or .xlsx")
        # The command runs with shell access to the server: a trusted operator, logged as
        # such (the OS user) like every web export.
        log = export_log_start(
            user=None,
            fmt=fmt,
            query=f"{what} --out {out}" + (" --masked" if masked else ""),
            personal_data=not masked,
            source=AuditSource.COMMAND,
            username=f"shell:{getpass.getuser()}",
        )
        rows = export_logged(
            customer_export_rows(
                Customer.objects.all(), today=timezone.localdate(), personal_data=not masked
            ),
            log,
        )
        if out.suffix.lower() == ".xlsx":
            tmp = write_xlsx(rows)
            with out.open("wb") as fh:
                while piece := tmp.read(1 << 20):
                    fh.write(piece)
            self.stdout.write(self.style.SUCCESS(f"Wrote {out}"))
            return
        with out.open("w", encoding="utf-8", newline="") as fh:
            n = write_csv(rows, fh)
        self.stdout.write(self.style.SUCCESS(f"Wrote {n} customers to {out}"))
