"""manage.py export_data customers --out FILE.csv"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from customers.exporting import customer_export_rows, write_csv, write_xlsx
from customers.models import Customer


class Command(BaseCommand):
    help = (
        "Export every customer with its profile fields and key figures, one row each, with "
        "stable English column names (code, name, …). Other apps add their columns."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["customers"])
        parser.add_argument("--out", type=Path, required=True, help="FILE.csv or FILE.xlsx")

    def handle(self, *args, what, out, **options):
        rows = customer_export_rows(Customer.objects.all(), today=timezone.localdate())
        if out.suffix.lower() == ".xlsx":
            tmp = write_xlsx(rows)
            with out.open("wb") as fh:
                while piece := tmp.read(1 << 20):
                    fh.write(piece)
            self.stdout.write(self.style.SUCCESS(f"Wrote {out}"))
            return
        if out.suffix.lower() != ".csv":
            raise CommandError("--out must end in .csv or .xlsx")
        with out.open("w", encoding="utf-8", newline="") as fh:
            n = write_csv(rows, fh)
        self.stdout.write(self.style.SUCCESS(f"Wrote {n} customers to {out}"))
