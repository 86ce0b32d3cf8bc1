"""Custom dimensions end to end: versions, the nightly run (classes, reasons, history, pins),
the customer page, list filter, export columns, admin validation and preview."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import CustomerTag, TagDefinition, TagOption
from segmentation.custom.services import (
    custom_dimension_activate,
    custom_dimension_create,
    custom_dimension_new_draft,
    custom_dimension_preview,
    custom_dimension_retire,
)
from segmentation.dimensions import in_class_q
from segmentation.models import (
    ClassChange,
    ClassPin,
    CustomDimension,
    CustomDimensionStatus,
    CustomerClasses,
    Run,
)
from segmentation.selectors import (
    classes_for_export,
    customer_classes_get,
    customers_in_class,
    export_headers,
)
from segmentation.services import class_pin_set, segmentation_run
from tests.customers.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db

QUALITY_RULE = {
    "all": [
        {"field": "tag.need", "op": "=", "value": "quality"},
        {"field": "margin_pct", "op": ">=", "value": 30},
    ]
}


@pytest.fixture
def need_tag(db):
    tag = TagDefinition.objects.create(key="need", name_zh_hans="需求类型", name_en="need type")
    for i, (code, zh, en) in enumerate(
        [("cost", "成本敏感型", "cost-sensitive"), ("quality", "品质追求型", "quality-seeking")]
    ):
        TagOption.objects.create(tag=tag, code=code, label_zh_hans=zh, label_en=en, order=i)
    return tag


def _classes(quality_rule=QUALITY_RULE):
    return [
        {"code": "quality", "order": 1, "name_zh_hans": "品质追求型", "name_en": "Quality seeker",
         "rule": quality_rule},
        {"code": "heavy", "order": 2, "name_zh_hans": "大客户", "name_en": "Heavy buyer",
         "rule": {"field": "orders_window", "op": ">=", "value": 3}},
        {"code": "other", "order": 3, "name_zh_hans": "其他", "name_en": "Other",
         "rule": {}, "is_default": True},
    ]  # fmt: skip


def _dimension(actor=None, **kwargs):
    dim = custom_dimension_create(
        code="need", name_zh_hans="需求分类", name_en="Need class", classes=_classes(**kwargs),
        actor=actor,
    )  # fmt: skip
    return custom_dimension_activate(dimension=dim)


def _buyer(owner, days, amount="1000", cost="600", **kwargs):
    customer = CustomerFactory(owner=owner, **kwargs)
    today = timezone.localdate()
    for d in days:
        TransactionFactory(
            customer=customer,
            date=today - dt.timedelta(days=d),
            amount=Decimal(amount),
            cost=Decimal(cost),
        )
    return customer


@pytest.fixture
def book(rep_alice, need_tag):
    quality = _buyer(rep_alice, [5, 50], amount="1000", cost="600", name="品质客户")  # 40%
    CustomerTag.objects.create(customer=quality, tag=need_tag, value="quality")
    heavy = _buyer(rep_alice, [3, 20, 40, 60], cost="900", name="大买家")  # 10% margin
    quiet = _buyer(rep_alice, [400], name="安静客户")
    return {"quality": quality, "heavy": heavy, "quiet": quiet}


def _custom(run, customer):
    row = CustomerClasses.objects.get(run=run, customer=customer)
    return row.custom, row.custom_why


def test_run_computes_custom_classes_and_records_versions(book):
    dim = _dimension()
    run = segmentation_run(as_of=timezone.localdate())
    assert run.custom_versions == {"need": dim.pk}
    # Only pins are stored as a reason; rule or default follows from the class.
    assert _custom(run, book["quality"]) == ({"need": "quality"}, None)
    assert _custom(run, book["heavy"]) == ({"need": "heavy"}, None)
    assert _custom(run, book["quiet"]) == ({"need": "other"}, None)
    assert run.counts["custom_need"] == {"heavy": 1, "other": 1, "quality": 1}


def test_without_custom_dimensions_rows_stay_empty(book):
    run = segmentation_run(as_of=timezone.localdate())
    assert run.custom_versions == {}
    assert _custom(run, book["quality"]) == (None, None)


def test_history_pins_and_new_version(book, rep_alice, need_tag):
    today = timezone.localdate()
    _dimension()
    first = segmentation_run(as_of=today - dt.timedelta(days=1))
    assert not ClassChange.objects.filter(dimension="custom_need").exists()
    # The tag changes, and a pin puts the quiet customer into "heavy".
    CustomerTag.objects.filter(customer=book["quality"]).update(value="cost")
    class_pin_set(
        actor=rep_alice, customer_id=book["quiet"].pk, dimension="custom_need", code="heavy",
        reason="大单在谈", expires_on=today + dt.timedelta(days=30),
    )  # fmt: skip
    second = segmentation_run(as_of=today)
    assert _custom(second, book["quality"]) == ({"need": "other"}, None)
    assert _custom(second, book["quiet"]) == ({"need": "heavy"}, {"need": "p"})
    changes = {
        (c.customer_id, c.from_code, c.to_code)
        for c in ClassChange.objects.filter(run=second, dimension="custom_need")
    }
    assert changes == {
        (book["quality"].pk, "quality", "other"),
        (book["quiet"].pk, "other", "heavy"),
    }
    assert first.custom_versions == second.custom_versions


def test_pin_of_an_unknown_custom_class_is_refused(book, rep_alice):
    _dimension()
    with pytest.raises(ValidationError) as info:
        class_pin_set(
            actor=rep_alice, customer_id=book["quiet"].pk, dimension="custom_need", code="vip",
            reason="x", expires_on=timezone.localdate() + dt.timedelta(days=3),
        )  # fmt: skip
    assert "vip" in str(info.value)
    assert not ClassPin.objects.exists()


def test_versions_draft_activate_retire(need_tag):
    first = _dimension()
    draft = custom_dimension_new_draft(source=first)
    assert (draft.version, draft.status, draft.based_on_id) == (2, "draft", first.pk)
    assert draft.classes.count() == 3
    custom_dimension_activate(dimension=draft)
    first.refresh_from_db()
    draft.refresh_from_db()
    assert first.status == CustomDimensionStatus.RETIRED
    assert draft.status == CustomDimensionStatus.ACTIVE
    with pytest.raises(ValidationError):
        custom_dimension_activate(dimension=first)  # only drafts
    custom_dimension_retire(dimension=draft)
    assert not CustomDimension.objects.filter(status="active").exists()


def test_invalid_rule_is_refused_with_the_condition_named(need_tag):
    bad = {"all": [{"field": "margin_pct", "op": ">=", "value": 30},
                   {"field": "revnue", "op": ">", "value": 1}]}  # fmt: skip
    with translation.override("en"), pytest.raises(ValidationError) as info:
        custom_dimension_create(
            code="need", name_zh_hans="x", name_en="x", classes=_classes(quality_rule=bad)
        )
    assert "class “quality”, condition 2: unknown field “revnue”" in " ".join(info.value.messages)
    assert not CustomDimension.objects.exists()


def test_customer_page_reason_in_both_languages(book):
    _dimension()
    segmentation_run(as_of=timezone.localdate())
    for lang, label, fragment in (
        ("en", "Quality seeker", "need type: quality-seeking; margin 40% ≥ 30%"),
        ("zh-hans", "品质追求型", "需求类型: 品质追求型; 毛利率 40% ≥ 30%"),
    ):
        with translation.override(lang):
            data = customer_classes_get(customer_id=book["quality"].pk)
            view = next(c for c in data["classes"] if c.dimension == "custom_need")
            assert view.label == label
            assert view.reason == fragment


def _reason(customer_id: int) -> str:
    with translation.override("en"):
        data = customer_classes_get(customer_id=customer_id)
    return next(c for c in data["classes"] if c.dimension == "custom_need").reason


def test_reasons_of_the_default_class_a_rule_and_a_pin(book, rep_alice):
    today = timezone.localdate()
    _dimension()
    class_pin_set(
        actor=rep_alice, customer_id=book["quiet"].pk, dimension="custom_need", code="heavy",
        reason="大单在谈", expires_on=today + dt.timedelta(days=30),
    )  # fmt: skip
    segmentation_run(as_of=today)
    assert _reason(book["heavy"].pk) == "orders in window 4 ≥ 3"
    assert "set by hand" in _reason(book["quiet"].pk)
    ClassPin.objects.all().delete()
    segmentation_run(as_of=today, force=True)
    assert "default class" in _reason(book["quiet"].pk)


def test_rows_that_stored_every_reason_read_the_same(book):
    """Runs before reasons were stored only for pins wrote "r"/"d" for every dimension."""
    _dimension()
    run = segmentation_run(as_of=timezone.localdate())
    CustomerClasses.objects.filter(run=run, customer=book["quiet"]).update(custom_why={"need": "d"})
    CustomerClasses.objects.filter(run=run, customer=book["heavy"]).update(custom_why={"need": "r"})
    assert "default class" in _reason(book["quiet"].pk)
    assert _reason(book["heavy"].pk) == "orders in window 4 ≥ 3"


def test_list_filter_and_export(client, rep_alice, book):
    _dimension()
    segmentation_run(as_of=timezone.localdate())
    client.force_login(rep_alice)
    response = client.get(reverse("customers:list"), {"in_class": "custom_need:heavy"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "大买家" in body
    assert "品质客户" not in body
    from customers.models import Customer

    ids = customers_in_class(Customer.objects.all(), dimension="custom_need", code="quality")
    assert list(ids.values_list("pk", flat=True)) == [book["quality"].pk]
    headers = export_headers()
    assert "custom_need" in headers
    exported = classes_for_export([book["quality"].pk, book["quiet"].pk])
    column = headers.index("custom_need")
    assert {cid: row[column] for cid, row in exported.items()} == {
        book["quality"].pk: "quality",
        book["quiet"].pk: "other",
    }


def test_export_file_has_the_custom_column(rep_alice, book):
    from customers.exporting import customer_export_headers

    _dimension()
    segmentation_run(as_of=timezone.localdate())
    assert "custom_need" in customer_export_headers()


def test_preview_counts_and_samples(book):
    segmentation_run(as_of=timezone.localdate())
    draft = custom_dimension_create(
        code="need", name_zh_hans="需求分类", name_en="Need class", classes=_classes()
    )
    result = custom_dimension_preview(dimension=draft)
    by_code = {c["code"]: c for c in result["classes"]}
    assert result["customers"] == 3
    assert {k: v["count"] for k, v in by_code.items()} == {"quality": 1, "heavy": 1, "other": 1}
    assert by_code["heavy"]["sample"] == [(book["heavy"].pk, "大买家")]
    draft.refresh_from_db()
    assert draft.status == CustomDimensionStatus.DRAFT  # nothing written


def test_admin_add_with_a_bad_rule_names_the_condition(client, admin_ada, need_tag):
    client.force_login(admin_ada)
    data = {
        "code": "need", "name_zh_hans": "需求", "name_en": "Need", "description": "",
        "classes-TOTAL_FORMS": "2", "classes-INITIAL_FORMS": "0",
        "classes-MIN_NUM_FORMS": "0", "classes-MAX_NUM_FORMS": "1000",
        "classes-0-order": "1", "classes-0-code": "quality", "classes-0-name_zh_hans": "品质",
        "classes-0-name_en": "Quality",
        "classes-0-rule": '{"field": "margin_pct", "op": "between", "value": [50, 20]}',
        "classes-1-order": "2", "classes-1-code": "other", "classes-1-name_zh_hans": "其他",
        "classes-1-name_en": "Other", "classes-1-is_default": "on", "classes-1-rule": "",
    }  # fmt: skip
    with translation.override("en"):
        response = client.post(
            reverse("admin:segmentation_customdimension_add"), data, HTTP_ACCEPT_LANGUAGE="en"
        )
    body = response.content.decode()
    assert response.status_code == 200
    assert "impossible range for margin_pct" in body
    assert not CustomDimension.objects.exists()
    data["classes-0-rule"] = '{"field": "margin_pct", "op": "between", "value": [20, 50]}'
    response = client.post(reverse("admin:segmentation_customdimension_add"), data)
    assert response.status_code == 302
    dim = CustomDimension.objects.get()
    assert (dim.version, dim.status, dim.classes.count()) == (1, "draft", 2)


def test_admin_preview_page_and_used_versions_are_read_only(client, admin_ada, book):
    dim = _dimension()
    segmentation_run(as_of=timezone.localdate())
    client.force_login(admin_ada)
    response = client.get(reverse("admin:segmentation_customdimension_preview", args=[dim.pk]))
    assert response.status_code == 200
    assert "大买家" in response.content.decode()
    change = client.get(reverse("admin:segmentation_customdimension_change", args=[dim.pk]))
    assert change.status_code == 200
    assert 'name="name_en"' not in change.content.decode()  # active: view only


def test_run_is_current_and_reads_custom_for_strategies(book):
    _dimension()
    run = segmentation_run(as_of=timezone.localdate())
    rows = CustomerClasses.objects.filter(in_class_q("custom_need", "heavy"), run=run)
    assert list(rows.values_list("customer_id", flat=True)) == [book["heavy"].pk]
    assert Run.objects.get(is_current=True) == run


def test_customer_new_since_the_baseline_enters_from_no_class(book, rep_alice):
    """On PostgreSQL the history is written by COPY: "" must stay "" (not NULL)."""
    today = timezone.localdate()
    _dimension()
    segmentation_run(as_of=today - dt.timedelta(days=1))
    newcomer = _buyer(rep_alice, [0], name="新来的")
    second = segmentation_run(as_of=today)
    changes = ClassChange.objects.filter(run=second, customer=newcomer)
    assert {(c.dimension, c.from_code) for c in changes} >= {
        ("custom_need", ""),
        ("lifecycle", ""),
    }


def test_a_dimension_broken_after_activation_is_skipped_not_fatal(book, need_tag):
    _dimension()
    need_tag.active = False  # the rule reads tag.need, which no longer exists for rules
    need_tag.save()
    run = segmentation_run(as_of=timezone.localdate())
    assert run.status == "succeeded"
    assert run.custom_versions == {}
    assert _custom(run, book["quality"]) == (None, None)


def test_customer_panel_queries_do_not_grow_with_dimensions(
    book, django_assert_max_num_queries, need_tag
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _dimension()
    segmentation_run(as_of=timezone.localdate())
    with CaptureQueriesContext(connection) as one:
        customer_classes_get(customer_id=book["quality"].pk)
    for code in ("band", "size"):
        dim = custom_dimension_create(
            code=code, name_zh_hans=code, name_en=code, classes=_classes()
        )
        custom_dimension_activate(dimension=dim)
    segmentation_run(as_of=timezone.localdate(), force=True)
    with django_assert_max_num_queries(len(one.captured_queries)):
        data = customer_classes_get(customer_id=book["quality"].pk)
    assert {c.dimension for c in data["classes"]} >= {"custom_need", "custom_band", "custom_size"}
