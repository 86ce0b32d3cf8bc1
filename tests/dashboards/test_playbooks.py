"""The playbook dashboards (adherence, effectiveness, rep book): scope per persona, filters,
drill-down links that land on exactly the customers/tasks behind a number, export, queries."""

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from segmentation.models import CustomerClasses
from strategies.models import Playbook
from strategies.services.outcomes import adherence_rollup_refresh, playbook_outcomes_refresh
from tests.customers.factories import CustomerFactory
from tests.strategies.factories import (
    ClassChangeFactory,
    EnrollmentFactory,
    PlaybookFactory,
    RunFactory,
    StepFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

ADHERENCE = reverse("dashboards:adherence")
EFFECTIVENESS = reverse("dashboards:effectiveness")
REP_BOOK = reverse("dashboards:rep_book")


def ago(n):
    return timezone.localdate() - dt.timedelta(days=n)


def _done(customer, enrollment, step, due, closed):
    return TaskFactory(
        customer=customer, enrollment=enrollment, step=step, due_on=due, status="done",
        closed_on=closed, completed_at=dt.datetime.combine(closed, dt.time(9), tzinfo=dt.UTC),
    )  # fmt: skip


@pytest.fixture
def playbooks(db, rep_alice, rep_amy, rep_bob_other_team):
    """Four customers in a dormant playbook started 60 days ago:
    alice_a kept its steps and came back (repeat) · alice_b missed a step and churned ·
    amy_c had no step due · bob_f (team B) kept and came back. Figures as of today."""
    Playbook.objects.update(active=False)  # only this test's playbook
    pb = PlaybookFactory(dimension="lifecycle", class_code="dormant", code="test-dormant")
    step = StepFactory(playbook=pb)
    run = RunFactory(as_of=ago(0), is_current=True)
    start = ago(60)
    c = {}

    def enrol(name, owner, **attrs):
        c[name] = CustomerFactory(owner=owner, name=name, **attrs)
        return EnrollmentFactory(customer=c[name], playbook=pb, started_on=start)

    e = enrol("alice_a", rep_alice, industry="retail")
    _done(c["alice_a"], e, step, ago(55), ago(55))
    _done(c["alice_a"], e, None, ago(10), ago(10))  # in the adherence period, on time
    ClassChangeFactory(customer=c["alice_a"], run=run, from_code="dormant", to_code="repeat",
                       as_of=ago(40))  # fmt: skip
    e = enrol("alice_b", rep_alice)
    TaskFactory(customer=c["alice_b"], enrollment=e, step=step, due_on=ago(55), status="missed")
    TaskFactory(customer=c["alice_b"], due_on=ago(5), status="missed", step=step)
    TaskFactory(customer=c["alice_b"], due_on=ago(2), step=step)  # open, overdue
    ClassChangeFactory(customer=c["alice_b"], run=run, from_code="dormant", to_code="churned",
                       as_of=ago(25))  # fmt: skip  # day 35: after the 30-day window
    ClassChangeFactory(customer=c["alice_b"], run=run, dimension="value_tier",
                       from_code="important", to_code="ordinary", as_of=ago(45))  # fmt: skip
    enrol("amy_c", rep_amy)
    TaskFactory(customer=c["amy_c"], due_on=ago(3), step=step)  # open
    e = enrol("bob_f", rep_bob_other_team)
    _done(c["bob_f"], e, step, ago(55), ago(56))
    ClassChangeFactory(customer=c["bob_f"], run=run, from_code="dormant", to_code="loyal",
                       as_of=ago(50))  # fmt: skip
    classes = {"alice_a": "repeat", "alice_b": "churned", "amy_c": "dormant", "bob_f": "loyal"}
    for name, life in classes.items():
        CustomerClasses.objects.create(
            run=run, customer=c[name], lifecycle=life, value_tier="ordinary", revenue_window=100.0
        )
    playbook_outcomes_refresh(as_of=ago(0))
    adherence_rollup_refresh(as_of=ago(0))
    return {"pb": pb, "run": run, "c": c}


def _ids(response):
    return {c.pk for c in response.context["customers"]}


@pytest.mark.parametrize("url", [ADHERENCE, EFFECTIVENESS, REP_BOOK])
def test_anonymous_goes_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(
    ("persona", "entered", "due"),
    [
        ("rep_alice", 2, 5),
        ("rep_amy", 1, 1),
        ("rep_bob_other_team", 1, 1),
        ("manager_maria", 3, 6),
        ("manager_mike_other_team", 1, 1),
        ("director_dora", 4, 7),
        ("admin_ada", 4, 7),
    ],
)
def test_each_persona_sees_its_scope(client, playbooks, personas, persona, entered, due):
    client.force_login(personas[persona])
    eff = client.get(EFFECTIVENESS, {"window": 30})
    assert eff.status_code == 200
    assert eff.context["data"]["eff"].total.total.entered == entered
    adh = client.get(ADHERENCE, {"weeks": 12})
    assert adh.status_code == 200
    assert adh.context["data"]["chart"].total.due == due


def test_effectiveness_numbers_and_their_drill_downs(client, playbooks, manager_maria):
    c = playbooks["c"]
    client.force_login(manager_maria)
    response = client.get(EFFECTIVENESS, {"window": 30})
    data = response.context["data"]
    [row] = data["table"]
    kept, not_kept = row["cells"]["kept"], row["cells"]["not_kept"]
    assert (kept["cell"].entered, kept["cell"].improved) == (1, 1)
    assert (not_kept["cell"].entered, not_kept["cell"].slipped) == (1, 0)
    assert _ids(client.get(kept["improved_url"])) == {c["alice_a"].pk}
    assert _ids(client.get(not_kept["slipped_url"])) == set()
    sixty = client.get(EFFECTIVENESS, {"window": 60}).context["data"]["table"][0]
    assert sixty["cells"]["not_kept"]["cell"].slipped == 1  # churned on day 35
    assert _ids(client.get(sixty["cells"]["not_kept"]["slipped_url"])) == {c["alice_b"].pk}
    assert _ids(client.get(row["url"])) == {c["alice_a"].pk, c["alice_b"].pk, c["amy_c"].pk}
    assert _ids(client.get(data["total_url"])) == {c[k].pk for k in ("alice_a", "alice_b", "amy_c")}
    # The chart's bars carry the same links.
    kept_bar = data["bars"]["series"][0]["data"][0]
    assert kept_bar == {"value": 100.0, "n": 1, "url": kept["improved_url"]}
    html = response.content.decode()
    assert 'data-chart="playbook-effectiveness-bars"' in html
    assert "<script>" not in html.replace('<script id="', "")


def test_effectiveness_per_rep_and_filtered(client, playbooks, manager_maria, rep_alice):
    c = playbooks["c"]
    client.force_login(manager_maria)
    per_rep = client.get(EFFECTIVENESS, {"group": "rep"}).context["data"]["table"]
    alice = next(t for t in per_rep if t["row"].key == rep_alice.pk)
    assert alice["row"].total.entered == 2
    assert _ids(client.get(alice["url"])) == {c["alice_a"].pk, c["alice_b"].pk}
    retail = client.get(EFFECTIVENESS, {"industry": "retail"}).context["data"]["eff"]
    assert retail.total.total.entered == 1
    sixty = client.get(EFFECTIVENESS, {"window": 60}).context["data"]["eff"]
    assert sixty.total.total.entered == 3
    assert client.get(EFFECTIVENESS, {"window": 90}).context["data"]["eff"].rows == []
    bad = client.get(EFFECTIVENESS, {"window": "45", "group": "team"}).context["data"]
    assert (bad["window"], bad["group"]) == (30, "playbook")  # unknown choices fall back


def test_adherence_numbers_and_drill_downs(client, playbooks, manager_maria, rep_alice):
    c = playbooks["c"]
    client.force_login(manager_maria)
    data = client.get(ADHERENCE, {"weeks": 4}).context["data"]
    rows = {t["row"].key: t for t in data["table"]}
    alice = rows[rep_alice.pk]["row"]
    assert (alice.due, alice.on_time, alice.missed, alice.still_open) == (3, 1, 1, 1)
    tasks_page = client.get(rows[rep_alice.pk]["url"]).content.decode()
    assert "alice_b" in tasks_page
    assert "amy_c" not in tasks_page
    by_playbook = client.get(ADHERENCE, {"group": "playbook"}).context["data"]["table"]
    [pb_row] = [t for t in by_playbook if t["row"].key == playbooks["pb"].pk]
    assert _ids(client.get(pb_row["url"])) == {c["alice_a"].pk, c["alice_b"].pk, c["amy_c"].pk}
    assert data["trend"]["points"][-1]["value"] is not None
    assert client.get(data["live_url"]).status_code == 200
    assert data["bars"]["series"][0]["data"][0]["url"].startswith(reverse("strategies:tasks"))


def test_rep_book_for_the_manager(client, playbooks, manager_maria, rep_alice):
    c = playbooks["c"]
    client.force_login(manager_maria)
    pick = client.get(REP_BOOK).context["data"]
    assert pick["book"] is None
    assert any(r["rep"] == rep_alice for r in pick["reps"])
    response = client.get(REP_BOOK, {"owner": rep_alice.pk})
    data = response.context["data"]
    book = data["book"]
    assert (book.customers, book.tasks.open, book.tasks.overdue) == (2, 1, 1)
    life = {x["dimension"]: x for x in data["dimensions"]}["lifecycle"]
    urls = {cls["code"]: cls["url"] for cls in life["classes"]}
    assert _ids(client.get(urls["churned"])) == {c["alice_b"].pk}
    moves = {(m["move"].to_code): m["url"] for m in data["movements"]}
    assert _ids(client.get(moves["churned"])) == {c["alice_b"].pk}
    assert "alice_b" in client.get(data["tasks_url"]).content.decode()
    html = response.content.decode()
    assert 'data-chart="rep-book-classes"' in html
    links = {unescape(x) for x in re.findall(r'href="(/customers/\?[^"]+)"', html)}
    assert any("lifecycle=churned" in x and f"owner={rep_alice.pk}" in x for x in links)


def test_rep_book_scope(client, playbooks, rep_alice, rep_amy, manager_mike_other_team):
    client.force_login(manager_mike_other_team)
    response = client.get(REP_BOOK, {"owner": rep_alice.pk})
    assert response.context["filter_form"].errors
    assert response.context["data"]["book"] is None  # another team's rep: not opened
    assert "alice_a" not in response.content.decode()
    client.force_login(rep_alice)
    own = client.get(REP_BOOK, {"owner": rep_amy.pk}).context["data"]["book"]
    assert own.rep == rep_alice  # a rep only ever sees their own book
    assert own.customers == 2


@pytest.mark.parametrize(
    ("url", "header"),
    [
        (ADHERENCE, "group,name,due,on_time"),
        (EFFECTIVENESS, "group,name,dimension,class,window_days"),
        (REP_BOOK, "section,dimension,class_from,class_to,customers"),
    ],
)
def test_export_csv_and_xlsx(client, playbooks, manager_maria, rep_alice, url, header):
    client.force_login(manager_maria)
    params = {"owner": rep_alice.pk}
    response = client.get(url, {**params, "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith(header)
    assert len(text.splitlines()) >= 2
    xlsx = client.get(url, {**params, "export": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("url", [ADHERENCE, EFFECTIVENESS, REP_BOOK])
def test_query_count_does_not_grow_with_the_data(
    client, playbooks, manager_maria, rep_alice, url, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager_maria)
    params = {"owner": rep_alice.pk}
    client.get(url, params)
    with CaptureQueriesContext(connection) as small:
        client.get(url, params)
    run, pb = playbooks["run"], playbooks["pb"]
    for i in range(15):
        customer = CustomerFactory(owner=rep_alice)
        e = EnrollmentFactory(customer=customer, playbook=pb, started_on=ago(60))
        TaskFactory(customer=customer, enrollment=e, due_on=ago(i), status="missed")
        CustomerClasses.objects.create(run=run, customer=customer, lifecycle="dormant")
        ClassChangeFactory(customer=customer, run=run, from_code="repeat", to_code="dormant",
                           as_of=ago(i))  # fmt: skip
    playbook_outcomes_refresh(as_of=ago(0))
    adherence_rollup_refresh(as_of=ago(0))
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url, params)
