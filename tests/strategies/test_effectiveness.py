"""Playbook effectiveness: the per-run write (playbook_outcomes_refresh) and the dashboard's
read (playbook_effectiveness), on hand-built enrollments, tasks and class changes."""

import datetime as dt

import pytest
from django.utils import translation

from strategies.models import PlaybookOutcome, PlaybookOutcomeRollup, StepsKept
from strategies.selectors.effectiveness import (
    outcome_customer_ids,
    outcome_scope,
    playbook_effectiveness,
)
from strategies.services.outcomes import playbook_outcomes_refresh
from tests.customers.factories import CustomerFactory
from tests.strategies.factories import (
    ClassChangeFactory,
    EnrollmentFactory,
    PlaybookFactory,
    RunFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

D = dt.date
AS_OF = D(2026, 6, 30)
START = D(2026, 5, 1)  # 60 days before AS_OF: the 30- and 60-day windows have closed


def _done(customer, enrollment, due, closed, **kw):
    return TaskFactory(
        customer=customer, enrollment=enrollment, due_on=due, status="done", closed_on=closed,
        completed_at=dt.datetime.combine(closed, dt.time(9), tzinfo=dt.UTC), **kw,
    )  # fmt: skip


@pytest.fixture
def book(no_library, rep_alice, rep_amy, rep_bob_other_team):
    """Seven customers in the dormant playbook, each a case the definitions must get right."""
    pb = PlaybookFactory(dimension="lifecycle", class_code="dormant", code="test-dormant")
    run = RunFactory(as_of=AS_OF)

    def enrol(owner, started=START, **attrs):
        customer = CustomerFactory(owner=owner, **attrs)
        return customer, EnrollmentFactory(customer=customer, playbook=pb, started_on=started)

    def change(customer, to, on, frm="dormant", dim="lifecycle"):
        ClassChangeFactory(
            customer=customer, run=run, dimension=dim, from_code=frm, to_code=to, as_of=on
        )

    c = {}
    # a: every step on time, back to repeat buyer after 24 days.
    c["a"], e = enrol(rep_alice, industry="retail")
    _done(c["a"], e, D(2026, 5, 3), D(2026, 5, 3))
    _done(c["a"], e, D(2026, 5, 20), D(2026, 5, 19))
    TaskFactory(customer=c["a"], enrollment=e, kind="pool_notice", due_on=D(2026, 5, 5),
                status="missed")  # fmt: skip  # pool notices are not playbook steps
    change(c["a"], "repeat", D(2026, 5, 25))
    change(c["a"], "core", D(2026, 5, 10), frm="ordinary", dim="value_tier")  # other dimension
    # b: a step missed; churned after 14 days, back as a repeat buyer after 50.
    c["b"], e = enrol(rep_alice)
    TaskFactory(customer=c["b"], enrollment=e, due_on=D(2026, 5, 3), status="missed")
    change(c["b"], "churned", D(2026, 5, 15))
    change(c["b"], "repeat", D(2026, 6, 20), frm="churned")
    # c: no task at all (none due); moved to "unclassified", which is neither better nor worse.
    c["c"], e = enrol(rep_amy)
    change(c["c"], "unclassified", D(2026, 5, 20))
    # d: a step done two days late, a later one on time.
    c["d"], e = enrol(rep_amy)
    _done(c["d"], e, D(2026, 5, 10), D(2026, 5, 12))
    _done(c["d"], e, D(2026, 6, 15), D(2026, 6, 15))
    # e: a step closed as no longer applicable before its date asked nothing; the other kept.
    c["e"], e = enrol(rep_alice)
    TaskFactory(customer=c["e"], enrollment=e, due_on=D(2026, 5, 5), status="not_applicable",
                closed_on=D(2026, 5, 4))  # fmt: skip
    _done(c["e"], e, D(2026, 5, 10), D(2026, 5, 9))
    # f: the other team's customer, kept and improved within 30 days.
    c["f"], e = enrol(rep_bob_other_team)
    _done(c["f"], e, D(2026, 5, 3), D(2026, 5, 3))
    change(c["f"], "loyal", D(2026, 5, 30))
    # g: started 15 days ago (no window closed yet); h: older than the cohort.
    c["g"], _e = enrol(rep_alice, started=D(2026, 6, 15))
    c["h"], _e = enrol(rep_alice, started=D(2025, 1, 1))
    # A task of another (still open) window: due after day 30, open → not kept at 60 only.
    c["i"], e = enrol(rep_amy)
    _done(c["i"], e, D(2026, 5, 2), D(2026, 5, 2))
    TaskFactory(customer=c["i"], enrollment=e, due_on=D(2026, 6, 10), status="open")
    playbook_outcomes_refresh(as_of=AS_OF)
    return pb, c


def test_refresh_writes_one_row_per_enrollment_of_the_cohort(book):
    pb, c = book
    rows = {r.customer_id: r for r in PlaybookOutcome.objects.all()}
    assert set(rows) == {c[k].pk for k in "abcdefi"}  # g too recent, h too old
    a, b, cc, d, e, i = (rows[c[k].pk] for k in "abcdei")
    assert (a.steps_30, a.improved_30, a.slipped_30) == (StepsKept.KEPT, 1, 0)
    assert (b.steps_30, b.improved_30, b.slipped_30) == (StepsKept.NOT_KEPT, 0, 1)
    assert (b.steps_60, b.improved_60, b.slipped_60) == (StepsKept.NOT_KEPT, 1, 1)
    assert (cc.steps_30, cc.improved_30, cc.slipped_30) == (StepsKept.NONE_DUE, 0, 0)
    assert d.steps_30 == d.steps_60 == StepsKept.NOT_KEPT
    assert e.steps_30 == StepsKept.KEPT
    assert (i.steps_30, i.steps_60) == (StepsKept.KEPT, StepsKept.NOT_KEPT)
    # The 90-day window has not closed for anyone.
    assert {r.steps_90 for r in rows.values()} == {None}
    assert {r.improved_90 for r in rows.values()} == {None}
    assert a.industry == "retail"
    assert a.owner_id == c["a"].owner_id
    assert a.team_id == c["a"].team_id
    assert a.playbook_id == pb.pk


def test_refresh_replaces_the_previous_figures(book):
    before = PlaybookOutcome.objects.count(), PlaybookOutcomeRollup.objects.count()
    playbook_outcomes_refresh(as_of=AS_OF)
    assert (PlaybookOutcome.objects.count(), PlaybookOutcomeRollup.objects.count()) == before
    # A month later the 90-day window has closed for the May cohort.
    playbook_outcomes_refresh(as_of=D(2026, 7, 31))
    assert set(PlaybookOutcome.objects.values_list("as_of", flat=True)) == {D(2026, 7, 31)}
    assert PlaybookOutcome.objects.filter(steps_90__isnull=False).count() == 7  # g: not yet


def _cells(row):
    return tuple(
        (cell.entered, cell.improved, cell.slipped)
        for cell in (row.kept, row.not_kept, row.none_due)
    )


def test_effectiveness_per_playbook_for_the_manager(book, manager_maria):
    pb, _c = book
    result = playbook_effectiveness(user=manager_maria, window=30)
    assert result.as_of == AS_OF
    assert [r.key for r in result.rows] == [pb.pk]
    row = result.rows[0]
    # kept: a, e, i (a improved) · not kept: b, d (b slipped) · none due: c
    assert _cells(row) == ((3, 1, 0), (2, 0, 1), (1, 0, 0))
    assert row.kept.improved_pct == 33.3
    assert row.not_kept.improved_pct == 0
    assert row.lift == 33.3
    assert (row.total.entered, row.total.improved, row.total.slipped) == (6, 1, 1)
    assert row.code == "test-dormant"
    assert row.class_label == "休眠客户"
    with translation.override("en"):
        assert playbook_effectiveness(user=manager_maria).rows[0].class_label == "Dormant customer"
    assert row.can_improve
    assert row.can_slip

    sixty = playbook_effectiveness(user=manager_maria, window=60).rows[0]
    # kept: a, e · not kept: b, d, i (b improved at day 50 and slipped at day 14) · none: c
    assert _cells(sixty) == ((2, 1, 0), (3, 1, 1), (1, 0, 0))
    assert playbook_effectiveness(user=manager_maria, window=90).rows == []


def test_effectiveness_per_rep_and_filters(book, manager_maria, rep_alice, rep_amy):
    pb, _c = book
    per_rep = {r.key: r for r in playbook_effectiveness(user=manager_maria, group_by="rep").rows}
    assert set(per_rep) == {rep_alice.pk, rep_amy.pk}
    assert _cells(per_rep[rep_alice.pk]) == ((2, 1, 0), (1, 0, 1), (0, 0, 0))  # a, e · b
    assert _cells(per_rep[rep_amy.pk]) == ((1, 0, 0), (1, 0, 0), (1, 0, 0))  # i · d · c
    assert per_rep[rep_alice.pk].label == (rep_alice.get_full_name() or "rep_alice")

    only_amy = playbook_effectiveness(user=manager_maria, filters={"owner": rep_amy.pk})
    assert _cells(only_amy.rows[0]) == ((1, 0, 0), (1, 0, 0), (1, 0, 0))
    # A customer attribute reads the per-enrollment table: same definitions, same numbers.
    retail = playbook_effectiveness(user=manager_maria, filters={"industry": "retail"})
    assert _cells(retail.rows[0]) == ((1, 1, 0), (0, 0, 0), (0, 0, 0))
    made = playbook_effectiveness(
        user=manager_maria, filters={"industry": "manufacturing", "owner": rep_alice.pk}
    )
    assert _cells(made.rows[0]) == ((1, 0, 0), (1, 0, 1), (0, 0, 0))  # e · b
    assert playbook_effectiveness(user=manager_maria, filters={"playbook": pb.pk + 99}).rows == []
    # Two attributes read the per-enrollment rows; one attribute the rollup: same numbers.
    two = playbook_effectiveness(
        user=manager_maria, filters={"industry": "retail", "size": "medium"}
    )
    assert _cells(two.rows[0]) == _cells(retail.rows[0])
    medium = playbook_effectiveness(user=manager_maria, window=60, filters={"size": "medium"})
    both = playbook_effectiveness(
        user=manager_maria, window=60, filters={"size": "medium", "kind": "company"}
    )
    assert _cells(medium.rows[0]) == _cells(both.rows[0]) == ((2, 1, 0), (3, 1, 1), (1, 0, 0))


@pytest.mark.parametrize(
    ("persona", "entered"),
    [
        ("rep_alice", 3),
        ("rep_amy", 3),
        ("rep_bob_other_team", 1),
        ("manager_maria", 6),
        ("manager_mike_other_team", 1),
        ("director_dora", 7),
        ("admin_ada", 7),
    ],
)
def test_each_persona_counts_only_the_customers_it_may_see(book, personas, persona, entered):
    user = personas[persona]
    result = playbook_effectiveness(user=user)
    assert result.total.total.entered == entered
    # The rows' owner/team scope is the same rule as customers_visible_to.
    from customers.access import customers_visible_to

    scoped = PlaybookOutcome.objects.filter(outcome_scope(user)).values_list("customer_id")
    visible = set(customers_visible_to(user).values_list("pk", flat=True))
    assert {cid for (cid,) in scoped} == visible & set(
        PlaybookOutcome.objects.values_list("customer_id", flat=True)
    )


def test_anonymous_and_inactive_users_count_nothing(book, rep_alice):
    from django.contrib.auth.models import AnonymousUser

    assert outcome_scope(AnonymousUser()) is None
    assert playbook_effectiveness(user=AnonymousUser()).rows == []
    rep_alice.is_active = False
    assert playbook_effectiveness(user=rep_alice).rows == []


def test_drill_down_ids_match_the_numbers(book):
    _pb, c = book
    ids = lambda **kw: set(  # noqa: E731
        outcome_customer_ids(playbook_code="test-dormant", **kw).values_list(
            "customer_id", flat=True
        )
    )
    assert ids(window=30, steps=StepsKept.KEPT, outcome="improved") == {c["a"].pk, c["f"].pk}
    assert ids(window=30, steps=StepsKept.NOT_KEPT, outcome="slipped") == {c["b"].pk}
    assert ids(window=30, steps=None, outcome="all") == {c[k].pk for k in "abcdefi"}
    assert ids(window=60, steps=None, outcome="improved") == {c["a"].pk, c["b"].pk, c["f"].pk}
    assert ids(window=45, steps=None, outcome="all") == set()
    every = outcome_customer_ids(playbook_code="*", window=30, steps=None, outcome="improved")
    assert set(every.values_list("customer_id", flat=True)) == {c["a"].pk, c["f"].pk}
    assert ids(window=30, steps=None, outcome="drop table") == set()


def test_a_playbook_of_the_best_class_cannot_improve(no_library, rep_alice, manager_maria):
    pb = PlaybookFactory(dimension="lifecycle", class_code="loyal")
    customer = CustomerFactory(owner=rep_alice)
    EnrollmentFactory(customer=customer, playbook=pb, started_on=START)
    ClassChangeFactory(customer=customer, from_code="loyal", to_code="dormant",
                       as_of=D(2026, 5, 20))  # fmt: skip
    playbook_outcomes_refresh(as_of=AS_OF)
    row = playbook_effectiveness(user=manager_maria).rows[0]
    assert not row.can_improve
    assert row.can_slip
    assert (row.none_due.entered, row.none_due.slipped) == (1, 1)


def test_bad_window_or_grouping_is_refused(manager_maria):
    with pytest.raises(ValueError, match="window"):
        playbook_effectiveness(user=manager_maria, window=45)
    with pytest.raises(ValueError, match="grouping"):
        playbook_effectiveness(user=manager_maria, group_by="team")


def test_effectiveness_queries_do_not_grow_with_the_data(
    book, manager_maria, django_assert_max_num_queries
):
    for _ in range(2):
        with django_assert_max_num_queries(3):
            playbook_effectiveness(user=manager_maria)
        with django_assert_max_num_queries(3):
            playbook_effectiveness(user=manager_maria, group_by="rep", filters={"size": "medium"})


def test_the_after_run_task_refreshes_the_figures_of_the_current_run(no_library, rep_alice):
    from strategies.tasks import strategies_after_run

    pb = PlaybookFactory()
    customer = CustomerFactory(owner=rep_alice)
    EnrollmentFactory(customer=customer, playbook=pb, started_on=START)
    old = RunFactory(as_of=D(2026, 6, 1))
    strategies_after_run(run_id=old.pk)  # not the current run: figures untouched
    assert not PlaybookOutcome.objects.exists()
    run = RunFactory(as_of=AS_OF, is_current=True)
    assert strategies_after_run(run_id=run.pk)["outcomes"] == 1
    assert PlaybookOutcome.objects.get().customer_id == customer.pk


def test_command_recomputes_and_refuses_a_bad_date(book):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("strategies_outcomes", "--as-of", "2026-06-30", stdout=out)
    assert "as of 2026-06-30: 7 enrollments" in out.getvalue()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("strategies_outcomes", "--as-of", "30/06/2026")
    with pytest.raises(CommandError, match="no current run"):
        call_command("strategies_outcomes")


def test_customer_list_drills_into_one_number(client, book, manager_maria):
    from django.urls import reverse

    _pb, c = book
    client.force_login(manager_maria)
    url = reverse("customers:list")
    page = client.get(url, {"outcome": "test-dormant:30:kept:improved"}).content.decode()
    assert c["a"].name in page
    for other in "bcdei":
        assert c[other].name not in page
    page = client.get(url, {"outcome": "test-dormant:60:not_kept:all"}).content.decode()
    assert {k for k in "abcdefi" if c[k].name in page} == {"b", "d", "i"}  # f: other team


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("test-dormant:45:kept:all", "30, 60 or 90"),
        ("test-dormant:30:sometimes:all", "Steps must be"),
        ("test-dormant:30:kept:better", "The result must be"),
        ("no-such-playbook:30:kept:all", "Unknown playbook"),
        ("test-dormant:30", "Expected playbook:days:steps:result"),
    ],
)
def test_a_bad_outcome_filter_says_what_is_wrong(client, book, manager_maria, value, message):
    from django.urls import reverse

    client.force_login(manager_maria)
    with translation.override("en"):
        page = client.get(
            reverse("customers:list"), {"outcome": value}, HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    assert message in page
    assert book[1]["a"].name not in page  # nothing listed on a bad filter


def test_customer_list_by_playbook_followed(client, book, manager_maria):
    from django.urls import reverse

    _pb, c = book
    client.force_login(manager_maria)
    page = client.get(reverse("customers:list"), {"playbook": "test-dormant"}).content.decode()
    assert c["a"].name in page
    assert c["f"].name not in page  # other team


def test_an_unknown_playbook_filter_says_so(client, book, manager_maria):
    from django.urls import reverse

    client.force_login(manager_maria)
    with translation.override("en"):
        page = client.get(
            reverse("customers:list"), {"playbook": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    assert "Unknown playbook nope." in page
