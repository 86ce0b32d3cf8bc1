"""Playbooks on custom classes: the admin form offers and validates them, entering the class
in a run (or a backfill) enrols the customer and dates the steps on the owner's list."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from segmentation.custom.services import custom_dimension_activate, custom_dimension_create
from segmentation.services import segmentation_run
from strategies.forms import PlaybookAdminForm, class_code_choices
from strategies.models import Enrollment, Task
from strategies.services import strategies_generate
from tests.customers.factories import CustomerFactory, TransactionFactory
from tests.strategies.factories import PlaybookFactory, StepFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def big_dimension(db):
    dim = custom_dimension_create(
        code="spend",
        name_zh_hans="消费档",
        name_en="Spend band",
        classes=[
            {"code": "big", "order": 1, "name_zh_hans": "大额", "name_en": "Big",
             "rule": {"field": "revenue_window", "op": ">=", "value": 5000}},
            {"code": "small", "order": 2, "name_zh_hans": "小额", "name_en": "Small",
             "rule": {}, "is_default": True},
        ],
    )  # fmt: skip
    return custom_dimension_activate(dimension=dim)


def _buy(customer, days_ago, amount):
    TransactionFactory(
        customer=customer, date=AS_OF - dt.timedelta(days=days_ago), amount=Decimal(amount)
    )


def test_admin_form_offers_and_accepts_custom_classes(big_dimension, no_library):
    with translation.override("en"):
        groups = dict(class_code_choices())
    assert groups["Spend band"] == [("custom_spend:big", "Big"), ("custom_spend:small", "Small")]
    data = {
        "code": "big-care", "name_zh": "大额关怀", "name_en": "Big care", "goal_zh": "留住",
        "goal_en": "Keep", "priority": 60, "cadence_days": 14, "service_level": "priority",
        "target": "custom_spend:big", "active": True,
    }  # fmt: skip
    form = PlaybookAdminForm(data=data)
    assert form.is_valid(), form.errors
    playbook = form.save()
    assert (playbook.dimension, playbook.class_code) == ("custom_spend", "big")
    bad = PlaybookAdminForm(data={**data, "code": "x", "target": "custom_spend:huge"})
    assert not bad.is_valid()
    assert "target" in bad.errors


def test_entering_a_custom_class_creates_tasks(big_dimension, no_library, rep_alice):
    playbook = PlaybookFactory(dimension="custom_spend", class_code="big", priority=90)
    StepFactory(playbook=playbook, order=1, day_offset=2, kind="call")
    grower = CustomerFactory(owner=rep_alice)
    _buy(grower, 40, "1000")
    already = CustomerFactory(owner=rep_alice)
    _buy(already, 60, "9000")
    first = segmentation_run(as_of=AS_OF - dt.timedelta(days=30))
    backfill = strategies_generate(run_id=first.pk, backfill=True)
    assert backfill.enrolled == 1  # the customer already in "big" on the first run
    assert Enrollment.objects.get().customer == already

    _buy(grower, 3, "8000")  # now big
    second = segmentation_run(as_of=AS_OF)
    result = strategies_generate(run_id=second.pk)
    assert result.enrolled == 1
    task = Task.objects.get(customer=grower)
    assert task.owner == rep_alice
    assert task.due_on == AS_OF + dt.timedelta(days=2)
