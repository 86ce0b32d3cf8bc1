"""Benchmark of a full segmentation run. Prints figures; it is not a test.

    createdb -h 127.0.0.1 -U postgres crm_segbench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_segbench \
        .venv/bin/python bench/segmentation.py --customers 100000 --orders-per-customer 20

Seeds synthetic data with set-based SQL (generate_series) when the database holds fewer
customers than asked (or reuses what is there, e.g. a `seed_demo` database), then times two
nightly runs: the first (no previous run: no history) and the next night's (history and dwell
diff against the first). Prints wall time, peak memory (max RSS of this process) and
customers per second.

`--custom-dimensions 5` measures instead what five custom dimensions (5 classes each, rules
over tags, attributes, built-in classes and metrics) add to a run, on a copy of a classified
database (it activates dimensions and tags customers): the median of `--repeat` (default 3)
interleaved pairs of runs with and without them, on the first night and on a later one:

    createdb -h 127.0.0.1 -U postgres -T crm_bench crm_bench_custom
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_custom \
        .venv/bin/python bench/segmentation.py --custom-dimensions 5

With --workers N[,M…] the run goes to N real Celery worker processes instead (one task at a
time each, on a private queue of this benchmark, broker REDIS_URL), on the data as it is —
for instance a copy of the 1M-customer demo database:

    createdb -h 127.0.0.1 -U postgres -T crm_bench crm_bench_scale
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_scale \
    REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/segmentation.py --workers 1,2

Each worker count re-runs the latest run's date (forced: the same rows each time, compared
with the run before it) and prints the wall time in total and per phase, and the speed-up of
the parallel phases (1: metrics, 3: classify + write) against the first count given. The
post-run hooks are off in the workers (bench/strategies.py measures them)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.test")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from customers.models import Customer  # noqa: E402
from segmentation.services import segmentation_run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKER_BOOT = """
import sys
import django
django.setup()
from segmentation import hooks
hooks._post_run_hooks.clear()  # the benchmark measures the run, not the hooks
from crm.celery import app
app.worker_main(sys.argv[1:])
"""

CUSTOMER_SQL = """
INSERT INTO customers_customer (
    external_code, name, kind, industry, size, region, city, address, market, source_channel,
    phone, email, website, tax_number, industry_outlook, age_band, gender, income_band,
    education, marital_status, acquisition_cost, notes, created_at, updated_at,
    annual_budget, employees, growth_rate, interest_since)
SELECT 'B' || lpad(g::text, 8, '0'), 'Bench customer ' || g, 'company',
    (ARRAY['manufacturing','retail','technology','finance','logistics'])[1 + g %% 5],
    (ARRAY['large','medium','small','small'])[1 + g %% 4],
    (ARRAY['east','south','north','central'])[1 + g %% 4], '', '', 'domestic', 'other',
    '', '', '', CASE WHEN g %% 997 = 0 THEN 'DUP' || (g %% 5) ELSE '' END,
    (ARRAY['growing','stable','declining'])[1 + g %% 3], '', '', '', '', '',
    round((random() * 5000)::numeric, 2), '', now() - interval '3 years', now(),
    CASE WHEN g %% 3 = 0 THEN round((random() * 2000000)::numeric, 2) END,
    (random() * 500)::int, round((random() * 40 - 10)::numeric, 2),
    CASE WHEN g %% 10 = 0 THEN %(as_of)s::date - (g %% 300) END
FROM generate_series(%(start)s, %(stop)s) AS g
"""

# Customer i gets a skewed share of orders (random()^2 concentrates them on some customers,
# which gives a Pareto-like revenue curve); 1 in 8 customers is a prospect with no orders.
TXN_SQL = """
INSERT INTO customers_transaction (
    customer_id, date, amount, cost, quantity, category_id, payment_method, status,
    due_date, paid_date, created_at)
SELECT c.id, d.day, d.amount, round(d.amount * 0.6, 2), 1, 1 + (c.id + g) %% 8,
    'bank_transfer', CASE WHEN g %% 50 = 0 THEN 'refunded'
                          WHEN d.day > %(as_of)s::date - 40 AND g %% 7 = 0 THEN 'open'
                          ELSE 'paid' END,
    d.day + 30, CASE WHEN d.day > %(as_of)s::date - 40 AND g %% 7 = 0 THEN NULL
                     ELSE d.day + (g %% 45) END,
    now()
FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM customers_customer
      WHERE id BETWEEN %(lo)s AND %(hi)s) AS c
CROSS JOIN LATERAL generate_series(1, CASE WHEN c.rn %% 8 = 0 THEN 0
    ELSE greatest(1, (%(per)s * 2 * random() * random() * 2)::int) END) AS g
CROSS JOIN LATERAL (SELECT %(as_of)s::date - (random() * random() * 1000 + g * 0)::int AS day,
    round((50 + exp(random() * 7) + g * 0)::numeric, 2) AS amount) AS d
"""
# `g * 0` makes the lateral subquery depend on the row: without it PostgreSQL evaluates it once
# and every order gets the same date and amount.


def seed(n_customers: int, per_customer: int, as_of: dt.date) -> None:
    have = Customer.objects.count()
    if have >= n_customers:
        print(f"reusing {have:,} customers")
        return
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO customers_category (code, name, name_en) "
            "SELECT 'BENCH' || g, '类别' || g, 'Category ' || g FROM generate_series(1, 8) g "
            "ON CONFLICT DO NOTHING"
        )
        cur.execute(CUSTOMER_SQL, {"start": have + 1, "stop": n_customers, "as_of": as_of})
        cur.execute("SELECT min(id), max(id) FROM customers_customer")
        lo, hi = cur.fetchone()
        step = 100_000
        for start in range(lo, hi + 1, step):
            cur.execute(
                TXN_SQL, {"lo": start, "hi": start + step - 1, "per": per_customer, "as_of": as_of}
            )
        cur.execute(
            "INSERT INTO customers_servicecase (customer_id, kind, status, severity, opened_on, "
            "subject, description, service_cost, created_at) "
            "SELECT id, (ARRAY['complaint','return','repair'])[1 + id %% 3], 'closed', 'low', "
            "%(as_of)s::date - (id %% 400)::int, 'bench', '', 100, now() "
            "FROM customers_customer WHERE id %% 6 = 0",
            {"as_of": as_of},
        )
        cur.execute(
            "INSERT INTO customers_satisfactionsurvey (customer_id, surveyed_on, score, comment, "
            "created_at) SELECT id, %(as_of)s::date - (id %% 200)::int, 1 + id %% 5, '', now() "
            "FROM customers_customer WHERE id %% 4 = 0",
            {"as_of": as_of},
        )
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*) FROM customers_transaction")
        txns = cur.fetchone()[0]
    print(
        f"seeded {n_customers:,} customers / {txns:,} transactions in "
        f"{time.perf_counter() - t0:.1f} s"
    )


def timed_run(as_of: dt.date, label: str) -> float:
    """One forced run of `as_of`, timed. The class rows are vacuumed first, as the post-run
    hook `classes_vacuum_task` does after every run in production (the hooks are off here):
    without it each re-run of a date leaves the million rows it replaced dead in the table
    and the next run writes into a bloated table, which made successive runs of the same
    code differ by 10 s."""
    from crm.db import vacuum_analyze
    from segmentation.models import ClassChange, CustomerClasses

    vacuum_analyze(CustomerClasses, ClassChange)
    t0 = time.perf_counter()
    run = segmentation_run(as_of=as_of, force=True, triggered_by="bench")
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]
    print(
        f"{label}: {run.customers_total:,} customers in {wall:.1f} s "
        f"({run.customers_total / wall:,.0f} customers/s), {run.changes_total:,} class changes, "
        f"peak RSS so far {peak_mb:,.0f} MB, load average {load:.1f} on {os.cpu_count()} cores"
    )
    print("   seconds per step:", run.timings)
    agg = {k: run.timings.get(f"aggregates_{k}", 0) for k in ("classes", "transitions", "pareto")}
    print(
        f"   dashboard aggregates {sum(agg.values()):.1f} s (classes {agg['classes']:.1f}, "
        f"transitions {agg['transitions']:.1f}, Pareto curves {agg['pareto']:.1f})"
    )
    fit = run.prediction or {}
    print(
        f"   prediction step {run.timings.get('prediction', 0):.1f} s (fit + scoring "
        f"{fit.get('seconds', 0):.1f} s): {fit.get('n_customers', 0):,} buyers, counts by "
        f"{fit.get('count_method')}, spend by {fit.get('spend_method')}, "
        f"notices {[n['code'] for n in fit.get('notices', [])]}"
    )
    return wall


# Five realistic custom dimensions of five classes each (four rules + the default): tags,
# attributes, built-in classes, metrics incl. the predicted value, and/or/not, every operator.
def _cls(order, code, zh, en, rule=None):
    return {"order": order, "code": code, "name_zh_hans": zh, "name_en": en,
            "rule": rule or {}, "is_default": rule is None}  # fmt: skip


BENCH_DIMENSIONS = [
    (
        "need",
        "需求类型",
        "Need type",
        [
            _cls(
                1,
                "quality",
                "品质追求型",
                "Quality seeker",
                {
                    "all": [
                        {"field": "tag.need", "op": "=", "value": "quality"},
                        {"field": "margin_pct", "op": ">=", "value": 30},
                    ]
                },
            ),
            _cls(
                2,
                "cost",
                "成本敏感型",
                "Cost-sensitive",
                {"field": "tag.need", "op": "=", "value": "cost"},
            ),
            _cls(
                3,
                "innovation",
                "创新驱动型",
                "Innovation-driven",
                {"field": "tag.need", "op": "=", "value": "innovation"},
            ),
            _cls(
                4,
                "margin",
                "高毛利",
                "High margin",
                {"field": "margin_pct", "op": ">=", "value": 35},
            ),
            _cls(5, "unknown", "未判断", "Not judged"),
        ],
    ),
    (
        "urgency",
        "重要紧急",
        "Importance × urgency",
        [
            _cls(
                1,
                "key_urgent",
                "重要且紧急",
                "Key and urgent",
                {
                    "all": [
                        {"field": "value_tier", "op": "in", "value": ["core", "important"]},
                        {"field": "churn_warning", "op": "=", "value": "yes"},
                    ]
                },
            ),
            _cls(
                2,
                "key",
                "重要",
                "Key",
                {"field": "value_tier", "op": "in", "value": ["core", "important"]},
            ),
            _cls(
                3, "urgent", "紧急", "Urgent", {"field": "churn_warning", "op": "=", "value": "yes"}
            ),
            _cls(
                4,
                "watch",
                "关注",
                "Watch",
                {"field": "recency_days", "op": "between", "value": [90, 365]},
            ),
            _cls(5, "routine", "常规", "Routine"),
        ],
    ),
    (
        "shipper",
        "发货量",
        "Shipper",
        [
            _cls(
                1,
                "heavy",
                "重货客户",
                "Heavy shipper",
                {
                    "all": [
                        {"field": "orders_window", "op": ">=", "value": 24},
                        {"field": "avg_order_value", "op": ">=", "value": 2000},
                    ]
                },
            ),
            _cls(
                2,
                "regular",
                "常规发货",
                "Regular",
                {"field": "orders_window", "op": ">=", "value": 12},
            ),
            _cls(
                3,
                "big",
                "大额",
                "Big spender",
                {
                    "any": [
                        {"field": "revenue_window", "op": ">=", "value": 50000},
                        {"field": "expected_revenue_365d", "op": ">=", "value": 50000},
                    ]
                },
            ),
            _cls(4, "light", "少量", "Light", {"field": "orders_window", "op": ">=", "value": 1}),
            _cls(5, "none", "无发货", "None"),
        ],
    ),
    (
        "coop",
        "合作意愿",
        "Willingness to cooperate",
        [
            _cls(
                1,
                "high",
                "高",
                "High",
                {
                    "all": [
                        {"field": "contacts_window", "op": ">=", "value": 3},
                        {"field": "satisfaction", "op": ">=", "value": 4},
                    ]
                },
            ),
            _cls(
                2,
                "medium",
                "中",
                "Medium",
                {
                    "all": [
                        {"field": "contacts_window", "op": ">=", "value": 1},
                        {"not": {"field": "complaints", "op": ">=", "value": 2}},
                    ]
                },
            ),
            _cls(3, "low", "低", "Low", {"field": "complaints", "op": ">=", "value": 2}),
            _cls(4, "unknown", "未知", "Unknown", {"field": "satisfaction", "op": "empty"}),
            _cls(5, "cold", "冷淡", "Cold"),
        ],
    ),
    (
        "market",
        "市场分群",
        "Market group",
        [
            _cls(
                1,
                "industrial",
                "工业大客户",
                "Industrial key",
                {
                    "all": [
                        {"field": "industry", "op": "in", "value": ["manufacturing", "logistics"]},
                        {"field": "size", "op": "=", "value": "large"},
                    ]
                },
            ),
            _cls(
                2,
                "coastal",
                "沿海价值",
                "Coastal value",
                {
                    "all": [
                        {"field": "region", "op": "in", "value": ["east", "south"]},
                        {"field": "revenue_window", "op": ">=", "value": 10000},
                    ]
                },
            ),
            _cls(
                3,
                "consumer",
                "个人消费者",
                "Consumer",
                {"field": "kind", "op": "=", "value": "individual"},
            ),
            _cls(
                4, "fading", "活跃度下降", "Fading", {"field": "p_alive", "op": "<", "value": 0.3}
            ),
            _cls(5, "other", "其他", "Other"),
        ],
    ),
]


def custom_dimensions_setup(n: int) -> None:
    """Activates the first `n` bench dimensions (5 classes each) and tags about a third of the
    customers with a need type, set-based."""
    from customers.models import TagDefinition, TagOption
    from segmentation.custom.services import (
        custom_dimension_activate,
        custom_dimension_create,
    )
    from segmentation.models import CustomDimension

    tag, _created = TagDefinition.objects.get_or_create(
        key="need", defaults={"name_zh_hans": "需求类型", "name_en": "Need type"}
    )
    for i, (code, zh, en) in enumerate(
        [("cost", "成本敏感型", "cost-sensitive"), ("quality", "品质追求型", "quality-seeking"),
         ("innovation", "创新驱动型", "innovation-driven")]
    ):  # fmt: skip
        TagOption.objects.get_or_create(
            tag=tag, code=code, defaults={"label_zh_hans": zh, "label_en": en, "order": i}
        )
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO customers_customertag (customer_id, tag_id, value, set_at) "
            "SELECT id, %s, (ARRAY['cost','quality','innovation'])[1 + id %% 3], now() "
            "FROM customers_customer WHERE id %% 3 = 0 ON CONFLICT DO NOTHING",
            [tag.pk],
        )
    for code, zh, en, classes in BENCH_DIMENSIONS[:n]:
        if CustomDimension.objects.filter(code=code, status="active").exists():
            continue
        dim = custom_dimension_create(code=code, name_zh_hans=zh, name_en=en, classes=classes)
        custom_dimension_activate(dimension=dim)


def _bench_dimensions_on(on: bool, n: int) -> None:
    """Switches the bench's custom dimensions on (their latest version active) or off, without
    new versions, so repeated runs compare the same rules."""
    from segmentation.models import CustomDimension

    CustomDimension.objects.filter(status="active").update(status="retired")
    if not on:
        return
    for code, *_rest in BENCH_DIMENSIONS[:n]:
        latest = CustomDimension.objects.filter(code=code).order_by("-version").first()
        CustomDimension.objects.filter(pk=latest.pk).update(status="active")


# Steps whose time custom dimensions change (seconds summed over partitions, except the
# aggregates, which run once).
_CUSTOM_STEPS = ("custom", "read_previous", "classify", "write", "aggregates_classes")


def _pairs(as_of: dt.date, label: str, n: int, repeat: int, with_first: bool) -> list[dict]:
    """`repeat` interleaved pairs of forced runs of `as_of`, with and without the dimensions
    (in the order `with_first` says); per pair the wall and per-step differences."""
    from segmentation.models import Run

    out = []
    for i in range(repeat):
        walls, steps = {}, {}
        for on in (True, False) if with_first else (False, True):
            _bench_dimensions_on(on, n)
            what = f"with {n} custom dimensions" if on else "without custom dimensions"
            walls[on] = timed_run(as_of, f"{label}, pair {i + 1}/{repeat}, {what}")
            steps[on] = Run.objects.get(as_of=as_of).timings
        diff = {k: steps[True].get(k, 0) - steps[False].get(k, 0) for k in _CUSTOM_STEPS}
        diff["wall"] = walls[True] - walls[False]
        out.append(diff)
    return out


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _pairs_report(label: str, pairs: list[dict]) -> None:
    walls = ", ".join(f"{p['wall']:+.1f}" for p in pairs)
    steps = ", ".join(f"{k} {_median([p[k] for p in pairs]):+.1f}" for k in _CUSTOM_STEPS)
    wall = _median([p["wall"] for p in pairs])
    print(
        f"extra time of the custom dimensions, {label}: median {wall:+.1f} s "
        f"wall over {len(pairs)} pair(s) ({walls}); median per step (s, summed over "
        f"partitions): {steps}"
    )


def custom_dimensions_bench(n: int, repeat: int = 1) -> None:
    """The extra time of `n` custom dimensions, as the median of `repeat` interleaved pairs
    of runs (with and without them) on the same data, twice:

    - the first night they exist: the current date re-run without, then with them (the
      baseline did not compute them: no custom history yet);
    - a later night: the next date with, then without them, its baseline now holding them
      (their classes are read back and diffed into history, as every night after the first).

    The second is the steady state a team lives with; both are printed. Single runs of a
    minute and a half vary by several seconds with the machine's load, hence the pairs."""
    from segmentation.models import ClassChange, Run

    current = Run.objects.filter(is_current=True).first()
    if current is None:
        sys.exit("No current run: run the classification once first.")
    as_of = current.as_of
    next_night = as_of + dt.timedelta(days=1)
    baseline = Run.objects.filter(as_of__lt=as_of, status="succeeded").order_by("-as_of").first()
    first_label = "first night"
    if baseline is not None and baseline.custom_versions:
        # A copy benchmarked before: its baseline computed the dimensions already.
        first_label = "first night (NOT: the baseline computed them; use a fresh copy)"
    _bench_dimensions_on(False, n)
    custom_dimensions_setup(n)  # creates (once) and activates the dimensions, tags customers
    first = _pairs(as_of, first_label, n, repeat, with_first=False)
    # The last run of `as_of` computed the dimensions: the next night diffs against them.
    later = _pairs(next_night, "a later night", n, repeat, with_first=True)
    _bench_dimensions_on(True, n)
    timed_run(next_night, "a later night, with the dimensions again (for its history count)")
    custom_changes = ClassChange.objects.filter(
        run=Run.objects.get(as_of=next_night), dimension__startswith="custom_"
    ).count()
    _bench_dimensions_on(False, n)
    load = os.getloadavg()
    _pairs_report(first_label, first)
    _pairs_report(f"a later night ({custom_changes:,} custom class changes)", later)
    print(f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; target: at most +10 s")


def _workers_start(n: int, queue: str) -> list[subprocess.Popen]:
    from crm.celery import app

    env = {
        **os.environ,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    procs = []
    nodes = []
    for i in range(n):
        node = f"w{i + 1}-{queue}@localhost"
        nodes.append(node)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER_BOOT, "worker", "-Q", queue, "-n", node,
                 "--pool", "solo", "--without-gossip", "--without-mingle",
                 "--loglevel", "WARNING"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,  # the banner; warnings and errors go to stderr
            )
        )  # fmt: skip
    deadline = time.monotonic() + 120
    while len(app.control.ping(timeout=1, destination=nodes)) < n:
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            _workers_stop(procs)
            sys.exit("the Celery workers did not start")
    return procs


def _workers_stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def workers_run(n: int, as_of: dt.date, partition_size: int) -> dict[str, float]:
    """One forced run as of `as_of` on `n` worker processes; prints and returns its walls."""
    from crm.celery import app
    from segmentation.models import Run, RunStatus
    from segmentation.pipeline.executors import run_start

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    procs = _workers_start(n, queue)
    try:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        run = run_start(
            as_of=as_of, force=True, triggered_by=f"bench --workers {n}",
            partition_size=partition_size,
        )  # fmt: skip
        # The timings are the finalise step's last write, after the status flips.
        while run.status == RunStatus.RUNNING or (
            run.status == RunStatus.SUCCEEDED and "wall_total" not in run.timings
        ):
            time.sleep(0.5)
            run = Run.objects.get(pk=run.pk)
        wall = time.perf_counter() - t0
    finally:
        _workers_stop(procs)
    if run.status != RunStatus.SUCCEEDED:
        sys.exit(f"the run failed: {run.error}")
    t = run.timings
    walls = {
        "total": wall,
        "metrics": t.get("wall_metrics", 0.0),
        "cut_points": t.get("wall_cut_points", 0.0),
        "classify": t.get("wall_classify", 0.0),
    }
    walls["finalise"] = wall - walls["metrics"] - walls["cut_points"] - walls["classify"]
    walls["parallel"] = walls["metrics"] + walls["classify"]
    print(
        f"{n} worker(s): {run.customers_total:,} customers in {wall:.1f} s "
        f"({run.customers_total / wall:,.0f}/s); phase 1 (metrics) {walls['metrics']:.1f} s, "
        f"phase 2 (cut points + prediction) {walls['cut_points']:.1f} s, phase 3 (classify + "
        f"write) {walls['classify']:.1f} s, prepare + finalise {walls['finalise']:.1f} s; "
        f"{run.plan.get('partitions')} partitions; load average at start {load:.1f}, "
        f"now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print("   seconds per step (summed over partitions):", t)
    return walls


def workers_main(counts: list[int], partition_size: int) -> None:
    from segmentation.models import Run

    if not os.environ.get("REDIS_URL"):
        sys.exit("--workers needs REDIS_URL (the broker the workers share).")
    current = Run.objects.filter(is_current=True).first()
    if current is None:
        sys.exit("--workers re-runs the latest run's date: classify the database once first.")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM customers_customer")
        print(f"customers in database: {cur.fetchone()[0]:,}; re-running {current.as_of}")
    results = {n: workers_run(n, current.as_of, partition_size) for n in counts}
    base_n = counts[0]
    base = results[base_n]
    for n in counts[1:]:
        r = results[n]
        print(
            f"speed-up {n} vs {base_n} worker(s): parallel phases (1 + 3) "
            f"{base['parallel'] / r['parallel']:.2f}x ({base['parallel']:.1f} s → "
            f"{r['parallel']:.1f} s), phase 1 {base['metrics'] / r['metrics']:.2f}x, "
            f"phase 3 {base['classify'] / r['classify']:.2f}x, total "
            f"{base['total'] / r['total']:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders-per-customer", type=int, default=20)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30))
    parser.add_argument(
        "--with-hooks",
        action="store_true",
        help="also run the post-run hooks (strategies' task generation) in this process",
    )
    parser.add_argument(
        "--custom-dimensions",
        type=int,
        default=0,
        metavar="N",
        help="measure the extra time of N (1-5) custom dimensions × 5 classes instead: the "
        "current date re-run without them, then with them (use a copy of the database)",
    )
    parser.add_argument(
        "--workers",
        default="",
        help="comma-separated worker counts, e.g. 1,2: run on that many Celery worker "
        "processes (re-running the latest run's date on the data as it is)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="with --custom-dimensions: pairs of runs (with, without) per night; the median "
        "difference is reported",
    )
    parser.add_argument("--partition-size", type=int, default=50_000)
    args = parser.parse_args()
    if args.workers:
        if connection.vendor != "postgresql":
            sys.exit("Set DATABASE_URL to a PostgreSQL database (a copy, e.g. crm_bench_scale).")
        workers_main([int(n) for n in args.workers.split(",")], args.partition_size)
        return
    if not args.with_hooks:
        # In production the hooks are separate Celery tasks after the run (bench/strategies.py
        # measures them); with eager Celery they would run inside this process and its timing
        # and peak memory would no longer be the run's.
        from segmentation import hooks

        hooks._post_run_hooks.clear()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (the targets are for PostgreSQL).")
    call_command("migrate", verbosity=0)
    if args.custom_dimensions:
        # Measured on the database as it is (a copy of a classified one): no seeding.
        custom_dimensions_bench(
            min(args.custom_dimensions, len(BENCH_DIMENSIONS)), repeat=args.repeat
        )
        return
    seed(args.customers, args.orders_per_customer, args.as_of)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM customers_transaction")
        print(f"transactions in database: {cur.fetchone()[0]:,}")
    from segmentation.models import Run

    current = Run.objects.filter(is_current=True).first()
    as_of = args.as_of
    if current is not None and current.as_of >= as_of:
        # Runs never go back in time: continue after the last benchmarked night.
        as_of = current.as_of + dt.timedelta(days=1)
        timed_run(as_of, "run (previous run present: history + dwell diff)")
    else:
        timed_run(as_of, "first run (no previous run)")
    timed_run(as_of + dt.timedelta(days=1), "next night (history + dwell diff)")


if __name__ == "__main__":
    main()
