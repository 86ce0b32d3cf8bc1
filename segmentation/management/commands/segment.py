"""manage.py segment [--as-of YYYY-MM-DD] [--force] [--workers N | --async [--no-wait]]:
classify every customer now, in this process or on the Celery workers."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from crm.queue import QueueUnavailable
from segmentation.models import Run, RunStatus
from segmentation.pipeline.claim import RunInProgress, RunRefused
from segmentation.pipeline.executors import distributed, run_start, segmentation_run


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
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Partitions at once in this process (threads; PostgreSQL only). "
            "Default: SEGMENTATION_WORKERS.",
        )
        parser.add_argument(
            "--async",
            dest="use_celery",
            action="store_true",
            help="Run on the Celery workers (partitions spread over every worker) and follow "
            "the progress here.",
        )
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="With --async: return once the run has started.",
        )

    def handle(self, *args, as_of, force, partition_size, workers, use_celery, **options):
        as_of = as_of or timezone.localdate()
        if use_celery and not distributed():
            raise CommandError(
                "--async needs a broker (REDIS_URL) and Celery not in eager mode; "
                "without them the run happens in this process: leave out --async."
            )
        bar = tqdm(total=0, unit="step", disable=options["verbosity"] == 0)

        def progress(done: int, total: int, phase: str) -> None:
            bar.total = total
            bar.set_description(phase)
            bar.update(done - bar.n)

        kwargs = {"partition_size": partition_size} if partition_size else {}
        try:
            if use_celery:
                run = run_start(
                    as_of=as_of, force=force, triggered_by="manage.py segment --async", **kwargs
                )
                if run.status == RunStatus.RUNNING:
                    self.stdout.write(
                        f"{run.as_of}: started on the Celery workers (run {run.pk}, attempt "
                        f"{run.attempts}); the admin's run page shows its progress."
                    )
                    if options["no_wait"]:
                        return
                    run = self._follow(run, progress)
            else:
                run = segmentation_run(
                    as_of=as_of,
                    force=force,
                    progress=progress,
                    triggered_by="manage.py segment",
                    workers=workers,
                    **kwargs,
                )
        except (RunInProgress, RunRefused, QueueUnavailable) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        if run.status == RunStatus.FAILED:
            raise CommandError(f"{run.as_of}: the run failed: {run.error}")
        self.stdout.write(
            f"{run.as_of}: {run.get_status_display()} · {run.customers_total} customers · "
            f"{run.changes_total} changes · rule set v{run.rule_set.version}"
        )

    def _follow(self, run: Run, progress) -> Run:
        """Polls the run until it is no longer running (Ctrl-C stops following only)."""
        while True:
            run.refresh_from_db()
            progress(run.partitions_done, run.partitions_total, run.phase)
            if run.status != RunStatus.RUNNING:
                return run
            time.sleep(1)
