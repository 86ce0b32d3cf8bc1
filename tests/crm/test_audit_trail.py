"""Audit trail: who changed a customer's owner, a rule set, a pin, a playbook and its steps,
and when, visible in admin (django-simple-history). Bulk paths write no per-row history."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from segmentation.models import ClassPin, RuleSet
from strategies.models import Playbook, PlaybookStep
from tests.customers.factories import CustomerFactory
from tests.segmentation.factories import ClassPinFactory

pytestmark = pytest.mark.django_db


class _FormScraper(HTMLParser):
    """The values a browser would submit for the first POST form of an admin page."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(
                a.get("value") or ("on" if kind == "checkbox" else "")
            )
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data


def admin_form_data(html: str) -> dict[str, list[str]]:
    scraper = _FormScraper()
    scraper.feed(html)
    return {k: v for k, v in scraper.data.items() if v}


def test_owner_change_is_recorded_with_who_and_when(client, manager_maria, rep_alice, rep_amy):
    customer = CustomerFactory(owner=rep_alice)
    client.force_login(manager_maria)
    form = client.get(reverse("customers:edit", args=[customer.pk]))
    data = admin_form_data(form.text)
    data["owner"] = [str(rep_amy.pk)]
    response = client.post(reverse("customers:edit", args=[customer.pk]), data)
    assert response.status_code == 302, response.text[:2000]
    latest = Customer.history.filter(id=customer.pk).latest("history_date")
    assert latest.owner_id == rep_amy.pk
    assert latest.history_user == manager_maria
    assert latest.prev_record.owner_id == rep_alice.pk
    assert latest.history_date is not None
    # No personal data in the history table.
    assert not hasattr(latest, "phone")
    assert not hasattr(latest, "name")


def test_customer_history_is_visible_in_admin(client, admin_ada, manager_maria, rep_alice, rep_amy):
    customer = CustomerFactory(owner=rep_alice)
    client.force_login(manager_maria)
    data = admin_form_data(client.get(reverse("customers:edit", args=[customer.pk])).text)
    data["owner"] = [str(rep_amy.pk)]
    client.post(reverse("customers:edit", args=[customer.pk]), data)
    client.force_login(admin_ada)
    page = client.get(reverse("admin:customers_customer_history", args=[customer.pk]))
    assert page.status_code == 200
    assert "manager_maria" in page.text
    assert rep_amy.display_name in page.text  # the new owner, shown in the changes column
    # The strict CSP blocks style attributes; the history template must not use one.
    assert 'class="paginator"' in page.text
    assert " style=" not in page.text


def test_pin_set_and_removed_are_recorded(client, rep_alice):
    customer = CustomerFactory(owner=rep_alice)
    until = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    client.force_login(rep_alice)
    client.post(
        reverse("segmentation:pin_create", args=[customer.pk]),
        {"target": "lifecycle:loyal", "reason": "Key account", "expires_on": until},
    )
    pin = ClassPin.objects.get(customer=customer)
    client.post(reverse("segmentation:pin_delete", args=[customer.pk, pin.pk]))
    assert not ClassPin.objects.filter(customer=customer).exists()
    kinds = list(
        ClassPin.history.filter(customer_id=customer.pk)
        .order_by("history_date")
        .values_list("history_type", "history_user__username")
    )
    assert kinds == [("+", "rep_alice"), ("-", "rep_alice")]


def test_pin_history_in_admin_is_scoped(client, manager_mike_other_team, admin_ada, rep_alice):
    pin = ClassPinFactory(customer=CustomerFactory(owner=rep_alice), created_by=rep_alice)
    client.force_login(admin_ada)
    url = reverse("admin:segmentation_classpin_history", args=[pin.pk])
    assert client.get(url).status_code == 200
    manager_mike_other_team.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="segmentation")
    )
    client.force_login(manager_mike_other_team)
    response = client.get(url)
    assert response.status_code in (302, 404)  # another team's pin does not exist for mike
    version = pin.history.latest("history_date").history_id
    one = reverse("admin:segmentation_classpin_simple_history", args=[pin.pk, version])
    assert client.get(one).status_code == 404


def test_playbook_and_step_changes_in_admin_are_recorded(client, admin_ada):
    playbook = Playbook.objects.filter(steps__isnull=False).first()
    assert playbook is not None, "the default library has playbooks with steps"
    url = reverse("admin:strategies_playbook_change", args=[playbook.pk])
    client.force_login(admin_ada)
    data = admin_form_data(client.get(url).text)
    data["name_en"] = ["Renamed by the audit test"]
    data["steps-0-instruction_en"] = ["Call and ask about the renewal"]
    response = client.post(url, data)
    assert response.status_code == 302, response.text[-3000:]
    latest = playbook.history.latest("history_date")
    assert (latest.name_en, latest.history_user) == ("Renamed by the audit test", admin_ada)
    step = PlaybookStep.history.filter(playbook_id=playbook.pk).latest("history_date")
    assert step.instruction_en == "Call and ask about the renewal"
    assert step.history_user == admin_ada
    page = client.get(reverse("admin:strategies_playbook_history", args=[playbook.pk]))
    assert "admin_ada" in page.text
    steps_page = client.get(reverse("admin:strategies_historicalplaybookstep_changelist"))
    assert steps_page.status_code == 200
    assert admin_ada.display_name in steps_page.text  # the person (User.__str__)


def test_rule_set_edit_in_admin_is_recorded(client, admin_ada):
    active = RuleSet.objects.get(is_active=True)
    url = reverse("admin:segmentation_ruleset_change", args=[active.pk])
    client.force_login(admin_ada)
    data = admin_form_data(client.get(url).text)
    data["note"] = ["Tighter dormant threshold"]
    response = client.post(url, data)
    assert response.status_code == 302, response.text[-3000:]
    entries = RuleSet.history.filter(history_user=admin_ada)
    assert entries.exists()
    assert entries.latest("history_date").note == "Tighter dormant threshold"
    newest = RuleSet.objects.order_by("-version").first()
    page = client.get(reverse("admin:segmentation_ruleset_history", args=[newest.pk]))
    assert page.status_code == 200
    assert "admin_ada" in page.text


def test_history_cannot_revert(client, admin_ada, rep_alice):
    pin = ClassPinFactory(customer=CustomerFactory(owner=rep_alice), created_by=rep_alice)
    record = pin.history.latest("history_date")
    client.force_login(admin_ada)
    url = reverse("admin:segmentation_classpin_simple_history", args=[pin.pk, record.history_id])
    assert client.get(url).status_code == 200  # the version can be looked at…
    response = client.post(url, {"reason": "reverted"})
    assert response.status_code == 403  # …never restored
    pin.refresh_from_db()
    assert pin.reason != "reverted"


def test_bulk_paths_write_no_per_row_history():
    """The 1M-row paths (seed, nightly run) go around model signals: no history rows."""
    from demo.seed import seed_demo
    from segmentation.services import segmentation_run

    as_of = dt.date(2026, 3, 31)
    seed_demo(customers=120, seed=7, as_of=as_of)
    segmentation_run(as_of=as_of)
    assert Customer.objects.count() >= 120
    assert Customer.history.count() == 0
    assert ClassPin.history.count() == 0


# --- Bulk owner changes: the pool, imports, merges ----------------------------------------


def _without_history(customer):
    """As the seed and imports create customers: no history row yet."""
    Customer.history.filter(id=customer.pk).delete()
    return customer


def _history_page(client, admin, customer) -> str:
    client.force_login(admin)
    url = reverse("admin:customers_customer_history", args=[customer.pk])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.text


def test_pool_claim_is_in_the_ownership_history_in_admin(client, admin_ada, rep_amy):
    customer = _without_history(CustomerFactory(owner=None, team=rep_amy.team))
    client.force_login(rep_amy)
    response = client.post(reverse("strategies:pool_claim", args=[customer.pk]), {"confirmed": "1"})
    assert response.status_code == 302
    latest = Customer.history.filter(id=customer.pk).latest("history_date")
    assert (latest.owner, latest.team, latest.history_user) == (rep_amy, rep_amy.team, rep_amy)
    assert latest.history_change_reason == "pool claim"
    page = _history_page(client, admin_ada, customer)
    assert "Claimed from the public pool" in page
    # Who claimed it (the person and the login), and the owner column (the person).
    assert page.count(rep_amy.display_name) >= 2
    assert "(rep_amy)" in page
    chinese = client.get(reverse("admin:customers_customer_history", args=[customer.pk]))
    assert "从公海领取" in chinese.text  # the installation's default language


def test_pool_release_is_in_the_ownership_history_without_a_query_per_customer(
    client, admin_ada, rep_alice, django_assert_max_num_queries
):
    from strategies.models import StrategySettings
    from strategies.services import pool_sweep
    from tests.strategies.factories import EnrollmentFactory, PlaybookFactory

    Playbook.objects.update(active=False)  # only the playbook made here applies
    start = dt.date(2026, 1, 1)
    StrategySettings.objects.update(pool_notice_days=7, prospect_release_days=None)
    playbook = PlaybookFactory(max_interval_days=30, release_after_days=10)
    customers = [CustomerFactory(owner=rep_alice) for _ in range(25)]
    for customer in customers:
        EnrollmentFactory(customer=customer, playbook=playbook, started_on=start)
    release_day = start + dt.timedelta(days=40)
    pool_sweep(as_of=release_day - dt.timedelta(days=7))  # the notice
    # A handful of queries for the whole batch, however many customers it releases.
    with django_assert_max_num_queries(20):
        assert pool_sweep(as_of=release_day).released == 25
    released = Customer.history.filter(history_change_reason="pool release")
    assert released.count() == 25
    latest = released.get(id=customers[0].pk)
    assert (latest.owner, latest.team, latest.history_user) == (None, rep_alice.team, None)
    assert latest.prev_record.owner == rep_alice
    page = _history_page(client, admin_ada, customers[0])
    assert "Released to the public pool" in page
    assert rep_alice.display_name in page  # the owner before, in the changes column


def test_import_that_moves_customers_writes_their_ownership_history(
    tmp_path, client, admin_ada, manager_maria, rep_alice, rep_amy
):
    from customers.importing import run_import

    moved = [_without_history(CustomerFactory(owner=rep_alice)) for _ in range(3)]
    kept = _without_history(CustomerFactory(owner=rep_amy))
    path = tmp_path / "owners.csv"
    path.write_text(
        "code,name,owner\n"
        + "".join(f"{c.external_code},{c.name},rep_amy\n" for c in moved)
        + f"{kept.external_code},{kept.name},rep_amy\nNEW1,新客户,rep_amy\n",
        encoding="utf-8",
    )
    report = run_import(kind="customers", path=path, actor=manager_maria, create_customers=True)
    assert report.written, report.problems
    history = Customer.history.all()
    assert sorted(history.values_list("id", flat=True)) == sorted(c.pk for c in moved)
    for row in history:
        assert (row.owner, row.history_user) == (rep_amy, manager_maria)
        assert row.history_change_reason == "import"
    page = _history_page(client, admin_ada, moved[0])
    assert "Changed by an import" in page
    assert "manager_maria" in page
    # Importing the same file again moves nobody: no new history.
    run_import(kind="customers", path=path, actor=manager_maria)
    assert Customer.history.count() == 3


def test_merge_records_the_removed_customer_with_who(client, manager_maria, rep_alice):
    survivor = CustomerFactory(owner=rep_alice)
    merged = CustomerFactory(owner=rep_alice)
    client.force_login(manager_maria)
    response = client.post(
        reverse("customers:merge", args=[survivor.pk]),
        {"other_code": merged.external_code, "confirm": "on"},
    )
    assert response.status_code == 302
    removed = Customer.history.filter(id=merged.pk).latest("history_date")
    assert (removed.history_type, removed.history_user) == ("-", manager_maria)
    assert Customer.history.filter(id=survivor.pk).latest("history_date").owner == rep_alice


def test_customer_history_page_has_no_query_per_version(
    client, admin_ada, rep_alice, rep_amy, django_assert_max_num_queries
):
    customer = CustomerFactory(owner=rep_alice)
    for i in range(20):
        customer.owner = rep_amy if i % 2 else rep_alice
        customer.save()
    client.force_login(admin_ada)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("admin:customers_customer_history", args=[customer.pk]))
    assert page.status_code == 200
    assert rep_amy.display_name in page.text
