"""#17 (one story): intent from contacts, past value and the lost-important list, the RFM
code migration. Run-level tests on a small book; the invariants are in test_invariants.py."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as global_apps
from django.urls import reverse
from django.utils import timezone, translation

from segmentation.models import ClassChange, CustomerClasses, Run
from segmentation.selectors import customer_classes_get
from segmentation.services import segmentation_run
from strategies.models import Playbook
from tests.customers.factories import ContactLogFactory, CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


def _at(days_ago: int) -> dt.datetime:
    day = AS_OF - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


def _prospect_with(*logs):
    customer = CustomerFactory()
    for days_ago, outcome, direction in logs:
        ContactLogFactory(
            customer=customer, occurred_at=_at(days_ago), outcome=outcome, direction=direction
        )
    return customer


def _row(run, customer):
    return CustomerClasses.objects.get(run=run, customer=customer)


def _reason(customer, dimension, language):
    with translation.override(language):
        data = customer_classes_get(customer_id=customer.pk)
    return next(c for c in data["classes"] if c.dimension == dimension)


def test_contacts_make_a_never_bought_customer_an_intent_customer():
    # Finding 1: two calls marked interested used to leave the prospect at "no interest".
    interested = _prospect_with((40, "reached", "outbound"), (12, "interested", "outbound"))
    follow_up = _prospect_with((30, "follow_up", "outbound"))
    inbound = _prospect_with((5, "reached", "inbound"))
    declined = _prospect_with((5, "not_interested", "outbound"), (6, "not_interested", "inbound"))
    stale = _prospect_with((181, "interested", "outbound"))
    form_only = CustomerFactory(interest_since=AS_OF - dt.timedelta(days=20))
    both = _prospect_with((3, "interested", "outbound"))
    both.interest_since = AS_OF - dt.timedelta(days=60)
    both.save()
    run = segmentation_run(as_of=AS_OF)

    got = {
        name: (_row(run, c).lifecycle, _row(run, c).lifecycle_why, _row(run, c).interest_days)
        for name, c in {
            "interested": interested,
            "follow_up": follow_up,
            "inbound": inbound,
            "declined": declined,
            "stale": stale,
            "form_only": form_only,
            "both": both,
        }.items()
    }
    assert got == {
        "interested": ("intent", "intent_interested", 12),
        "follow_up": ("intent", "intent_follow_up", 30),
        "inbound": ("intent", "intent_inbound", 5),
        "declined": ("prospect", "prospect", None),
        "stale": ("prospect", "prospect", None),  # outside the 180-day intent window
        "form_only": ("intent", "intent", 20),
        "both": ("intent", "intent_interested", 3),  # the freshest sign of interest wins
    }
    # The reason names the contact: its date and its outcome, in both languages.
    assert "2026-06-18" in _reason(interested, "lifecycle", "en").reason
    assert "interested" in _reason(interested, "lifecycle", "en").reason
    zh = _reason(interested, "lifecycle", "zh-hans")
    assert zh.label == "意向客户"
    assert "2026-06-18" in zh.reason
    assert "有意向" in zh.reason
    assert "客户主动咨询" in _reason(inbound, "lifecycle", "zh-hans").reason


def test_intent_metric_is_set_based(django_assert_max_num_queries):
    from segmentation.metrics import metrics_for_range
    from segmentation.rules import Rules

    for n in range(12):
        _prospect_with((n + 1, "interested", "outbound"), (n + 2, "reached", "inbound"))
    ids = list(CustomerFactory._meta.model.objects.values_list("pk", flat=True))
    with django_assert_max_num_queries(8):
        frame = metrics_for_range(lo=min(ids), hi=max(ids) + 1, as_of=AS_OF, rules=Rules())
    assert frame["interest_days"].notna().sum() == 12


def _buy(customer, days_ago, amount):
    TransactionFactory(
        customer=customer, date=AS_OF - dt.timedelta(days=days_ago), amount=Decimal(amount)
    )


@pytest.fixture
def history_book(db):
    """A former core customer now churned, a small churned buyer, and today's big buyers."""
    lost = CustomerFactory(name="Lost VIP")
    for days in (700, 720, 740, 760):  # all in 2024: its best year
        _buy(lost, days, "50000.00")
    _buy(lost, 1100, "150000.00")  # 2023: the peak is the best year, not the total
    small_lost = CustomerFactory(name="Small lost")
    _buy(small_lost, 600, "100.00")
    today = []
    for n in range(4):
        c = CustomerFactory(name=f"Buyer {n}")
        _buy(c, 10 + n, "60000.00" if n == 0 else "500.00")
        today.append(c)
    return {"lost": lost, "small_lost": small_lost, "today": today}


def test_past_value_keeps_a_lost_core_customer_visible(client, history_book, director_dora):
    # Finding 8: a churned former core customer showed only as "ordinary, revenue 0".
    run = segmentation_run(as_of=AS_OF)
    lost = _row(run, history_book["lost"])
    assert (lost.lifecycle, lost.value_tier) == ("churned", "ordinary")
    assert lost.peak_value == 200000.0
    assert lost.value_tier_peak == "core"
    assert _row(run, history_book["small_lost"]).value_tier_peak == "ordinary"
    zh = _reason(history_book["lost"], "value_tier_peak", "zh-hans")
    assert zh.label == "最佳期：核心客户"
    assert zh.reason.startswith("曾为核心客户")
    assert "流失客户" in zh.reason
    en = _reason(history_book["lost"], "value_tier_peak", "en")
    assert en.reason.startswith("formerly a core customer")

    # The win-back list: from the risk page to the customer list filter.
    client.force_login(director_dora)
    page = client.get(reverse("dashboards:risks"))
    url = page.context["data"]["lost_important_url"]
    assert "lost_important=yes" in url
    assert url in page.content.decode()
    listed = client.get(reverse("customers:list"), {"lost_important": "yes"})
    assert listed.status_code == 200
    pks = {c.pk for c in listed.context["customers"]}
    assert history_book["lost"].pk in pks
    assert history_book["small_lost"].pk not in pks
    assert not pks & {c.pk for c in history_book["today"]}


def test_migration_maps_old_rfm_codes_everywhere(history_book):
    migration = importlib.import_module("segmentation.migrations.0013_story_classes")
    run = segmentation_run(as_of=AS_OF)
    lost = history_book["lost"]
    # As the old code would have stored them.
    CustomerClasses.objects.filter(run=run, customer=lost).update(
        rfm_segment="hibernating", rfm_r="1", rfm_f="1", rfm_m="5", lifecycle="churned"
    )
    CustomerClasses.objects.filter(run=run, customer=history_book["today"][0]).update(
        rfm_segment="lost", rfm_r="1", rfm_f="1", rfm_m="1", lifecycle="repeat"
    )
    ClassChange.objects.create(
        run=run, customer=lost, dimension="rfm_segment", as_of=AS_OF,
        from_code="cant_lose", to_code="hibernating",
    )  # fmt: skip
    Run.objects.filter(pk=run.pk).update(
        counts={"rfm_segment": {"champions": 2, "loyal": 3, "lost": 1}, "lifecycle": {"new": 1}}
    )
    playbook = Playbook.objects.create(
        code="rfm-cant-lose", name_zh="x", name_en="x", goal_zh="x", goal_en="x",
        dimension="rfm_segment", class_code="cant_lose", cadence_days=30,
        service_level="priority",
    )  # fmt: skip

    migration.forward(global_apps, None)

    assert _row(run, lost).rfm_segment == "important_retain"  # recomputed from R 1 F 1 M 5
    # A recent repeat buyer is never in a win-back class, whatever its R quintile.
    assert _row(run, history_book["today"][0]).rfm_segment == "general_develop"
    change = ClassChange.objects.get(customer=lost, dimension="rfm_segment")
    assert (change.from_code, change.to_code) == ("important_keep", "general_retain")
    run.refresh_from_db()
    assert run.counts == {
        "rfm_segment": {"important_value": 5, "general_retain": 1},
        "lifecycle": {"new": 1},
    }
    playbook.refresh_from_db()
    assert playbook.class_code == "important_keep"


def test_reason_plurals_and_command_output_in_one_language():
    # Finding 11: "1 orders"; "已完成 · 26 customers · 0 changes".
    from io import StringIO

    from django.core.management import call_command

    from segmentation.reasons import reason_text
    from segmentation.rules import Rules

    with translation.override("en"):
        one = reason_text("frequency", "low", "orders", {"orders_window": 1.0}, Rules(), {})
        two = reason_text("frequency", "low", "orders", {"orders_window": 2.0}, Rules(), {})
    assert one.startswith("1 order in the last 365 days")
    assert two.startswith("2 orders in the last 365 days")

    CustomerFactory()
    out = StringIO()
    with translation.override("zh-hans"):
        call_command("segment", "--as-of", AS_OF.isoformat(), stdout=out, verbosity=0)
    assert "已完成 · 1 个客户 · 0 项分类变化 · 规则集 v" in out.getvalue()
    assert "customer" not in out.getvalue()
    out = StringIO()
    with translation.override("en"):
        next_day = (AS_OF + dt.timedelta(days=1)).isoformat()
        call_command("segment", "--as-of", next_day, stdout=out, verbosity=0)
    assert "1 customer · 0 changes · rule set v" in out.getvalue()
