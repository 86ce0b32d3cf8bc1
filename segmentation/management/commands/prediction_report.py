"""manage.py prediction_report: the prediction model's report card and its backtest.

prediction_report --run [ID]                 the backtest stored with a run (default: current)
prediction_report --as-of DATE [--out-dir DIR] [--horizon DAYS]
    the report card: BG/NBD and MBG/NBD fitted on purchases up to DATE against the next 365
    days, then the whole procedure (backtest inside the history up to DATE, selected model,
    bias correction) against plain BG/NBD over the next --horizon days.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from segmentation.models import Run
from segmentation.prediction.backtest import TABLE_HEADER, table_rows, why_text
from segmentation.prediction.evaluation import evaluate, evaluate_selection
from segmentation.prediction.history import backtest_history, purchase_history_summarise


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of {value!r} is not a date in the form YYYY-MM-DD") from exc


def backtest_text(stored: dict | None) -> str:
    """The stored backtest as a plain-text table (English headings, like the report card)."""
    if not stored:
        return "No backtest stored (the history was too short or the data too thin).\n"
    rows = [tuple(str(h) for h in TABLE_HEADER), *table_rows(stored)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(TABLE_HEADER))]
    lines = [
        f"Backtest: held out the last {stored.get('holdout_days')} days of the history, "
        f"{stored.get('n_customers')} customers, {stored.get('n_bought_again')} bought again",
        *("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows),
        f"Choice: {why_text(stored.get('why'))}",
        f"Bias correction of the total: x{stored.get('bias_factor')}",
    ]
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = (
        "Show the model-choice backtest stored with a run (--run), or fit the purchase models "
        "on transactions up to --as-of and compare their predictions with what customers did "
        "afterwards; writes a text report, CSV tables and a PNG chart."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="last day of the fitting period")
        parser.add_argument(
            "--run", nargs="?", const="current", help="print the backtest stored with run ID"
        )
        parser.add_argument("--out-dir", default="prediction_report", help="output directory")
        parser.add_argument(
            "--horizon", type=int, default=365, help="days after --as-of to judge (default 365)"
        )

    def handle(self, *args: object, **options: object) -> None:
        with translation.override("en"):
            if options.get("run"):
                self._run(str(options["run"]))
                return
            if not options.get("as_of"):
                raise CommandError("give --as-of DATE or --run [ID]")
            self._as_of(options)

    def _run(self, which: str) -> None:
        runs = Run.objects.all()
        if which == "current":
            run = runs.filter(is_current=True).first()
            if run is None:
                raise CommandError("No current run yet; run the segmentation first.")
        else:
            if not which.isdigit():
                raise CommandError(f"--run {which!r} is not a run id")
            run = runs.filter(pk=int(which)).first()
            if run is None:
                raise CommandError(f"Run {which} does not exist.")
        stored = run.prediction or {}
        self.stdout.write(
            f"Run {run.pk} as of {run.as_of}: count model {stored.get('count_method', '–')}"
        )
        self.stdout.write(backtest_text(stored.get("backtest")))

    def _as_of(self, options: dict) -> None:
        as_of = _date(str(options["as_of"]))
        history = purchase_history_summarise(as_of=as_of)
        if history.empty:
            raise CommandError(f"No paid or open transaction on or before {as_of}; nothing to fit.")
        report = evaluate(history=history, as_of=as_of.isoformat())
        paths = report.write(Path(str(options["out_dir"])))
        self.stdout.write(report.to_text())
        horizon = int(options["horizon"])
        judged = (
            history
            if horizon == 365
            else purchase_history_summarise(as_of=as_of, horizon_days=horizon)
        )
        summary = judged[["frequency", "recency", "T", "monetary_value"]]
        backtest = backtest_history(as_of=as_of, span_days=int(summary["T"].max()))
        table, prediction = evaluate_selection(
            summary=summary,
            backtest=backtest,
            actual=judged["actual_orders"].to_numpy(dtype=float),
            horizon=float(horizon),
        )
        self.stdout.write("")
        self.stdout.write(f"Model choice inside the history up to {as_of}")
        self.stdout.write(backtest_text(prediction.as_dict()["backtest"]))  # type: ignore[arg-type]
        for notice in prediction.notices:
            self.stdout.write(f"  note: {notice.message}")
        self.stdout.write(f"Judged on the {horizon} days after {as_of}:")
        self.stdout.write(table.to_string(float_format=lambda v: f"{v:,.4f}"))
        selection = Path(str(options["out_dir"])) / "prediction_selection.csv"
        table.to_csv(selection)
        for path in [*paths, selection]:
            self.stdout.write(f"wrote {path}")
