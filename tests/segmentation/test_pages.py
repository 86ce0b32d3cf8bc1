"""Segmentation on the pages: the customer page panel (classes, reasons, pins, history), pin
views per persona, list filters, export columns and the admin."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from segmentation.models import ClassPin, Run, RunStatus
from segmentation.selectors import classes_for_export, customer_classes_get
from segmentation.services import segmentation_run
from tests.conftest import PERSONAS, SEES_ALICE
from tests.customers.factories import CustomerFactory, TransactionFactory
from tests.segmentation.factories import ClassPinFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def classified(rep_alice):
    """alice's customer, dormant: last purchase 142 days before the run."""
    today = timezone.localdate()
    customer = CustomerFactory(owner=rep_alice, name="华星机械")
    for days in (142, 300):
        TransactionFactory(
            customer=customer, date=today - dt.timedelta(days=days), amount=Decimal("800")
        )
    segmentation_run(as_of=today)
    return customer


def test_reason_renders_in_the_viewers_language(classified):
    for language, word, fragment in (
        ("en", "Dormant", "last purchase 142 days ago, threshold 120"),
        ("zh-hans", "休眠", "最近一次购买在142天前，阈值120天"),
    ):
        with translation.override(language):
            data = customer_classes_get(customer_id=classified.pk)
            lifecycle = next(c for c in data["classes"] if c.dimension == "lifecycle")
            assert lifecycle.label.startswith(word)
            assert fragment in lifecycle.reason, lifecycle.reason


def test_panel_query_count_does_not_grow_with_history(
    classified, rep_alice, django_assert_max_num_queries
):
    run = Run.objects.get(is_current=True)
    from segmentation.models import ClassChange

    ClassChange.objects.bulk_create(
        ClassChange(
            customer=classified,
            dimension="lifecycle",
            from_code="new",
            to_code="repeat",
            run=run,
            as_of=run.as_of,
        )
        for _ in range(30)
    )
    ClassPinFactory(customer=classified, created_by=rep_alice)
    request = RequestFactory().get("/")
    request.user = rep_alice
    template = Template("{% load segmentation_tags %}{% customer_classes customer %}")
    with django_assert_max_num_queries(5):
        html = template.render(Context({"customer": classified, "request": request}))
    assert "Key account" in html or "pinned" in html.lower() or "固定" in html


@pytest.mark.parametrize("persona", PERSONAS)
def test_customer_page_shows_classes_to_those_who_see_the_customer(
    client, personas, classified, persona
):
    client.force_login(personas[persona])
    with translation.override("en"):
        response = client.get(reverse("customers:detail", args=[classified.pk]))
    if persona in SEES_ALICE:
        assert response.status_code == 200
        body = response.content.decode()
        assert "seg-classes" in body
        assert "seg-lifecycle-dormant" in body
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_pin_per_persona(client, personas, classified, persona):
    client.force_login(personas[persona])
    url = reverse("segmentation:pin_create", args=[classified.pk])
    until = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    response = client.post(
        url, {"target": "lifecycle:loyal", "reason": "Seasonal buyer", "expires_on": until}
    )
    if persona in SEES_ALICE:
        assert response.status_code == 302
        pin = ClassPin.objects.get(customer=classified)
        assert (pin.dimension, pin.code, pin.created_by) == (
            "lifecycle",
            "loyal",
            personas[persona],
        )
    else:
        assert response.status_code == 404
        assert not ClassPin.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"target": "lifecycle:nonsense", "reason": "x"}, "Class"),
        ({"target": "lifecycle:loyal", "reason": ""}, "Reason"),
        ({"target": "lifecycle:loyal", "reason": "x", "expires_on": "2000-01-01"}, "after today"),
        ({"target": "lifecycle:loyal", "reason": "x", "expires_on": "2099-01-01"}, "at most"),
    ],
)
def test_bad_pins_are_refused_with_a_clear_message(client, rep_alice, classified, data, message):
    client.force_login(rep_alice)
    data.setdefault("expires_on", (timezone.localdate() + dt.timedelta(days=5)).isoformat())
    with translation.override("en"):
        response = client.post(
            reverse("segmentation:pin_create", args=[classified.pk]),
            data,
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert not ClassPin.objects.exists()
    texts = [str(m) for m in response.context["messages"]]
    assert any(message in t for t in texts), texts


def test_pin_removal_is_scoped(client, personas, classified):
    pin = ClassPinFactory(customer=classified)
    client.force_login(personas["rep_bob_other_team"])
    url = reverse("segmentation:pin_delete", args=[classified.pk, pin.pk])
    assert client.post(url).status_code == 404
    assert ClassPin.objects.filter(pk=pin.pk).exists()
    client.force_login(personas["rep_alice"])
    assert client.post(url).status_code == 302
    assert not ClassPin.objects.filter(pk=pin.pk).exists()


def test_customer_list_filters_by_class(client, rep_alice, classified):
    other = CustomerFactory(owner=rep_alice, name="新客户甲")
    TransactionFactory(customer=other, date=timezone.localdate() - dt.timedelta(days=3))
    segmentation_run(as_of=timezone.localdate(), force=True)
    client.force_login(rep_alice)
    response = client.get(reverse("customers:list"), {"lifecycle": "dormant"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "华星机械" in body
    assert "新客户甲" not in body


def test_export_columns_come_from_the_current_run(classified):
    row = classes_for_export([classified.pk])[classified.pk]
    from segmentation.selectors import export_headers

    values = dict(zip(export_headers(), row, strict=True))
    assert values["lifecycle"] == "dormant"
    assert values["recency_days"] == 142
    assert values["rfm_segment"]
    assert classes_for_export([-1]) == {}


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:segmentation_ruleset_changelist",
        "admin:segmentation_run_changelist",
        "admin:segmentation_customerclasses_changelist",
        "admin:segmentation_classchange_changelist",
        "admin:segmentation_classpin_changelist",
    ],
)
def test_admin_lists_render(client, admin_ada, classified, url_name):
    client.force_login(admin_ada)
    assert client.get(reverse(url_name)).status_code == 200


def test_admin_classes_detail_shows_reasons(client, admin_ada, classified):
    from segmentation.models import CustomerClasses

    row = CustomerClasses.objects.get(customer=classified, run__is_current=True)
    client.force_login(admin_ada)
    with translation.override("en"):
        response = client.get(
            reverse("admin:segmentation_customerclasses_change", args=[row.pk]),
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert "threshold 120" in response.content.decode()


def test_admin_edit_of_a_rule_set_creates_a_new_version(client, admin_ada):
    from segmentation.models import RuleSet
    from segmentation.rules import RULE_FIELDS

    v1 = RuleSet.objects.get(is_active=True)
    # An optional threshold left empty (None) is posted as an empty field.
    data = {f: "" if getattr(v1, f) is None else getattr(v1, f) for f in RULE_FIELDS}
    data.update(name="Default", note="shorter dormancy", dormant_days=90)
    client.force_login(admin_ada)
    response = client.post(reverse("admin:segmentation_ruleset_change", args=[v1.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    v1.refresh_from_db()
    v2 = RuleSet.objects.get(version=2)
    assert (v1.dormant_days, v2.dormant_days, v2.is_active, v2.based_on) == (120, 90, False, v1)
    # …and a bad edit is refused with the reason, storing nothing.
    data.update(dormant_days=400)
    with translation.override("en"):
        response = client.post(
            reverse("admin:segmentation_ruleset_change", args=[v1.pk]),
            data,
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert "must be shorter than" in response.content.decode()
    assert RuleSet.objects.count() == 2


def test_admin_preview_and_activate(client, admin_ada, classified):
    from segmentation.models import RuleSet
    from segmentation.services import ruleset_preview, ruleset_save_version

    draft = ruleset_save_version(data={"dormant_days": 150})
    preview = ruleset_preview(rule_set=draft)
    assert preview["dimensions"]["lifecycle"]["moved"] == 1  # 142 days: dormant → repeat
    assert preview["dimensions"]["lifecycle"]["top"] == [(("dormant", "repeat"), 1)]
    client.force_login(admin_ada)
    changelist = reverse("admin:segmentation_ruleset_changelist")
    response = client.post(
        changelist, {"action": "activate", "_selected_action": [draft.pk]}, follow=True
    )
    assert response.status_code == 200
    assert RuleSet.objects.get(is_active=True) == draft


def test_run_now_is_for_admins_only(client, admin_ada, manager_maria, classified):
    url = reverse("admin:segmentation_run_now")
    client.force_login(manager_maria)
    assert client.post(url).status_code in (302, 403)
    assert Run.objects.get(as_of=timezone.localdate()).attempts == 1  # the fixture's run only
    client.force_login(admin_ada)
    with translation.override("en"):
        response = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain[-1][0].endswith(reverse("admin:segmentation_run_changelist"))
    # Eager Celery (no broker): the run happened in the request and the message says so.
    run = Run.objects.get(as_of=timezone.localdate())
    assert (run.status, run.attempts) == (RunStatus.SUCCEEDED, 2)
    page = response.content.decode()
    assert f"The run as of {run.as_of} finished" in page
    assert f"{run.customers_total} customers" in page


def test_admin_pin_form_refuses_a_class_of_another_dimension(client, admin_ada, classified):
    client.force_login(admin_ada)
    until = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    data = {
        "customer": classified.pk,
        "dimension": "lifecycle",
        "code": "star",
        "reason": "test",
        "expires_on": until,
    }
    with translation.override("en"):
        response = client.post(
            reverse("admin:segmentation_classpin_add"), data, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 200
    assert "is not a class of" in response.content.decode()
    assert not ClassPin.objects.exists()
    data["code"] = "loyal"
    response = client.post(reverse("admin:segmentation_classpin_add"), data)
    assert response.status_code == 302
    assert ClassPin.objects.get().created_by == admin_ada
