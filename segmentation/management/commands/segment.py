"""manage.py segment [--as-of YYYY-MM-DD] [--force]: classify every customer now."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from segmentation.services import RunInProgress, RunRefused, segmentation_run


class Command(BaseCommand):
    help = "Classify every customer as of a date (default: today) and make the classes current."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="Run date, YYYY-MM-DD (default: today).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Recompute even if this date already has a finished run.",
        )
        parser.add_argument("--partition-size", type=int, default=None)

    def handle(self, *args, as_of, force, partition_size, **options):
        as_of = as_of or timezone.localdate()
        bar = tqdm(total=0, unit="part", disable=options["verbosity"] == 0)

        def progress(done: int, total: int, phase: str) -> None:
            bar.total = total
            bar.set_description(phase)
            bar.update(done - bar.n)

        kwargs = {"partition_size": partition_size} if partition_size else {}
        try:
            run = segmentation_run(
                as_of=as_of,
                force=force,
                progress=progress,
                triggered_by="manage.py segment",
                **kwargs,
            )
        except (RunInProgress, RunRefused) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        self.stdout.write(
            f"{run.as_of}: {run.get_status_display()} · {run.customers_total} customers · "
            f"{run.changes_total} changes · rule set v{run.rule_set.version}"
        )
