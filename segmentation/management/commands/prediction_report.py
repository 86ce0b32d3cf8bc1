"""manage.py prediction_report --as-of DATE [--out-dir DIR]: the prediction model's report card."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from segmentation.prediction.evaluation import evaluate
from segmentation.prediction.history import purchase_history_summarise


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of {value!r} is not a date in the form YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = (
        "Fit the purchase models on transactions up to --as-of and compare their predictions "
        "with what customers did in the following 365 days; writes a text report, CSV tables "
        "and a PNG chart."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", required=True, help="last day of the fitting period")
        parser.add_argument("--out-dir", default="prediction_report", help="output directory")

    def handle(self, *args: object, **options: object) -> None:
        as_of = _date(str(options["as_of"]))
        history = purchase_history_summarise(as_of=as_of)
        if history.empty:
            raise CommandError(f"No paid or open transaction on or before {as_of}; nothing to fit.")
        # The report's tables and headings are English; keep its notes in the same language.
        with translation.override("en"):
            report = evaluate(history=history, as_of=as_of.isoformat())
            paths = report.write(Path(str(options["out_dir"])))
            self.stdout.write(report.to_text())
        for path in paths:
            self.stdout.write(f"wrote {path}")
