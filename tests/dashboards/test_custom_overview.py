"""Custom dimensions on the dashboards: the run's aggregates include them, the overview shows
them (aggregate and live paths) and their drill-down lands on the custom class filter."""

import pytest
from django.urls import reverse

from segmentation.custom.services import custom_dimension_activate, custom_dimension_create
from segmentation.models import ClassAggregate
from segmentation.services import segmentation_run
from tests.dashboards.conftest import SECOND

pytestmark = pytest.mark.django_db
URL = reverse("dashboards:overview")


@pytest.fixture
def with_custom(book):
    dim = custom_dimension_create(
        code="buyer",
        name_zh_hans="买家类型",
        name_en="Buyer type",
        classes=[
            {"code": "big", "order": 1, "name_zh_hans": "大买家", "name_en": "Big buyer",
             "rule": {"field": "revenue_window", "op": ">=", "value": 20000}},
            {"code": "rest", "order": 2, "name_zh_hans": "其他", "name_en": "Rest",
             "rule": {}, "is_default": True},
        ],
    )  # fmt: skip
    custom_dimension_activate(dimension=dim)
    run = segmentation_run(as_of=SECOND, force=True)
    return {**book, "second": run}


def _custom(response):
    dims = response.context["data"]["dimensions"]
    return next(d for d in dims if d["dimension"] == "custom_buyer")


def test_aggregates_include_custom_dimensions(with_custom):
    rows = dict(
        ClassAggregate.objects.filter(
            run=with_custom["second"], grain="all", dimension="custom_buyer"
        ).values_list("code", "customers")
    )
    # alice's and bob's loyal buyers spent ≥ 20,000 in the window.
    assert rows == {"big": 2, "rest": 5}


def test_aggregates_of_several_custom_dimensions_match_the_rows(with_custom):
    """Each custom dimension's column is cut from the one JSON text read per customer: with
    two dimensions (and the built-in ones between), every team's counts match the rows."""
    from collections import Counter

    from segmentation.models import CustomerClasses

    dim = custom_dimension_create(
        code="area",
        name_zh_hans="地区",
        name_en="Area",
        classes=[
            {"code": "east", "order": 1, "name_zh_hans": "东部", "name_en": "East",
             "rule": {"field": "region", "op": "=", "value": "east"}},
            {"code": "elsewhere", "order": 2, "name_zh_hans": "其他", "name_en": "Elsewhere",
             "rule": {}, "is_default": True},
        ],
    )  # fmt: skip
    custom_dimension_activate(dimension=dim)
    run = segmentation_run(as_of=SECOND, force=True)
    for code in ("area", "buyer"):
        direct = Counter(
            (cc.customer.team_id, cc.custom[code])
            for cc in CustomerClasses.objects.filter(run=run).select_related("customer")
        )
        stored = {
            (a.team_id, a.code): a.customers
            for a in ClassAggregate.objects.filter(
                run=run, grain="team", dimension=f"custom_{code}"
            )
        }
        assert stored == dict(direct)
        assert len(direct) >= 2


def test_overview_shows_custom_dimension_with_drill_down(client, with_custom, manager_maria):
    client.force_login(manager_maria)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    custom = _custom(response)
    rows = {r["code"]: r for r in custom["rows"]}
    assert rows["big"]["customers"] == 1  # team A only
    listing = client.get(rows["big"]["url"])
    assert {c.pk for c in listing.context["customers"]} == {
        with_custom["customers"]["alice_loyal"].pk
    }


def test_overview_live_path_for_a_rep_and_attribute(client, with_custom, manager_maria, rep_alice):
    client.force_login(manager_maria)
    response = client.get(URL, {"owner": rep_alice.pk, "industry": "manufacturing"})
    rows = {r["code"]: r["customers"] for r in _custom(response)["rows"]}
    assert rows.get("big") == 1


def test_aggregates_read_by_hash_and_by_text_agree(with_custom, monkeypatch):
    """On PostgreSQL the run's custom documents are read as jsonb_hash numbers and mapped back
    through the distinct documents; the plain text read (SQLite, or a hash collision) must
    give the same aggregates."""
    from segmentation import aggregates

    run = with_custom["second"]

    def rows():
        return sorted(
            ClassAggregate.objects.filter(run=run, dimension="custom_buyer").values_list(
                "grain", "code", "team_id", "owner_id", "customers"
            ),
            key=str,
        )

    first = rows()
    assert first
    monkeypatch.setattr(aggregates, "json_document_hashes", lambda table, run: None)
    aggregates.aggregates_write(run)
    assert rows() == first


def test_hashes_map_back_to_documents():
    import pandas as pd

    from segmentation.dimensions.rows import hashes_to_texts

    hashes = pd.Series(["11", "", "22", "11", "33"], index=[5, 6, 7, 8, 9]).astype("category")
    out = hashes_to_texts(hashes, {"11": '{"a": "x"}', "22": '{"a": "y"}'})
    # NULL documents and (never expected) unknown hashes both become "".
    assert list(out) == ['{"a": "x"}', "", '{"a": "y"}', '{"a": "x"}', ""]
    assert list(out.index) == [5, 6, 7, 8, 9]
