"""A demo with history: a year of nightly classifications at past dates, with the reps' work
between them, so every dashboard has real figures on the first page.

`demo_history` runs the product's own pipeline for each past date, oldest first:
- the classification is `segmentation.services.segmentation_run(as_of=…)`, the service the
  nightly job and `manage.py segment` call; its post-run hook (strategies' task generation,
  missed tasks, the pool sweep, playbook outcomes and the adherence rollup) runs in this
  process (see `_hooks_in_process`);
- between two runs the reps work their lists (`_rep_work`): each playbook task due before the
  next run is done on time, done late or left to be marked missed by the next run, and a done
  contact task logs the contact.

The classification reads only records dated up to its `as_of` (orders, logs, cases, surveys),
and the seed spreads those over several years, so past runs see customers earlier in their
lives: prospects who later buy, buyers who later lapse — real class movements between runs.

Rep work is written in bulk (one SELECT of the tasks due, one INSERT of contact logs, a few
UPDATEs per interval), not through `task_complete` and `contact_log_create`: those services
stamp the current time (a task done last March would read as done today), check access per
row and cost a few queries per task — thousands of tasks × dozens of intervals. The rows
written are the ones those services write: status, closed_on, completed_at and the linked
contact log of a done task; a contact log with the rep, channel, outcome and summary.

The default schedule (a run every three weeks for a year) costs about two seconds of CPU per
run at the demo's 3,000 customers on SQLite; it is meant for demo sizes, not a million."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from crm.db import next_ids
from customers.models import ContactLog, Customer, Transaction
from customers.models.choices import (
    ContactChannel,
    ContactOutcome,
    CustomerKind,
    Direction,
    Market,
)
from segmentation.models import Run, RunStatus
from segmentation.services import segmentation_run
from strategies.models import OPEN_STATUSES, Enrollment, Task, TaskKind, TaskStatus
from strategies.services.tasks import CHANNEL_FOR_KIND

from . import seed
from .seed import vocab

# A run every three weeks over a year: 19 runs, about 40 s of CPU at 3,000 customers on SQLite,
# which keeps `make run` from a fresh clone under five minutes (README). Movements and the
# funnel compare the current run with the previous one, so three weeks apart they show real
# movement (a day apart, a funnel of 3,000 customers is mostly zeros); effectiveness reads the
# class changes within 30/60/90 days of an enrollment. `--history-step 7` gives a denser year
# at about three times the cost.
HISTORY_DAYS = 365
HISTORY_STEP_DAYS = 21

# Share of a rep's tasks done on time; each rep draws a diligence in this range, so the
# adherence pages rank reps differently.
ON_TIME_RANGE = (0.45, 0.85)
# Of the tasks not done on time, the share done late (1–6 days after the due date, inside the
# grace period before the run marks a task missed); the rest are missed.
LATE_SHARE = 0.55
LATE_DAYS_MAX = 6
# Demo only: reps are likelier to keep the steps with customers who are about to buy again (an
# order within ENGAGED_DAYS of the interval), so kept steps go with improvement on the
# effectiveness page (a small lift on the make run demo). The figures are simulated; they
# prove nothing about playbooks.
ENGAGED_BONUS = 0.15
ENGAGED_DAYS = 60
# Outcomes of a logged contact; "interested" and "follow_up" turn a prospect into an intent
# customer at the next run (segmentation reads them), which the funnel then counts.
LOG_OUTCOMES = (
    (ContactOutcome.REACHED, 0.45),
    (ContactOutcome.INTERESTED, 0.15),
    (ContactOutcome.FOLLOW_UP, 0.15),
    (ContactOutcome.NO_ANSWER, 0.12),
    (ContactOutcome.NOT_INTERESTED, 0.08),
    (ContactOutcome.ORDER, 0.05),
)
FOLLOW_UP_DAYS = 7
# Channels of the calls and visits between tasks (companies are also visited).
COMPANY_CHANNELS = (
    ContactChannel.CALL,
    ContactChannel.CALL,
    ContactChannel.VISIT,
    ContactChannel.WECHAT,
)
PERSON_CHANNELS = (ContactChannel.CALL, ContactChannel.WECHAT, ContactChannel.WECHAT)
# Office hours 09:00–18:00 China time, as seconds after midnight.
OFFICE_SECONDS = (9 * 3600, 18 * 3600)
# Rows per INSERT/UPDATE: well inside SQLite's parameter limit.
BATCH = 1000


@dataclass
class HistoryReport:
    runs: int = 0
    first: dt.date | None = None
    last: dt.date | None = None
    tasks_on_time: int = 0
    tasks_late: int = 0
    contact_logs: int = 0
    seconds: float = 0.0


def history_dates(*, until: dt.date, days: int, step: int) -> list[dt.date]:
    """Run dates, oldest first: `until` and every `step` days before it, going back at least
    `days` days."""
    count = -(-days // step)  # ceiling: the oldest run is at least `days` before `until`
    return [until - dt.timedelta(days=step * k) for k in range(count, -1, -1)]


def history_summary(report: HistoryReport) -> str:
    return (
        f"History: {report.runs} classification runs from {report.first} to {report.last} "
        f"(the last is current); reps' work in between: {report.tasks_on_time:,} tasks done on "
        f"time, {report.tasks_late:,} late, {report.contact_logs:,} contacts logged "
        f"({report.seconds:,.0f} s)."
    )


@contextmanager
def _hooks_in_process() -> Iterator[None]:
    """Celery tasks run in this process for the duration. The post-run hook enqueues strategies'
    work after each run; with workers (REDIS_URL set) it would run later, on a worker, while
    this loop starts the next night — the next night's rep work needs this night's tasks, and
    a late worker would generate tasks from an old run. Eager mode is Celery's own switch."""
    from crm.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def demo_history(
    *,
    until: dt.date | None = None,
    days: int = HISTORY_DAYS,
    step: int = HISTORY_STEP_DAYS,
    seed_value: int = 42,
    progress: Callable[[str], None] | None = None,
) -> HistoryReport:
    """Classifies the seeded demo at every date of `history_dates` and simulates the reps'
    work between runs (see the module docstring). The last run is `until` (default today)
    and is the current one. Refuses a database that already has a run: history is written
    once, right after `seed_demo`."""
    started = time.perf_counter()
    today = timezone.localdate()
    until = until or today
    if until > today:
        raise seed.SeedError(f"The history cannot end in the future (today is {today}).")
    if not 1 <= step <= days:
        raise seed.SeedError(
            f"--history-step must be between 1 and --history-days ({days}), not {step}."
        )
    if Run.objects.exists():
        raise seed.SeedError(
            "This database already has classification runs; the demo history is written once, "
            "right after the seed. Run seed_demo again with --flush."
        )
    if not Customer.objects.exists():
        raise seed.SeedError("No customers: run seed_demo first.")
    dates = history_dates(until=until, days=days, step=step)
    report = HistoryReport(first=dates[0], last=dates[-1])
    rates = _rep_rates(seed_value)
    previous: dt.date | None = None
    with _hooks_in_process():
        for as_of in dates:
            if previous is not None:
                done = _rep_work(after=previous, until=as_of, seed_value=seed_value, rates=rates)
                report.tasks_on_time += done[0]
                report.tasks_late += done[1]
                report.contact_logs += done[2]
            run = segmentation_run(as_of=as_of, triggered_by="seed_demo history")
            if run.status != RunStatus.SUCCEEDED:
                raise seed.SeedError(f"The run as of {as_of} did not succeed: {run.error}")
            report.runs += 1
            previous = as_of
            if progress and (report.runs % 10 == 0 or as_of == dates[-1]):
                progress(
                    f"history: {report.runs}/{len(dates)} runs, as of {as_of} "
                    f"({time.perf_counter() - started:,.0f} s)"
                )
    report.seconds = time.perf_counter() - started
    return report


def _uniform(ids: np.ndarray, salt: int) -> np.ndarray:
    """A stable uniform draw in [0, 1) per id (splitmix64): a task keeps its fate from one
    interval to the next, whatever else the demo holds."""
    with np.errstate(over="ignore"):
        x = ids.astype(np.uint64) + np.uint64(salt) * np.uint64(0x9E3779B97F4A7C15)
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


def _rep_rates(seed_value: int) -> dict[int | None, float]:
    """Each rep's share of tasks done on time (their diligence)."""
    from crm.models import User

    ids = np.array(sorted(User.objects.values_list("pk", flat=True)), dtype=np.int64)
    lo, hi = ON_TIME_RANGE
    draws = lo + (hi - lo) * _uniform(ids, seed_value * 7 + 1)
    return dict(zip(ids.tolist(), draws.tolist(), strict=True))


def _at(day: dt.date, fraction: float) -> dt.datetime:
    """An aware time within office hours of `day`."""
    lo, hi = OFFICE_SECONDS
    seconds = int(lo + (hi - lo) * fraction)
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    return timezone.make_aware(naive)


@dataclass(frozen=True)
class _Contact:
    """One contact to log: on `day`, by the owner; `draw` is the contact's stable uniform draw
    (time of day, outcome, summary); `task_id` the task it completes, if any."""

    day: dt.date
    customer_id: int
    owner_id: int
    channel: str
    draw: float
    task_id: int | None = None


@transaction.atomic
def _rep_work(
    *, after: dt.date, until: dt.date, seed_value: int, rates: dict[int | None, float]
) -> tuple[int, int, int]:
    """The reps' work on days [after, until): the tasks due (`_tasks_worked`) and the calls and
    visits of their cadence (`_cadence_contacts`). Returns (on time, late, contact logs)."""
    contacts, on_time, late = _tasks_worked(
        after=after, until=until, seed_value=seed_value, rates=rates
    )
    contacts += _cadence_contacts(after=after, until=until, seed_value=seed_value, rates=rates)
    return on_time, late, _log_contacts(contacts)


def _tasks_worked(
    *, after: dt.date, until: dt.date, seed_value: int, rates: dict[int | None, float]
) -> tuple[list[_Contact], int, int]:
    """Every open task whose fate is to be done on a day in [after, until) is done then; a
    done contact task is returned as a contact to log. Tasks whose fate is "missed" stay open:
    the run as of `until` marks them missed (strategies.services.tasks_mark_missed)."""
    last_day = until - dt.timedelta(days=1)
    rows = list(
        Task.objects.filter(status__in=OPEN_STATUSES, due_on__lte=last_day)
        .exclude(owner__isnull=True)
        .values_list("id", "customer_id", "owner_id", "kind", "due_on", "enrollment__started_on")
    )
    if not rows:
        return [], 0, 0
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    fate, draw, pace = (_uniform(ids, seed_value * 7 + k) for k in (2, 3, 4))
    engaged = set(
        Transaction.objects.filter(
            date__gt=after, date__lte=until + dt.timedelta(days=ENGAGED_DAYS)
        ).values_list("customer_id", flat=True)
    )
    done: dict[dt.date, list[int]] = defaultdict(list)
    contacts: list[_Contact] = []
    on_time = late = 0
    for i, (task_id, customer_id, owner_id, kind, due, started) in enumerate(rows):
        bonus = ENGAGED_BONUS if customer_id in engaged else 0.0
        p_on_time = min(rates.get(owner_id, ON_TIME_RANGE[0]) + bonus, 0.95)
        if fate[i] < p_on_time:
            # On the due date or up to two days before, never before the task existed.
            day = max(due - dt.timedelta(days=int(pace[i] * 3)), started or due, after)
        elif fate[i] < p_on_time + (1 - p_on_time) * LATE_SHARE:
            day = max(due + dt.timedelta(days=1 + int(pace[i] * LATE_DAYS_MAX)), after)
        else:
            continue  # missed: the next run marks it
        if day > last_day:
            continue  # done on a later day: the next interval
        done[day].append(task_id)
        if day > due:
            late += 1
        else:
            on_time += 1
        channel = CHANNEL_FOR_KIND.get(TaskKind(kind))
        if channel is not None:
            contacts.append(
                _Contact(day, customer_id, owner_id, channel.value, float(draw[i]), task_id)
            )
    for day, task_ids in done.items():
        for start in range(0, len(task_ids), BATCH):
            Task.objects.filter(pk__in=task_ids[start : start + BATCH]).update(
                status=TaskStatus.DONE, closed_on=day, completed_at=_at(day, 0.9)
            )
    return contacts, on_time, late


def _cadence_contacts(
    *, after: dt.date, until: dt.date, seed_value: int, rates: dict[int | None, float]
) -> list[_Contact]:
    """Calls and visits outside the task list: a rep contacts each customer following a
    playbook about once per cadence (the shortest of its playbooks), as diligently as they
    do their tasks. Without them the only contacts are the playbook steps and the pool would
    take every customer whose steps run out."""
    span = (until - after).days
    rows = list(
        Enrollment.objects.filter(
            ended_on__isnull=True, started_on__lt=until, customer__owner__isnull=False
        )
        .values("customer_id")
        .annotate(cadence=Min("playbook__cadence_days"))
        .values_list("customer_id", "customer__owner_id", "customer__kind", "cadence")
    )
    if not rows:
        return []
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    salt = seed_value * 7 + after.toordinal() * 11
    chance, draw, day_draw = (_uniform(ids, salt + k) for k in (5, 6, 7))
    contacts = []
    for i, (customer_id, owner_id, kind, cadence) in enumerate(rows):
        p = rates.get(owner_id, ON_TIME_RANGE[0]) * min(1.0, span / max(cadence, 1))
        if chance[i] >= p:
            continue
        channels = COMPANY_CHANNELS if kind == CustomerKind.COMPANY else PERSON_CHANNELS
        channel = channels[int(day_draw[i] * 7919) % len(channels)]
        day = after + dt.timedelta(days=int(day_draw[i] * span))
        contacts.append(_Contact(day, customer_id, owner_id, channel, float(draw[i])))
    return contacts


def _log_contacts(contacts: list[_Contact]) -> int:
    """The contact logs, inserted with ids allocated up front so that each task's log is
    linked to it (as task_complete with log_contact does) without reading them back. Plain
    executemany statements: ORM bulk_create and bulk_update cost about ten times more here
    (model instances, a CASE per row)."""
    if not contacts:
        return 0
    english = set(
        Customer.objects.filter(pk__in={c.customer_id for c in contacts})
        .exclude(market=Market.DOMESTIC)
        .values_list("pk", flat=True)
    )
    outcomes = [o for o, _p in LOG_OUTCOMES]
    cumulative = np.cumsum([p for _o, p in LOG_OUTCOMES])
    ops = connection.ops
    ids = next_ids(ContactLog, len(contacts))
    rows, links = [], []
    for log_id, c in zip(ids, contacts, strict=True):
        pick = int(np.searchsorted(cumulative, (c.draw * 997) % 1 * cumulative[-1]))
        outcome = outcomes[min(pick, len(outcomes) - 1)]
        zh, en = vocab.LOG_SUMMARIES[outcome.value]
        texts = en if c.customer_id in english else zh
        # created_at is the contact's time: the rep wrote the log when it happened.
        when = ops.adapt_datetimefield_value(_at(c.day, c.draw))
        follow_up = (
            ops.adapt_datefield_value(c.day + dt.timedelta(days=FOLLOW_UP_DAYS))
            if outcome == ContactOutcome.FOLLOW_UP
            else None
        )
        rows.append(
            (log_id, c.customer_id, c.owner_id, str(c.channel), Direction.OUTBOUND.value, when,
             texts[int(c.draw * 1000) % len(texts)], outcome.value, follow_up, when)
        )  # fmt: skip
        if c.task_id is not None:
            links.append((log_id, c.task_id))
    qn = ops.quote_name
    columns = ("id", "customer_id", "rep_id", "channel", "direction", "occurred_at", "summary",
               "outcome", "next_follow_up", "created_at")  # fmt: skip
    insert = (
        f"INSERT INTO {qn(ContactLog._meta.db_table)} ({', '.join(map(qn, columns))}) "  # noqa: S608 - quoted model identifiers
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    link = f"UPDATE {qn(Task._meta.db_table)} SET {qn('contact_log_id')} = %s WHERE id = %s"  # noqa: S608 - quoted model identifiers
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(insert, rows[start : start + BATCH])
        for start in range(0, len(links), BATCH):
            cursor.executemany(link, links[start : start + BATCH])
    return len(rows)
