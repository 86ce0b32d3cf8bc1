"""manage.py demo_logins — reprint the demo logins of a database filled by seed_demo."""

from django.core.management.base import BaseCommand

from demo.seed import demo_logins_rows
from demo.seed.report import logins_summary


class Command(BaseCommand):
    help = "Print one demo login per role, with what each one sees."

    def handle(self, *args, **options):
        self.stdout.write(logins_summary(demo_logins_rows()))
