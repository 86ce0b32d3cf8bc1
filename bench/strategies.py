"""Benchmark: class changes → enrollments and tasks on PostgreSQL; prints the figures.

    createdb -h 127.0.0.1 -U postgres crm_stratbench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_stratbench \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_stratbench \\
        .venv/bin/python bench/strategies.py --changes 100000

Makes `--changes` class changes in one run, spread over the classes of the default playbook
library (lifecycle, value tier, value × potential, frequency, risk flags) for about
`--changes / 2` customers owned by 50 reps, so most customers enter two classes at once and
the priority ranking and the cap on open tasks are exercised. Then times
`strategies_generate` (first pass), the same run again (idempotent: creates nothing), and the
exit pass of a second run. Target: the first pass in at most 60 s. Rows from an earlier
run of the benchmark are deleted first (customer codes start with SBENCH-).

`--first-night` instead measures the first night's backfill on a copy of the 1M demo
database (it deletes every enrollment, task and pool event of the copy, then enrols every
customer of the earliest run as the post-run hook does), printing wall time and the peak
memory of the process:

    createdb -h 127.0.0.1 -U postgres -T crm_bench crm_bench_strat
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_strat \\
        .venv/bin/python bench/strategies.py --first-night
    dropdb -h 127.0.0.1 -U postgres crm_bench_strat"""

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")

ENTRIES = [
    ("lifecycle", "repeat", "dormant"),
    ("lifecycle", "loyal", "churned"),
    ("lifecycle", "intent", "new"),
    ("lifecycle", "new", "repeat"),
    ("value_tier", "important", "core"),
    ("value_tier", "ordinary", "important"),
    ("value_potential", "potential", "star"),
    ("value_potential", "cash_cow", "long_tail"),
    ("frequency", "low", "high"),
    ("churn_warning", "no", "yes"),
    ("payment_risk", "no", "yes"),
    ("problem_customer", "no", "yes"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument(
        "--first-night",
        action="store_true",
        help="time the backfill of the earliest run on a COPY of the demo database",
    )
    parser.add_argument("--range-size", type=int, default=None, help="customer ids per range")
    args = parser.parse_args()

    import django

    django.setup()
    import logging

    phases = logging.getLogger("strategies")
    phases.setLevel(logging.INFO)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("    %(message)s"))
    phases.addHandler(handler)
    phases.propagate = False
    from django.db import connection

    from crm.models import Role, Team, User
    from customers.models import Customer
    from segmentation.models import ClassChange, RuleSet, Run
    from strategies.models import Enrollment, Task
    from strategies.services import strategies_generate

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    if args.first_night:
        first_night(args.range_size)
        return

    old = Customer.objects.filter(external_code__startswith="SBENCH-")
    Task.objects.filter(customer__in=old).delete()
    Enrollment.objects.filter(customer__in=old).delete()
    ClassChange.objects.filter(run__triggered_by="bench/strategies").delete()
    Run.objects.filter(triggered_by="bench/strategies").delete()
    old.delete()

    team, _ = Team.objects.get_or_create(name="SBENCH team")
    reps = []
    for i in range(50):
        rep, _ = User.objects.get_or_create(
            username=f"sbench_rep{i}", defaults={"role": Role.REP, "team": team}
        )
        reps.append(rep)
    n_customers = max(args.changes // 2, 1)
    t0 = time.perf_counter()
    Customer.objects.bulk_create(
        (
            Customer(
                external_code=f"SBENCH-{i:07d}",
                name=f"策略基准客户{i}",
                owner=reps[i % len(reps)],
                team=team,
            )
            for i in range(n_customers)
        ),
        batch_size=5000,
    )
    ids = list(
        Customer.objects.filter(external_code__startswith="SBENCH-").values_list("pk", flat=True)
    )
    rule_set = RuleSet.objects.order_by("-version").first()
    if rule_set is None:
        sys.exit("no rule set: run `manage.py migrate` first (it loads the default one)")
    latest = Run.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    as_of = max(latest or dt.date(2026, 1, 1), dt.date(2026, 1, 1)) + dt.timedelta(days=1)
    run = Run.objects.create(
        as_of=as_of, status="succeeded", rule_set=rule_set, triggered_by="bench/strategies"
    )
    changes = []
    for k in range(args.changes):
        cid = ids[k % len(ids)]
        # Each customer gets two different dimensions.
        dim, frm, to = ENTRIES[(k // len(ids) * 5 + cid) % len(ENTRIES)]
        changes.append(
            ClassChange(
                customer_id=cid, dimension=dim, from_code=frm, to_code=to, run=run, as_of=as_of
            )
        )
    ClassChange.objects.bulk_create(changes, batch_size=5000)
    print(
        f"setup: {n_customers:,} customers, {len(changes):,} class changes "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    first = strategies_generate(run_id=run.pk)
    took = time.perf_counter() - t0
    print(
        f"first pass: {took:.1f} s — {first.enrolled:,} enrollments, "
        f"{first.tasks_created:,} tasks, {first.tasks_capped:,} steps capped "
        f"({len(changes) / took:,.0f} class changes/s; target ≤ 60 s: "
        f"{'OK' if took <= 60 else 'MISSED'})"
    )

    t0 = time.perf_counter()
    again = strategies_generate(run_id=run.pk)
    print(
        f"same run again: {time.perf_counter() - t0:.1f} s — {again.enrolled} enrollments, "
        f"{again.tasks_created} tasks (idempotent)"
    )

    run2 = Run.objects.create(
        as_of=as_of + dt.timedelta(days=1), status="succeeded", rule_set=rule_set,
        triggered_by="bench/strategies",
    )  # fmt: skip
    ClassChange.objects.bulk_create(
        (
            ClassChange(customer_id=c.customer_id, dimension=c.dimension, from_code=c.to_code,
                        to_code=c.from_code, run=run2, as_of=run2.as_of)
            for c in changes[: len(changes) // 2]
        ),
        batch_size=5000,
    )  # fmt: skip
    t0 = time.perf_counter()
    exit_pass = strategies_generate(run_id=run2.pk)
    print(
        f"exit pass ({len(changes) // 2:,} leave their class): {time.perf_counter() - t0:.1f} s"
        f" — {exit_pass.ended:,} enrollments ended, {exit_pass.tasks_closed:,} tasks closed "
        f"as not applicable, {exit_pass.tasks_created:,} new tasks"
    )


def first_night(range_size: int | None) -> None:
    from django.db import connection

    from segmentation.models import CustomerClasses, Run
    from strategies.models import Enrollment, PoolEvent, Task
    from strategies.services import strategies_generate

    if connection.settings_dict["NAME"] == "crm_bench":
        sys.exit("--first-night deletes every task: run it on a copy, never on crm_bench")
    run = Run.objects.filter(status="succeeded").order_by("as_of").first()
    if run is None:
        sys.exit("no succeeded run to backfill")
    tables = ", ".join(m._meta.db_table for m in (Task, Enrollment, PoolEvent))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")
    customers = CustomerClasses.objects.filter(run=run).count()
    print(f"first night: run {run.pk} as of {run.as_of}, {customers:,} customers")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    kwargs = {"range_size": range_size} if range_size else {}
    result = strategies_generate(run_id=run.pk, backfill=True, **kwargs)
    took = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"backfill: {took:.1f} s — {result.enrolled:,} enrollments, "
        f"{result.tasks_created:,} tasks, {result.tasks_capped:,} steps capped; "
        f"peak RSS {peak / 1024:,.0f} MB (before: {before / 1024:,.0f} MB); "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
