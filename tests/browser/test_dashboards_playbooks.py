"""A manager opens the playbook dashboards (adherence, effectiveness, rep book) in Chinese and
in English: every chart draws, no console error or CSP violation, and a click on a chart
element lands on the filtered list behind it. Screenshots under screenshots/."""

import datetime as dt

import pytest
from django.utils import timezone

from segmentation.models import CustomerClasses
from strategies.models import Playbook
from strategies.services.outcomes import adherence_rollup_refresh, playbook_outcomes_refresh
from tests.browser.conftest import log_in, screenshot
from tests.customers.factories import CustomerFactory
from tests.strategies.factories import (
    ClassChangeFactory,
    EnrollmentFactory,
    PlaybookFactory,
    RunFactory,
    StepFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def ago(n):
    return timezone.localdate() - dt.timedelta(days=n)


def _data(rep_alice, rep_amy):
    Playbook.objects.update(active=False)
    pb = PlaybookFactory(dimension="lifecycle", class_code="dormant", code="test-dormant",
                         name_zh="休眠客户唤醒", name_en="Dormant: wake up")  # fmt: skip
    step = StepFactory(playbook=pb)
    run = RunFactory(as_of=ago(0), is_current=True)
    names = {}
    for i, (owner, kept, back) in enumerate(
        [(rep_alice, True, True), (rep_alice, True, False), (rep_alice, False, False),
         (rep_amy, True, True), (rep_amy, False, True), (rep_amy, False, False)]
    ):  # fmt: skip
        customer = CustomerFactory(owner=owner, name=f"示例客户{i}号")
        names[i] = customer.name
        e = EnrollmentFactory(customer=customer, playbook=pb, started_on=ago(60))
        if kept:
            TaskFactory(customer=customer, enrollment=e, step=step, due_on=ago(55),
                        status="done", closed_on=ago(55),
                        completed_at=dt.datetime.combine(ago(55), dt.time(9), dt.UTC))  # fmt: skip
        else:
            TaskFactory(customer=customer, enrollment=e, step=step, due_on=ago(55),
                        status="missed")  # fmt: skip
        TaskFactory(
            customer=customer, step=step, due_on=ago(i), status="missed" if i % 2 else "open"
        )
        life = "repeat" if back else "dormant"
        if back:
            ClassChangeFactory(customer=customer, run=run, from_code="dormant", to_code="repeat",
                               as_of=ago(45))  # fmt: skip
        CustomerClasses.objects.create(
            run=run, customer=customer, lifecycle=life, value_tier="ordinary",
            revenue_window=1000.0 * (i + 1),
        )  # fmt: skip
    playbook_outcomes_refresh(as_of=ago(0))
    adherence_rollup_refresh(as_of=ago(0))
    return names


def _all_charts_drawn(page):
    charts = page.locator(".dash-chart")
    assert charts.count() > 0
    try:
        page.wait_for_function(
            "() => [...document.querySelectorAll('.dash-chart')]"
            ".every(el => el.getAttribute('data-drawn') === '1' && el.querySelector('canvas'))",
            timeout=15_000,
        )
    except Exception as exc:  # the console problems say why better than a timeout
        raise AssertionError(f"charts not drawn on {page.url}: {page.problems}") from exc


def _click_bar(page, chart_id, series, index):
    """Clicks the middle of one drawn bar (its layout as ECharts placed it)."""
    page.locator(f"#{chart_id}").scroll_into_view_if_needed()
    box = page.locator(f"#{chart_id}").bounding_box()
    bar = page.evaluate(
        "([id, s, i]) => window.CRMDash.instances[id].getModel().getSeriesByIndex(s)"
        ".getData().getItemLayout(i)",
        [chart_id, series, index],
    )
    with page.expect_navigation():
        page.mouse.click(
            box["x"] + bar["x"] + bar["width"] / 2, box["y"] + bar["y"] + bar["height"] / 2
        )
    page.wait_for_load_state("networkidle")


def test_manager_reads_the_playbook_dashboards(page, rep_alice, rep_amy, manager_maria):
    names = _data(rep_alice, rep_amy)
    log_in(page, "manager_maria")
    pages = [
        ("effectiveness", "/dashboards/effectiveness/", "策略成效"),
        ("adherence", "/dashboards/adherence/?weeks=4", "策略执行情况"),
        ("rep-book", f"/dashboards/rep-book/?owner={rep_alice.pk}", "客户簿"),
    ]
    for name, url, heading in pages:
        page.goto(url)
        assert heading in page.locator("h1").inner_text()
        _all_charts_drawn(page)
        screenshot(page, f"dashboard-playbook-{name}-zh-hans")

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    english = {"effectiveness": "Playbook effectiveness", "adherence": "Playbook adherence",
               "rep-book": "Book of business"}  # fmt: skip
    for name, url, _heading in pages:
        page.goto(url)
        assert english[name] in page.locator("h1").inner_text()
        _all_charts_drawn(page)
        screenshot(page, f"dashboard-playbook-{name}-en")

    # Effectiveness: the "steps kept" bar of the playbook → the customers who kept the steps
    # and moved to a better class (0 and 3: alice's and amy's).
    page.goto("/dashboards/effectiveness/")
    _all_charts_drawn(page)
    _click_bar(page, "effectiveness-bars", 0, 0)
    assert "/customers/" in page.url
    assert "outcome=test-dormant" in page.url
    listed = page.locator("main").inner_text()
    assert names[0] in listed
    assert names[3] in listed
    assert names[1] not in listed
    screenshot(page, "dashboard-playbook-effectiveness-drilldown")

    # Rep book: the "repeat" bar of the lifecycle chart → alice's repeat buyers.
    page.goto(f"/dashboards/rep-book/?owner={rep_alice.pk}")
    _all_charts_drawn(page)
    _click_bar(page, "book-lifecycle", 0, 0)
    assert "lifecycle=repeat" in page.url
    listed = page.locator("main").inner_text()
    assert names[0] in listed
    assert names[2] not in listed
    assert page.problems == []
