"""A person logs in, reads the home page and own customers in Chinese, switches to English,
logs out — with no console error and no CSP violation on the way."""

import pytest

from tests.browser.conftest import log_in, screenshot
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_log_in_switch_language_log_out(page, rep_alice):
    CustomerFactory(owner=rep_alice, name="杭州明远机械有限公司")
    log_in(page, "rep_alice")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("button", name="退出登录").is_visible()
    screenshot(page, "home-zh-hans")
    page.goto("/customers/")
    assert page.get_by_text("杭州明远机械有限公司").first.is_visible()

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Log out").is_visible()
    screenshot(page, "home-en")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" in page.url
    assert page.problems == []
