"""A manager opens each class dashboard in Chinese and in English: every chart draws (a canvas
of non-zero size in each chart container), no console error and no CSP violation; a real click
on a cell of the transition matrix lands on the list of exactly those customers."""

import pytest

from tests.browser.conftest import log_in, screenshot
from tests.dashboards.conftest import book  # noqa: F401 - the shared small book of business

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {
    "overview": "/dashboards/",
    "movements": "/dashboards/movements/?dimension=lifecycle",
    "funnel": "/dashboards/funnel/",
    "value": "/dashboards/value/",
    "rfm": "/dashboards/rfm/",
    "risks": "/dashboards/risks/",
}


def _charts_drawn(page) -> int:
    """Number of chart containers; fails unless each holds a drawn canvas of non-zero size."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.dash-chart'))"
        ".every(el => el.dataset.drawn === '1' && el.querySelector('canvas'))",
        timeout=10_000,
    )
    containers = page.locator(".dash-chart")
    n = containers.count()
    for i in range(n):
        el = containers.nth(i)
        box = el.locator("canvas").first.bounding_box()
        assert box is not None
        assert box["width"] > 50, el.get_attribute("id")
        assert box["height"] > 50, el.get_attribute("id")
        assert el.get_attribute("data-drawn") == "1"
    return n


def _visit_all(page, lang: str) -> None:
    for name, url in PAGES.items():
        page.goto(url)
        drawn = _charts_drawn(page)
        if name != "risks":
            assert drawn >= 1, name
        screenshot(page, f"dashboards-{name}-{lang}")
        assert page.problems == [], (name, lang, page.problems)


def test_manager_reads_every_dashboard_and_clicks_into_a_cell(page, book, manager_maria):  # noqa: F811
    log_in(page, "manager_maria")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.get_by_role("link", name="看板").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="总览").is_visible()
    _visit_all(page, "zh-hans")

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    _visit_all(page, "en")

    # A real mouse click on the matrix cell "new → repeat" (its pixel from the chart's own
    # coordinate system), not a dispatched event.
    page.goto(PAGES["movements"])
    _charts_drawn(page)
    x_labels = page.evaluate(
        "() => JSON.parse(document.getElementById('chart-matrix-data').textContent)"
    )
    xi = x_labels["x"].index("Repeat buyer")
    yi = x_labels["y"].index("New customer")
    point = page.evaluate(
        "([xi, yi]) => CRMDash.instances['chart-matrix'].convertToPixel({gridIndex: 0}, [xi, yi])",
        [xi, yi],
    )
    page.locator("#chart-matrix").scroll_into_view_if_needed()
    box = page.locator("#chart-matrix").bounding_box()  # viewport coordinates after scrolling
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_url(lambda url: "/customers/" in url and "moved=" in url)
    page.wait_for_load_state("networkidle")
    amy_new = book["customers"]["amy_new"]
    assert page.get_by_text(amy_new.name).first.is_visible()
    rows = page.locator("#customer-results tbody tr")
    assert rows.count() == 1
    screenshot(page, "dashboards-drilldown-en")
    assert page.problems == []
