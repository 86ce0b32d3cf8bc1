"""manage.py segment_aggregates [--missing | --as-of DATE]: (re)write the dashboards' per-run
aggregates. Every run writes its own; this backfills runs made before the aggregates existed."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from segmentation.aggregates import aggregates_backfill, runs_missing_aggregates
from segmentation.models import Run, RunStatus


class Command(BaseCommand):
    help = "Write the dashboards' aggregates of succeeded runs that lack them (or of one date)."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--missing", action="store_true", help="Every run without them.")
        group.add_argument("--as-of", type=dt.date.fromisoformat, help="One run, YYYY-MM-DD.")

    def handle(self, *args, missing, as_of, **options):
        if missing:
            runs = list(runs_missing_aggregates())
        else:
            run = Run.objects.filter(as_of=as_of, status=RunStatus.SUCCEEDED).first()
            if run is None:
                raise CommandError(f"No succeeded run as of {as_of}.")
            runs = [run]
        if not runs:
            self.stdout.write("Every succeeded run has its aggregates.")
        for run in runs:
            clock = time.perf_counter()
            kind = aggregates_backfill(run)
            self.stdout.write(
                f"{run.as_of}: {kind} aggregates in {time.perf_counter() - clock:.1f}s"
                + (
                    ""
                    if kind == "full"
                    else " (per-customer rows gone: whole-base class counts and transitions)"
                )
            )
