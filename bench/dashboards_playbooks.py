"""Benchmark: the playbook dashboards (adherence, effectiveness, rep book) on a large database;
prints each page's server time (median) and number of queries, per user and filter.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_play \\
        .venv/bin/python bench/dashboards_playbooks.py [--refresh] [--repeat 7]

The pages read the figures strategies writes after each run (PlaybookOutcome and its rollup,
AdherenceRollup). `--refresh` first recomputes them as of the current run (it WRITES: run it on
a copy, e.g. `createdb -T crm_bench crm_bench_play`) and prints how long that took.

Each page is rendered through its view (RequestFactory, no session writes): view + selectors +
template, the server's share of a page load; "db" is the part spent in queries. Target: median
< 200 ms, a constant number of queries, filtered by one rep or team ≤ 2× the unfiltered page."""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--refresh", action="store_true", help="recompute the figures first")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import translation

    from crm.models import User
    from customers.models import Customer
    from dashboards import views_playbooks as views
    from segmentation.models import Run
    from strategies.models import Enrollment, PlaybookOutcome, Task

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']} · {load()}")
    run = Run.objects.filter(is_current=True).first()
    print(f"current run: {run.as_of if run else None}")
    with connection.cursor() as cur:
        for model in (Customer, Enrollment, Task):
            cur.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                [model._meta.db_table],
            )
            print(f"{model._meta.verbose_name_plural} (estimate): {cur.fetchone()[0]:,}")
    if args.refresh:
        from strategies.services.outcomes import (
            adherence_rollup_refresh,
            playbook_outcomes_refresh,
        )

        t0 = time.perf_counter()
        result = playbook_outcomes_refresh(as_of=run.as_of)
        print(f"refresh effectiveness: {time.perf_counter() - t0:.1f} s, {result.enrollments:,}"
              f" enrollments, {result.rollup_rows:,} summary rows · {load()}")  # fmt: skip
        t0 = time.perf_counter()
        rows = adherence_rollup_refresh(as_of=run.as_of)
        print(f"refresh adherence: {time.perf_counter() - t0:.1f} s, {rows:,} rows · {load()}")
    print(f"outcome rows: {PlaybookOutcome.objects.count():,}")

    admin = (
        User.objects.filter(is_superuser=True).first() or User.objects.filter(role="admin").first()
    )
    manager = User.objects.filter(role="manager", is_director=False).exclude(team=None).first()
    rep = (
        User.objects.filter(role="rep", team=manager.team_id).order_by("pk").first()
        if manager
        else None
    )
    factory = RequestFactory()
    pages = [
        ("adherence", views.AdherenceDashboardView, reverse("dashboards:adherence")),
        ("effectiveness", views.EffectivenessDashboardView, reverse("dashboards:effectiveness")),
        ("rep book", views.RepBookView, reverse("dashboards:rep_book")),
    ]
    cases = [
        ("admin, all", admin, {}),
        ("admin, one team", admin, {"team": manager.team_id if manager else ""}),
        ("admin, one rep", admin, {"owner": rep.pk if rep else ""}),
        ("admin, industry=retail", admin, {"industry": "retail"}),
        ("manager, own team", manager, {}),
        ("manager, one rep", manager, {"owner": rep.pk if rep else ""}),
        ("rep, own book", rep, {}),
    ]
    extra = {"adherence": {"weeks": 12}, "effectiveness": {"window": 30}, "rep book": {}}
    print(f"{'page':<14} {'user / filter':<26} {'median':>9} {'min':>9} {'queries':>8} "
          f"{'db (median)':>12}")  # fmt: skip
    with translation.override("zh-hans"):
        for name, view_class, url in pages:
            for label, user, params in cases:
                if user is None:
                    continue
                view = view_class.as_view()

                def render(params=params, user=user, view=view, url=url, name=name):
                    request = factory.get(url, {**extra[name], **params})
                    request.user = user
                    response = view(request)
                    response.render()
                    if response.status_code != 200:
                        raise SystemExit(f"{url}: HTTP {response.status_code}")
                    return response

                render()  # warm up (imports, template cache)
                times, db = [], []
                for _ in range(args.repeat):
                    with CaptureQueriesContext(connection) as ctx:
                        t0 = time.perf_counter()
                        render()
                        times.append((time.perf_counter() - t0) * 1000)
                    db.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
                print(f"{name:<14} {label:<26} {statistics.median(times):7.1f}ms "
                      f"{min(times):7.1f}ms {len(ctx.captured_queries):8d} "
                      f"{statistics.median(db):10.1f}ms")  # fmt: skip
    print(load())


if __name__ == "__main__":
    main()
