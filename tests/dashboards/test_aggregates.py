"""The run's aggregates agree with a direct count over CustomerClasses (parity), per grain."""

from collections import Counter, defaultdict

import pytest

from segmentation.aggregates import aggregates_backfill, runs_missing_aggregates
from segmentation.models import (
    DIMENSIONS,
    ClassAggregate,
    ClassChange,
    CustomerClasses,
    ParetoCurve,
    TransitionAggregate,
)

pytestmark = pytest.mark.django_db


def _direct(run, key):
    """{(dimension, code, key(customer)): (customers, revenue_window)} straight from the rows."""
    out = defaultdict(lambda: [0, 0.0])
    for cc in CustomerClasses.objects.filter(run=run).select_related("customer"):
        for dim in DIMENSIONS:
            cell = out[(dim, getattr(cc, dim), key(cc.customer))]
            cell[0] += 1
            cell[1] += cc.revenue_window or 0
    return {k: (n, round(r, 2)) for k, (n, r) in out.items()}


def _stored(run, grain, key):
    out = {}
    for a in ClassAggregate.objects.filter(run=run, grain=grain, dimension__in=DIMENSIONS):
        out[(a.dimension, a.code, key(a))] = (a.customers, round(a.revenue_window, 2))
    return out


@pytest.mark.parametrize(
    ("grain", "customer_key", "aggregate_key"),
    [
        ("all", lambda c: None, lambda a: None),
        ("team", lambda c: c.team_id, lambda a: a.team_id),
        ("owner", lambda c: (c.team_id, c.owner_id), lambda a: (a.team_id, a.owner_id)),
        (
            "attrs",
            lambda c: (c.team_id, c.industry, c.region, c.size, c.kind),
            lambda a: (a.team_id, a.industry, a.region, a.size, a.kind),
        ),
    ],
)
def test_class_aggregates_match_a_direct_count(book, grain, customer_key, aggregate_key):
    run = book["second"]
    assert _stored(run, grain, aggregate_key) == _direct(run, customer_key)


def test_pair_dimensions_count_each_customer_once(book):
    run = book["second"]
    rf = ClassAggregate.objects.filter(run=run, grain="all", dimension="rfm_rf")
    direct = Counter(
        f"{r}|{f}" for r, f in CustomerClasses.objects.filter(run=run).values_list("rfm_r", "rfm_f")
    )
    assert {a.code: a.customers for a in rf} == dict(direct)
    vp = ClassAggregate.objects.filter(run=run, grain="all", dimension="value_x_potential")
    assert sum(a.customers for a in vp) == 7


def test_transitions_match_the_class_changes(book):
    run = book["second"]
    direct = Counter(
        ClassChange.objects.filter(run=run).values_list("dimension", "from_code", "to_code")
    )
    assert direct, "the second run must record some changes"
    stored = {
        (t.dimension, t.from_code, t.to_code): t.customers
        for t in TransitionAggregate.objects.filter(run=run, grain="all")
    }
    assert stored == dict(direct)
    assert ("lifecycle", "new", "repeat") in stored
    owner = TransitionAggregate.objects.filter(run=run, grain="owner")
    assert sum(t.customers for t in owner) == sum(direct.values())


def test_pareto_curve_ends_at_everything(book):
    run = book["second"]
    whole = ParetoCurve.objects.get(run=run, grain="all")
    buyers = CustomerClasses.objects.filter(run=run, revenue_window__gt=0).count()
    assert whole.customers == buyers
    assert whole.points[0] == [0.0, 0.0]
    assert whole.points[-1] == [100.0, 100.0]
    ys = [p[1] for p in whole.points]
    assert ys == sorted(ys)
    # The biggest buyer (alice's loyal customer, 7 × 9,000 in window) comes first.
    top = CustomerClasses.objects.filter(run=run).order_by("-revenue_window").first()
    assert whole.points[1][1] == pytest.approx(100 * top.revenue_window / whole.revenue, abs=0.01)
    teams = ParetoCurve.objects.filter(run=run, grain="team")
    assert sum(c.customers for c in teams) == buyers


def test_backfill_rebuilds_full_or_partial(book):
    first, second = book["first"], book["second"]
    ClassAggregate.objects.all().delete()
    TransitionAggregate.objects.all().delete()
    assert set(runs_missing_aggregates()) == {first, second}
    assert aggregates_backfill(second) == "full"
    # The first run's rows are still kept (baseline of the current run): full as well.
    assert aggregates_backfill(first) == "full"
    CustomerClasses.objects.filter(run=first).delete()
    assert aggregates_backfill(first) == "partial"
    lifecycle = ClassAggregate.objects.filter(run=first, dimension="lifecycle")
    assert {a.grain for a in lifecycle} == {"all"}
    assert sum(a.customers for a in lifecycle) == 7
    assert not list(runs_missing_aggregates())
