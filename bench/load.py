"""Load test: 50 simulated reps and managers for 60 s against gunicorn (2 workers) with
production settings over loopback HTTP, on a COPY of the 1M-customer demo database.

    createdb -h 127.0.0.1 -U postgres -T crm_bench crm_bench_load
    .venv/bin/python bench/load.py --db crm_bench_load
    dropdb -h 127.0.0.1 -U postgres crm_bench_load

The script migrates the copy, vacuums it (autovacuum's work in production, off on the bench
machine; `--no-vacuum` skips it), collects the static files, picks demo logins (reps who own
customers, managers) and customer ids in their scope, logs each simulated user in (a session
made for it, as django.contrib.auth.login would; `--real-logins` posts the login form
instead, which spends the first half minute hashing passwords), starts gunicorn on a free
port, runs locust headless (bench/load_locustfile.py) for `--seconds`, stops gunicorn,
and prints requests/s, p50/p95/p99 and errors overall and per action, with the load
average. Logging a call writes contact logs, hence the copy: it refuses to run on crm_bench
itself. Target: zero errors, p95 under 500 ms."""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORDS = {"rep": "Lantern-Rep-2026", "manager": "Compass-Manager-2026"}
# The actions issue #8 names (the script also opens the task list and "my day").
ISSUE_MIX = ("customer list", "customer page", "log a call", "dashboards")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(db: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)  # the pages under test read no cache; no shared Redis needed
    env.update(
        DJANGO_SETTINGS_MODULE="crm.settings.production",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db}",
        CONN_MAX_AGE="60",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # Loopback HTTP: no TLS in front, so no redirect to HTTPS and no Secure-only cookies.
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        LOG_LEVEL="ERROR",
        PYTHONPATH=str(REPO),
    )
    return env


def _plan(env: dict[str, str], reps: int, managers: int) -> dict:
    """Demo logins and, per login, customer ids in its scope (read-only queries)."""
    code = r"""
import json, sys
import django
django.setup()
from crm.models import Role, User
from customers.models import Customer
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
reps, managers = int(sys.argv[1]), int(sys.argv[2])
rep_users = list(
    User.objects.filter(role=Role.REP, is_active=True, username__startswith=("demo_rep"))
) + list(User.objects.filter(role=Role.REP, is_active=True, username__startswith="rep_")
         .order_by("username")[: reps - 1])
manager_users = list(User.objects.filter(role=Role.MANAGER, is_active=True, is_director=False)
                     .exclude(team=None).order_by("username")[:managers])
out = {"logins": {"rep": [], "manager": []}, "customers": {}}
for role, users, per in (("rep", rep_users, 300), ("manager", manager_users, 600)):
    for u in users:
        scope = {"owner": u} if role == "rep" else {"team": u.team_id}
        qs = Customer.objects.filter(**scope)
        ids = list(qs.order_by("pk").values_list("pk", flat=True)[:per])
        if ids:
            # Logged in the way django.contrib.auth.login does, minus the password hash.
            session = SessionStore()
            session[SESSION_KEY] = str(u.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = u.get_session_auth_hash()
            session.create()
            out["logins"][role].append(
                {"username": u.username, "password": None, "session": session.session_key}
            )
            out["customers"][u.username] = ids
print(json.dumps(out))
"""
    result = subprocess.run(
        [sys.executable, "-c", code, str(reps), str(managers)],
        env=env, cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    plan = json.loads(result.stdout.strip().splitlines()[-1])
    for role, logins in plan["logins"].items():
        if not logins:
            sys.exit(f"no demo {role} with customers in this database")
        for login in logins:
            login["password"] = PASSWORDS[role]
    return plan


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"gunicorn did not answer {url} within {seconds:.0f} s")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _report(rows: list[dict], seconds: float) -> bool:
    names = sorted({r["name"] for r in rows})
    print(f"\n{'action':38} {'requests':>8} {'errors':>6} {'req/s':>6} {'p50':>6} {'p95':>6} "
          f"{'p99':>6}  (ms)")  # fmt: skip

    def line(label: str, subset: list[dict]) -> tuple[float, int]:
        times = [r["ms"] for r in subset]
        errors = sum(1 for r in subset if r["error"])
        p95 = _pct(times, 95)
        print(
            f"{label:38} {len(subset):8d} {errors:6d} {len(subset) / seconds:6.1f} "
            f"{_pct(times, 50):6.0f} {p95:6.0f} {_pct(times, 99):6.0f}"
        )
        return p95, errors

    for name in names:
        line(name, [r for r in rows if r["name"] == name])
    work = [r for r in rows if not r["name"].startswith("login")]
    issue_mix = [r for r in work if r["name"].startswith(ISSUE_MIX)]
    print("-" * 90)
    line("all requests", rows)
    line("issue's mix (list, page, call, dash)", issue_mix)
    p95, _errors = line("all but the log-in", work)
    all_errors = sum(1 for r in rows if r["error"])
    shown = 0
    for r in rows:
        if r["error"] and shown < 10:
            print(f"  error: {r['name']}: {r['error'][:200]}")
            shown += 1
    ok = all_errors == 0 and p95 < 500
    print(f"target (zero errors, p95 < 500 ms without log-ins): {'OK' if ok else 'MISSED'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="crm_bench_load", help="a COPY of crm_bench")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--dashboards", choices=["auto", "yes", "no"], default="auto")
    parser.add_argument(
        "--real-logins",
        action="store_true",
        help="each simulated user posts the login form (password hashing inside the "
        "measured minute) instead of starting with a session made for it",
    )
    parser.add_argument(
        "--no-vacuum",
        action="store_true",
        help="skip the VACUUM (ANALYZE) of the copy before the run (autovacuum's work)",
    )
    args = parser.parse_args()
    if args.db == "crm_bench":
        sys.exit("logging calls writes contact logs: run on a copy, never on crm_bench")
    dashboards = args.dashboards
    if dashboards == "auto":
        dashboards = "yes" if (REPO / "dashboards" / "urls.py").is_file() else "no"

    env = _env(args.db)
    # As a release does: the copy gets this checkout's migrations, the static files collected.
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *command], env=env, cwd=REPO, check=True)
    if not args.no_vacuum:
        # In production autovacuum keeps statistics and the visibility map current (the list's
        # index-only scans need it: without it every index entry costs a table visit). Where
        # it is off, as on the bench machine, the copy would be measured in a state production
        # never stays in. Only pages not yet all-visible are read: ~70 s for a 1M copy made
        # from a database never vacuumed, a few seconds once the template has been.
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c",
             "from django.db import connection; connection.cursor().execute('VACUUM (ANALYZE)')"],
            env=env, cwd=REPO, check=True,
        )  # fmt: skip
        print(f"VACUUM (ANALYZE) of the copy: {time.monotonic() - started:.0f} s")
    plan = _plan(env, reps=max(args.users * 4 // 5, 1), managers=max(args.users // 5, 1))
    if args.real_logins:
        for logins in plan["logins"].values():
            for login in logins:
                login["session"] = None
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    out = Path(tempfile.mkdtemp(prefix="crm-load-"))
    (out / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    gunicorn = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "crm.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--threads", str(args.threads), "--timeout", "120",
         "--graceful-timeout", "5", "--log-level", "warning"],
        env=env, cwd=REPO, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for(f"{host}/accounts/login/", 60)
        before = os.getloadavg()
        print(
            f"database {args.db}; gunicorn {args.workers} workers × {args.threads} thread(s) on "
            f"{host}; {args.users} users ({len(plan['logins']['rep'])} rep and "
            f"{len(plan['logins']['manager'])} manager logins), {args.seconds} s, dashboards "
            f"{dashboards}; load average before {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}"
        )
        started = time.monotonic()
        subprocess.run(
            [str(VENV_BIN / "locust"), "-f", str(REPO / "bench" / "load_locustfile.py"),
             "--headless", "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
             "--run-time", f"{args.seconds}s", "--stop-timeout", "10", "--host", host,
             "--only-summary", "--loglevel", "WARNING", "--dashboards", dashboards],
            env={**env, "LOAD_PLAN": str(out / "plan.json"), "LOAD_LOG": str(out / "requests.csv")},
            cwd=REPO, timeout=args.seconds + 120, check=False,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        after = os.getloadavg()
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        try:
            gunicorn.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(gunicorn.pid, signal.SIGKILL)
    if not (out / "requests.csv").is_file():
        sys.exit("locust recorded no request (see its output above)")
    with (out / "requests.csv").open(encoding="utf-8") as fh:
        rows = [
            {"name": r["name"], "ms": float(r["ms"]), "error": r["error"]}
            for r in csv.DictReader(fh)
        ]
    ok = _report(rows, min(elapsed, args.seconds))
    print(f"load average after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}; raw log {out}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
