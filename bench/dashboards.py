"""Benchmark of the dashboard pages. Prints figures; it is not a test.

    createdb -h 127.0.0.1 -U postgres -T crm_bench crm_bench_dash     # a copy: may write
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_dash \\
        .venv/bin/python bench/dashboards.py --repeat 20

Requests every page of dashboards.pages.PAGES through Django's test Client as a manager (the
team with most customers), a director and a rep (the rep with most customers), N times each,
and prints the median and 95th percentile server time and the number of queries per request;
then the same pages for the manager filtered by one rep of the team and for the director
filtered by one team (each must stay within 2× its unfiltered time). Runs whose dashboard
aggregates are missing are backfilled first (`segment_aggregates --missing`), which writes —
hence the copy; on a database named crm_bench the script refuses to write."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from crm.models import User  # noqa: E402
from customers.models import Customer  # noqa: E402
from dashboards.pages import PAGES  # noqa: E402
from segmentation.aggregates import aggregates_backfill, runs_missing_aggregates  # noqa: E402


def _backfill() -> None:
    # Ids first: the page reads never load a whole Run row, so the bench also works on a
    # database one schema migration behind (as long as nothing is missing).
    if not runs_missing_aggregates().values_list("pk", flat=True).exists():
        return
    missing = list(runs_missing_aggregates())
    if connection.settings_dict["NAME"] == "crm_bench":
        sys.exit("Aggregates missing; run on a copy of crm_bench (createdb -T crm_bench …).")
    for run in missing:
        t0 = time.perf_counter()
        kind = aggregates_backfill(run)
        print(f"backfilled {run.as_of}: {kind} in {time.perf_counter() - t0:.1f} s")


def _personas() -> dict[str, User]:
    team_id = (
        Customer.objects.values("team_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("team_id", flat=True)
        .first()
    )
    manager = User.objects.filter(role="manager", team_id=team_id, is_director=False).first()
    director = (
        User.objects.filter(role="manager", is_director=True).first()
        or User.objects.filter(role="admin").first()
    )
    owner_id = (
        Customer.objects.filter(team_id=team_id, owner__isnull=False)
        .values("owner_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("owner_id", flat=True)
        .first()
    )
    rep = User.objects.get(pk=owner_id)
    return {"manager": manager, "director": director, "rep": rep}


# Pages that show one rep's book: "filtered by rep" is the page itself, not a narrower view.
ONE_REP_PAGES = {"dashboards:rep_book"}


def _measure(client: Client, url: str, params: dict, repeat: int) -> tuple[float, float, int]:
    client.get(url, params)  # warm: templates, translations, session
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url, params)
            times.append(1000 * (time.perf_counter() - t0))
        if response.status_code != 200:
            sys.exit(f"{url} {params}: HTTP {response.status_code}")
        queries = len(ctx.captured_queries)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pages", nargs="*", help="url names, e.g. dashboards:overview")
    args = parser.parse_args()
    setup_test_environment()  # the test Client's host "testserver" is allowed
    _backfill()
    people = _personas()
    rep = people["rep"]
    print(
        f"{Customer.objects.count():,} customers; manager {people['manager']} "
        f"(team {people['manager'].team_id}), director {people['director']}, rep {rep}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    pages = [name for name, _label in PAGES if not args.pages or name in args.pages]
    scenarios = [
        ("manager", people["manager"], {}),
        ("director", people["director"], {}),
        ("rep", rep, {}),
        ("manager, filtered by rep", people["manager"], {"owner": rep.pk}),
        ("director, filtered by team", people["director"], {"team": people["manager"].team_id}),
    ]
    base: dict[tuple[str, str], float] = {}
    print(f"{'page':<28} {'who':<28} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'× base':>7}")
    for name in pages:
        url = reverse(name)
        for label, user, params in scenarios:
            client = Client()
            client.force_login(user)
            median, p95, queries = _measure(client, url, params, args.repeat)
            who = label.split(",")[0]
            if not params:
                base[(name, who)] = median
            # The rep book without a rep is the rep picker, not a book: a manager's book of
            # one rep compares with that rep opening their own book, the same page.
            if name in ONE_REP_PAGES and who == "manager" and params:
                who = "rep"
            ratio = f"{median / base[(name, who)]:.2f}" if params else ""
            print(f"{name:<28} {label:<28} {median:>10.1f} {p95:>8.1f} {queries:>8} {ratio:>7}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
