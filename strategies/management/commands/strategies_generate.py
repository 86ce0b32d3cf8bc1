from django.core.management.base import BaseCommand, CommandError

from segmentation.models import Run, RunStatus
from strategies.services import pool_sweep, strategies_generate, tasks_mark_missed
from strategies.services.touch import touch_due_refresh


class Command(BaseCommand):
    help = (
        "Turn a classification run's class changes into enrollments and tasks, mark missed "
        "tasks, sweep the public pool and recompute next contact deadlines. Safe to repeat."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--run", type=int, help="id of a succeeded segmentation run")
        which.add_argument("--latest", action="store_true", help="the current run")
        parser.add_argument(
            "--backfill",
            action="store_true",
            help="enrol every customer currently in a class (first run, new playbook)",
        )
        parser.add_argument("--no-pool", action="store_true", help="skip the pool sweep")

    def handle(self, *args, **opts):
        if opts["latest"]:
            run = Run.objects.filter(is_current=True).first()
            if run is None:
                raise CommandError("There is no current run yet: run the classification first.")
        else:
            run = Run.objects.filter(pk=opts["run"]).first()
            if run is None:
                raise CommandError(f"Run {opts['run']} does not exist.")
        if run.status != RunStatus.SUCCEEDED:
            raise CommandError(f"Run {run.pk} ({run.as_of}) has not succeeded: {run.status}.")
        result = strategies_generate(run_id=run.pk, backfill=opts["backfill"])
        self.stdout.write(
            f"run {run.pk} ({run.as_of}): {result.enrolled} enrolled, {result.ended} ended, "
            f"{result.tasks_created} tasks created, {result.tasks_closed} closed as not "
            f"applicable, {result.tasks_displaced} displaced, {result.tasks_capped} capped"
        )
        missed = tasks_mark_missed(as_of=run.as_of)
        self.stdout.write(f"{missed} tasks marked missed")
        if not opts["no_pool"]:
            pool = pool_sweep(as_of=run.as_of)
            self.stdout.write(f"pool: {pool.noticed} owners warned, {pool.released} released")
        changed = touch_due_refresh()
        self.stdout.write(f"next contact deadlines: {changed} changed")
