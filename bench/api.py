"""Benchmark of the REST API (api/). Prints figures; it is not a test.

    createdb -h 127.0.0.1 -U postgres -T crm_bench crm_bench_api    # a copy: it writes
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_api \\
        .venv/bin/python bench/api.py --customers 1000000 [--repeat 50] [--batch 10000]

1. Tops the database up to --customers customers (bulk inserts, only what is missing).
2. Times POST /api/v1/transactions/batch/ with --batch new orders (all created), then the same
   orders again with new amounts (all updated): the all-or-nothing path through the import
   engine (COPY on PostgreSQL).
3. Times GET /api/v1/customers/ --repeat times each for an admin and a manager (their team):
   first page, a class filter, a search and a page deep in the list by cursor; prints the
   median, the 95th percentile and the queries per request.
Requests go through Django's test client in this process with a Bearer token, so the
figures are server time (no network, no gunicorn). On a database named crm_bench the script
refuses to run (it writes orders and tokens)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from api.tokens import token_create  # noqa: E402
from crm.models import Role, Team, User  # noqa: E402
from customers.models import Customer  # noqa: E402

INSERT_BATCH = 10_000


def top_up(n: int) -> None:
    have = Customer.objects.count()
    if have >= n:
        print(f"customers: {have:,} (no top-up needed)")
        return
    team, _ = Team.objects.get_or_create(name="Bench team")
    rep, _ = User.objects.get_or_create(
        username="bench_rep", defaults={"role": Role.REP, "team": team}
    )
    tag = uuid.uuid4().hex[:6]
    t0 = time.perf_counter()
    for start in range(have, n, INSERT_BATCH):
        size = min(INSERT_BATCH, n - start)
        Customer.objects.bulk_create(
            Customer(
                external_code=f"BENCH-{tag}-{start + i}",
                name=f"基准客户 {start + i}",
                owner=rep,
                team=team,
            )
            for i in range(size)
        )
    print(f"customers: {have:,} → {n:,} in {time.perf_counter() - t0:.1f} s")


def client_for(user: User) -> Client:
    _row, token = token_create(user=user, name="bench/api.py", expires_in_days=1)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")


def bench_batch(client: Client, size: int) -> None:
    codes = list(
        Customer.objects.order_by("pk").values_list("external_code", flat=True)[: max(size, 1)]
    )
    tag = uuid.uuid4().hex[:8]
    for label, amount in (("create", "100.00"), ("update", "120.50")):
        items = [
            {
                "customer_code": codes[i % len(codes)],
                "code": f"APIB-{tag}-{i}",
                "date": "2026-03-02",
                "amount": amount,
            }
            for i in range(size)
        ]
        t0 = time.perf_counter()
        r = client.post(
            "/api/v1/transactions/batch/", {"items": items}, content_type="application/json"
        )
        took = time.perf_counter() - t0
        if r.status_code != 200:
            sys.exit(f"batch {label} failed: {r.status_code} {r.content[:500]!r}")
        print(f"batch of {size:,} ({label}): {took:6.2f} s  {r.json()}")


def bench_list(name: str, client: Client, repeat: int) -> None:
    first = client.get("/api/v1/customers/?page_size=50").json()
    deep = first.get("next")
    for _ in range(20):
        if not deep:
            break
        deep = client.get(deep).json().get("next")
    cases = {
        "first page": "/api/v1/customers/?page_size=50",
        "lifecycle=dormant": "/api/v1/customers/?lifecycle=dormant&page_size=50",
        "search 科技": "/api/v1/customers/?q=%E7%A7%91%E6%8A%80&page_size=50",
    }
    if deep:
        cases["page 22 by cursor"] = deep
    for label, url in cases.items():
        times, queries = [], 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                r = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            queries = len(ctx)
            if r.status_code != 200:
                sys.exit(f"{label}: {r.status_code} {r.content[:300]!r}")
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
        print(
            f"{name:<8} {label:<20} median {statistics.median(times):7.1f} ms  "
            f"p95 {p95:7.1f} ms  {queries} queries"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    if connection.settings_dict["NAME"] == "crm_bench":
        sys.exit("This writes (customers, orders, tokens): run it on a copy of crm_bench.")
    setup_test_environment()
    settings.API_RATE = "1000000/min"  # measure the server, not the rate limit
    settings.ALLOWED_HOSTS = ["*"]
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    top_up(args.customers)
    admin = (
        User.objects.filter(role=Role.ADMIN).first()
        or User.objects.filter(is_superuser=True).first()
    )
    if admin is None:
        admin = User.objects.create(username="bench_admin", role=Role.ADMIN, is_superuser=True)
    team_id = (
        Customer.objects.exclude(team=None)
        .values("team_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("team_id", flat=True)
        .first()
    )
    manager = User.objects.filter(role=Role.MANAGER, team_id=team_id, is_director=False).first()
    if manager is None:
        manager, _ = User.objects.get_or_create(
            username="bench_manager", defaults={"role": Role.MANAGER, "team_id": team_id}
        )
    admin_client = client_for(admin)
    bench_batch(admin_client, args.batch)
    bench_list("admin", admin_client, args.repeat)
    bench_list("manager", client_for(manager), args.repeat)


if __name__ == "__main__":
    main()
