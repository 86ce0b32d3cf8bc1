"""The simulated reps and managers of bench/load.py (run by it; not on its own).

Each simulated user logs in once with a demo login, then works as a person does, with a
pause of 1-3 s between actions: the customer list with filters and search, a customer page,
a call logged from the customer page (htmx POST with the CSRF token), the task list, and for
managers the dashboards. Customer ids and logins come from the JSON file bench/load.py
writes (LOAD_PLAN)."""

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
_logins = {role: itertools.cycle(PLAN["logins"][role]) for role in ("rep", "manager")}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LIST_FILTERS = [
    {"lifecycle": "dormant"},
    {"value_tier": "core"},
    {"churn_warning": "yes"},
    {"lifecycle": "loyal", "size": "large"},
    {"region": "east"},
    {"industry": "manufacturing", "lifecycle": "repeat"},
    {"sort": "-updated"},
    {},
]
SEARCHES = ["科技", "贸易", "王", "有限公司", "138"]


@events.init_command_line_parser.add_listener
def _(parser):
    parser.add_argument("--dashboards", choices=["yes", "no"], default="no")


class _Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    role = "rep"

    def on_start(self):
        login = next(_logins[self.role])
        self.customers = PLAN["customers"][login["username"]]
        if login.get("session"):
            self.client.cookies.set("sessionid", login["session"])
            return
        page = self.client.get("/accounts/login/", name="login page")
        token = CSRF.search(page.text).group(1)
        response = self.client.post(
            "/accounts/login/",
            {"username": login["username"], "password": login["password"],
             "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/accounts/login/"},
            name="login",
        )  # fmt: skip
        if "/accounts/login/" in response.url:
            response.failure(f"login refused for {login['username']}")

    def _customer(self) -> int:
        return random.choice(self.customers)

    @task(4)
    def customer_list(self):
        params = dict(random.choice(LIST_FILTERS))
        if random.random() < 0.3:
            params["page"] = random.randint(2, 5)
        self.client.get("/customers/", params=params, name="customer list (filters)")

    @task(2)
    def customer_search(self):
        self.client.get(
            "/customers/",
            params={"q": random.choice(SEARCHES)},
            headers={"HX-Request": "true"},
            name="customer list (search, htmx)",
        )

    @task(4)
    def customer_page(self):
        self.client.get(f"/customers/{self._customer()}/", name="customer page")

    @task(2)
    def log_a_call(self):
        pk = self._customer()
        page = self.client.get(f"/customers/{pk}/", name="customer page")
        match = CSRF.search(page.text)
        if match is None:
            return
        self.client.post(
            f"/customers/{pk}/log/",
            {"channel": "call", "direction": "outbound", "outcome": "reached",
             "summary": "电话回访：确认下季度采购计划。", "csrfmiddlewaretoken": match.group(1)},
            headers={"HX-Request": "true", "X-CSRFToken": match.group(1),
                     "Referer": f"{self.host}/customers/{pk}/"},
            name="log a call (htmx POST)",
        )  # fmt: skip

    @task(1)
    def task_list(self):
        self.client.get("/strategies/tasks/", name="tasks")


class Rep(_Person):
    weight = 4
    role = "rep"

    @task(1)
    def my_day(self):
        self.client.get("/", name="my day")


class Manager(_Person):
    weight = 1
    role = "manager"

    @task(3)
    def dashboards(self):
        if self.environment.parsed_options.dashboards == "yes":
            self.client.get("/dashboards/", name="dashboards")


_log = open(os.environ["LOAD_LOG"], "w", encoding="utf-8", newline="")  # noqa: SIM115
_writer = None


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception, **kwargs):
    """Every request with its time, for exact percentiles in bench/load.py."""
    global _writer
    if _writer is None:
        import csv

        _writer = csv.writer(_log)
        _writer.writerow(["name", "ms", "error"])
    _writer.writerow([name, f"{response_time:.1f}", "" if exception is None else repr(exception)])
    _log.flush()
