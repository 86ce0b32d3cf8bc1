import datetime as dt

import pytest

from strategies.selectors import adherence_table, cadence_kept
from tests.customers.factories import ContactLogFactory, CustomerFactory
from tests.strategies.factories import EnrollmentFactory, PlaybookFactory, TaskFactory

D = dt.date


@pytest.mark.parametrize(
    ("touches", "kept"),
    [
        ([D(2026, 3, 15)], True),  # 14 days from start, 14 days to end: exactly the cadence
        ([D(2026, 3, 16)], False),  # 15 days from the start
        ([D(2026, 3, 14)], False),  # 15 days to the end
        ([D(2026, 3, 8), D(2026, 3, 22)], True),
        ([], False),
        ([D(2026, 2, 28), D(2026, 3, 30)], False),  # outside the period: ignored
    ],
)
def test_cadence_kept_at_the_boundaries(touches, kept):
    assert (
        cadence_kept(touches=touches, start=D(2026, 3, 1), end=D(2026, 3, 29), cadence_days=14)
        is kept
    )


@pytest.mark.django_db
def test_adherence_per_rep_counts_on_time_late_missed_and_cadence(
    no_library, rep_alice, rep_amy, manager_maria, rep_bob_other_team
):
    pb = PlaybookFactory(cadence_days=14)
    alice_c = CustomerFactory(owner=rep_alice)
    EnrollmentFactory(customer=alice_c, playbook=pb, started_on=D(2026, 3, 1))
    for day in (8, 20):
        ContactLogFactory(customer=alice_c, occurred_at=dt.datetime(2026, 3, day, 2, tzinfo=dt.UTC))
    due = D(2026, 3, 10)
    TaskFactory(customer=alice_c, due_on=due, status="done", closed_on=due,
                completed_at=dt.datetime(2026, 3, 10, 1, tzinfo=dt.UTC))  # fmt: skip
    TaskFactory(customer=alice_c, due_on=due, status="done", closed_on=D(2026, 3, 12),
                completed_at=dt.datetime(2026, 3, 12, 1, tzinfo=dt.UTC))  # fmt: skip
    TaskFactory(customer=alice_c, due_on=due, status="missed")
    TaskFactory(customer=alice_c, due_on=due, status="not_applicable")
    TaskFactory(customer=alice_c, due_on=D(2026, 4, 10))  # outside the period
    amy_c = CustomerFactory(owner=rep_amy)
    EnrollmentFactory(customer=amy_c, playbook=pb, started_on=D(2026, 3, 1))
    TaskFactory(customer=amy_c, due_on=due)
    TaskFactory(customer=CustomerFactory(owner=rep_bob_other_team), due_on=due)

    rows = {
        r.key: r
        for r in adherence_table(
            user=manager_maria, date_from=D(2026, 3, 1), date_to=D(2026, 3, 31)
        )
    }

    assert set(rows) == {rep_alice.pk, rep_amy.pk}
    alice = rows[rep_alice.pk]
    assert (alice.due, alice.on_time, alice.late, alice.missed, alice.not_applicable) == (
        4, 1, 1, 1, 1,
    )  # fmt: skip
    assert alice.on_time_pct == 33
    assert (alice.cadence_tracked, alice.cadence_kept) == (1, 1)
    amy = rows[rep_amy.pk]
    assert (amy.due, amy.still_open, amy.cadence_kept) == (1, 1, 0)

    mine = adherence_table(user=rep_alice, date_from=D(2026, 3, 1), date_to=D(2026, 3, 31))
    assert [r.key for r in mine] == [rep_alice.pk]

    by_playbook = adherence_table(
        user=manager_maria, date_from=D(2026, 3, 1), date_to=D(2026, 3, 31), group_by="playbook"
    )
    assert [r.cadence_tracked for r in by_playbook if r.key == pb.pk] == [2]
