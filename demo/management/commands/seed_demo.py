"""manage.py seed_demo --customers N [--seed S] [--reps R] [--as-of DATE] [--flush] [--no-input]
[--history [--history-days D] [--history-step S]]

Fills the database with a realistic demo CRM (demo.seed) and prints one login per role. With
--history it also classifies the demo at past dates up to --as-of, the reps working their
lists in between (demo.history), so the dashboards open on a year of figures."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer
from demo.history import HISTORY_DAYS, HISTORY_STEP_DAYS, demo_history, history_summary
from demo.seed import SeedError, demo_logins_rows, seed_demo
from demo.seed.report import logins_summary, seed_summary


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of must be a date like 2026-03-31, not {value!r}.") from None


class Command(BaseCommand):
    help = "Fill the database with demo customers, orders and activity; print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=3000, help="How many (default 3000).")
        parser.add_argument("--seed", type=int, default=42, help="Same seed, same data.")
        parser.add_argument(
            "--reps",
            type=int,
            default=None,
            help="Sales reps (default ~1 per 500 customers; at least 2 per team of 6).",
        )
        parser.add_argument("--as-of", type=_date, default=None, help="Run date (default today).")
        parser.add_argument(
            "--flush", action="store_true", help="Delete every customer record first."
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask before --flush deletes data.",
        )
        parser.add_argument(
            "--history",
            action="store_true",
            help="Then classify at past dates up to --as-of, with the reps' work in between "
            "(a year of runs and tasks; meant for demo sizes).",
        )
        parser.add_argument(
            "--history-days",
            type=int,
            default=HISTORY_DAYS,
            help=f"With --history: how far back the first run is (default {HISTORY_DAYS}).",
        )
        parser.add_argument(
            "--history-step",
            type=int,
            default=HISTORY_STEP_DAYS,
            help=f"With --history: days between two runs (default {HISTORY_STEP_DAYS}).",
        )

    def handle(self, *args, customers, seed, reps, as_of, flush, interactive, **options):
        progress = self.stderr.write if options["verbosity"] > 0 else None
        if flush and interactive and Customer.objects.exists():
            answer = input(
                "--flush deletes every customer, order, contact and log in this database. "
                "Type 'yes' to continue: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Cancelled; nothing was deleted.")
        try:
            report = seed_demo(
                customers=customers,
                seed=seed,
                reps=reps,
                as_of=as_of,
                flush=flush,
                progress=progress,
            )
            history = None
            if options["history"]:
                history = demo_history(
                    until=report.as_of,
                    days=options["history_days"],
                    step=options["history_step"],
                    seed_value=seed,
                    progress=progress,
                )
        except SeedError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(seed_summary(report))
        if history is not None:
            self.stdout.write(history_summary(history))
        self.stdout.write("")
        self.stdout.write(logins_summary(demo_logins_rows()))
        if history is None:
            self.stdout.write("")
            self.stdout.write("Next: `manage.py segment` classifies the new customers.")
