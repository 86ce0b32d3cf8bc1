"""Benchmark: the customer list on a large database (read-only); prints timings.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench \\
        .venv/bin/python bench/customer_list.py

Times the first page, a page far into the list (by cursor), a filtered page and a search,
for an admin (every customer) and for a manager (one team), plus the capped count."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")


def timed(label, fn, repeat=3):
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        took = time.perf_counter() - t0
        best = took if best is None else min(best, took)
    print(f"{label:<55} {best * 1000:8.1f} ms")
    return result


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.http import QueryDict

    from crm.models import User
    from customers.selectors import customer_list

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    with connection.cursor() as cur:
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'customers_customer'")
        print(f"customers (estimate): {cur.fetchone()[0]:,}")
    admin = (
        User.objects.filter(is_superuser=True).first() or User.objects.filter(role="admin").first()
    )
    manager = User.objects.filter(role="manager", is_director=False).exclude(team=None).first()
    for who, user in (("admin", admin), ("manager", manager)):
        if user is None:
            continue

        def page(params, user=user):
            return customer_list(user=user, params=QueryDict(params))

        _, first = timed(f"{who}: first page by name", lambda: page("sort=name"))
        cursor = first.next_cursor
        # Walk 20 pages to get a deep cursor, then time the page there.
        for _ in range(20):
            _, p = page(f"sort=name&after={cursor}")
            cursor = p.next_cursor
        timed(f"{who}: page 22 by cursor", lambda c=cursor: page(f"sort=name&after={c}"))
        timed(f"{who}: newest updated first", lambda: page("sort=-updated"))
        timed(f"{who}: industry+region filter", lambda: page("industry=retail&region=east"))
        timed(f"{who}: search by code prefix", lambda: page("q=C00012"))
        timed(f"{who}: search, 3+ characters (trigram index)", lambda: page("q=兴业百"))
        timed(f"{who}: search, common 2-character word", lambda: page("q=科技"), repeat=1)
        print(f"   count shown: {first.count:,}{'+' if first.count_is_capped else ''}")


if __name__ == "__main__":
    main()
