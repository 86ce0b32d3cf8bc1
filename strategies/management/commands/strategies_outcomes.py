"""manage.py strategies_outcomes [--as-of YYYY-MM-DD]: recompute the playbook effectiveness
figures now (the nightly run does it after each classification)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from segmentation.models import Run
from strategies.services.outcomes import adherence_rollup_refresh, playbook_outcomes_refresh


class Command(BaseCommand):
    help = (
        "Recompute the playbook dashboards' figures (effectiveness: who improved within "
        "30/60/90 days, steps kept or not; adherence per week) as of the current run's date "
        "or --as-of. Safe to repeat."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: the current run's date)")

    def handle(self, *args, as_of=None, **opts):
        if as_of:
            try:
                day = dt.date.fromisoformat(as_of)
            except ValueError:
                raise CommandError(f"--as-of must be YYYY-MM-DD, not {as_of!r}.") from None
        else:
            run = Run.objects.filter(is_current=True).first()
            if run is None:
                raise CommandError("There is no current run yet: run the classification first.")
            day = run.as_of
        result = playbook_outcomes_refresh(as_of=day)
        self.stdout.write(
            f"playbook outcomes as of {result.as_of}: {result.enrollments} enrollments, "
            f"{result.rollup_rows} summary rows in {result.seconds} s"
        )
        rows = adherence_rollup_refresh(as_of=day)
        self.stdout.write(f"adherence totals as of {day}: {rows} rows")
