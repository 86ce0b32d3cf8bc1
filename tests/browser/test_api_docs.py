"""The API's docs page (Swagger UI from drf-spectacular-sidecar, served by this server) and
the API tokens page work under the strict CSP: no console error, no CSP violation."""

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_api_docs_render_under_strict_csp(page, rep_alice):
    page.goto("/api/docs/")
    page.wait_for_load_state("networkidle")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "客户分类管理 CRM API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() >= 20  # every operation is listed
    screenshot(page, "api-docs")
    log_in(page, "rep_alice")
    page.goto("/api/tokens/")
    page.fill("input[name=name]", "ERP 订单同步")
    page.click("main form.narrow button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#new-token").inner_text().startswith("crm_")
    screenshot(page, "api-tokens")
    assert page.problems == []
