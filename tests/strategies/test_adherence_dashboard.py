"""The adherence dashboard's figures: weekly totals written after the run, read per rep or
playbook; the same buckets as the live adherence table."""

import datetime as dt

import pytest

from strategies.selectors import adherence_table
from strategies.selectors.adherence_dashboard import adherence_chart
from strategies.services.outcomes import adherence_rollup_refresh
from tests.customers.factories import CustomerFactory
from tests.strategies.factories import PlaybookFactory, StepFactory, TaskFactory

pytestmark = pytest.mark.django_db

D = dt.date
AS_OF = D(2026, 3, 31)


@pytest.fixture
def tasks(no_library, rep_alice, rep_amy, rep_bob_other_team):
    pb = PlaybookFactory()
    step = StepFactory(playbook=pb)
    alice_c = CustomerFactory(owner=rep_alice, industry="retail")
    amy_c = CustomerFactory(owner=rep_amy)

    def task(customer, due, status="open", closed=None, **kw):
        extra = {}
        if status == "done":
            extra["completed_at"] = dt.datetime.combine(closed, dt.time(9), tzinfo=dt.UTC)
        return TaskFactory(customer=customer, step=step, due_on=due, status=status,
                           closed_on=closed, **extra, **kw)  # fmt: skip

    task(alice_c, D(2026, 3, 30), "done", D(2026, 3, 30))  # this week, on time
    task(alice_c, D(2026, 3, 20), "done", D(2026, 3, 22))  # 2nd week, late
    task(alice_c, D(2026, 3, 20), "missed", D(2026, 3, 28))
    task(alice_c, D(2026, 3, 12), "not_applicable", D(2026, 3, 12))  # 3rd week
    task(alice_c, D(2026, 1, 2))  # older than 12 weeks
    task(alice_c, D(2026, 4, 2))  # after as_of
    task(alice_c, D(2026, 3, 30), kind="pool_notice")  # not a playbook step
    task(amy_c, D(2026, 3, 29))  # open
    task(CustomerFactory(owner=rep_bob_other_team), D(2026, 3, 29), "done", D(2026, 3, 29))
    adherence_rollup_refresh(as_of=AS_OF)
    return pb


def _buckets(row):
    return (row.due, row.on_time, row.late, row.missed, row.still_open, row.not_applicable)


def test_per_rep_matches_the_live_table(tasks, manager_maria, rep_alice, rep_amy):
    chart = adherence_chart(user=manager_maria, weeks=4)
    assert chart.as_of == AS_OF
    rows = {r.key: r for r in chart.rows}
    assert set(rows) == {rep_alice.pk, rep_amy.pk}
    assert _buckets(rows[rep_alice.pk]) == (4, 1, 1, 1, 0, 1)
    assert rows[rep_alice.pk].on_time_pct == 33
    assert _buckets(rows[rep_amy.pk]) == (1, 0, 0, 0, 1, 0)
    live = {
        r.key: r
        for r in adherence_table(user=manager_maria, date_from=chart.date_from, date_to=AS_OF)
    }
    for key, row in rows.items():
        assert _buckets(row) == _buckets(live[key])
    # Weeks oldest first: 3rd week back has only a not-applicable task (nothing counted).
    assert [(start, end, pct) for start, end, pct in chart.trend] == [
        (D(2026, 3, 4), D(2026, 3, 10), None),
        (D(2026, 3, 11), D(2026, 3, 17), None),
        (D(2026, 3, 18), D(2026, 3, 24), 0),  # late + missed
        (D(2026, 3, 25), D(2026, 3, 31), 50),  # on time + amy's open
    ]


def test_per_playbook_filters_and_the_live_fallback(tasks, manager_maria, rep_amy):
    by_pb = adherence_chart(user=manager_maria, group_by="playbook", weeks=12)
    assert [(r.key, r.due) for r in by_pb.rows] == [(tasks.pk, 5)]
    assert by_pb.total.due == 5
    only_amy = adherence_chart(user=manager_maria, filters={"owner": rep_amy.pk})
    assert [r.key for r in only_amy.rows] == [rep_amy.pk]
    # One attribute reads its rows of the totals; two count the tasks live: same figures.
    retail = adherence_chart(user=manager_maria, filters={"industry": "retail"})
    assert [_buckets(r) for r in retail.rows] == [(4, 1, 1, 1, 0, 1)]
    assert [pct for _s, _e, pct in retail.trend] == [None, None, 0, 100]
    live = adherence_chart(user=manager_maria, filters={"industry": "retail", "size": "medium"})
    assert [_buckets(r) for r in live.rows] == [(4, 1, 1, 1, 0, 1)]
    assert live.trend == retail.trend
    medium = adherence_chart(user=manager_maria, filters={"size": "medium"})
    assert medium.total.due == 5
    assert adherence_chart(user=manager_maria, filters={"size": "large"}).rows == []


@pytest.mark.parametrize(
    ("persona", "due"),
    [
        ("rep_alice", 4),
        ("rep_amy", 1),
        ("rep_bob_other_team", 1),
        ("manager_maria", 5),
        ("manager_mike_other_team", 1),
        ("director_dora", 6),
        ("admin_ada", 6),
    ],
)
def test_each_persona_counts_its_own_scope(tasks, personas, persona, due):
    assert adherence_chart(user=personas[persona]).total.due == due


def test_refused_arguments(manager_maria):
    with pytest.raises(ValueError, match="weeks"):
        adherence_chart(user=manager_maria, weeks=5)
    with pytest.raises(ValueError, match="grouping"):
        adherence_chart(user=manager_maria, group_by="team")
    assert adherence_chart(user=manager_maria).rows == []  # nothing computed yet
