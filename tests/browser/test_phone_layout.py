"""Every main page, for each role and both languages, on a 390-px phone: no sideways scroll,
no console error or CSP violation, and no serious or critical axe-core violation. Then the
same pages at 1366 px. Screenshots of each page at both widths go to screenshots/.

Also here, because they need a real browser: the pin form submitted in zh-Hans (the date
picker must receive an ISO value), the folding menu, the header search, locale-formatted
figures on the dashboard, and the pool claim's confirm dialog."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from segmentation.models import ClassPin
from tests.browser.conftest import log_in, screenshot
from tests.customers.factories import CustomerFactory, TransactionFactory
from tests.dashboards.conftest import book  # noqa: F401 - the shared small book of business
from tests.strategies.factories import EnrollmentFactory, PlaybookFactory, StepFactory, TaskFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
NAMES = {
    "rep_alice": ("霞", "汪"),
    "manager_maria": ("丽娜", "王"),
    "director_dora": ("Dora", "Chen"),
    "admin_ada": ("Ada", "Li"),
}


@pytest.fixture
def workday(book, rep_alice, rep_amy, manager_maria, director_dora, admin_ada):  # noqa: F811
    """The dashboard book, plus people with names, a long-named customer, open tasks and a
    customer in the team's pool."""
    for user in (rep_alice, manager_maria, director_dora, admin_ada):
        user.first_name, user.last_name = NAMES[user.username]
        user.save(update_fields=["first_name", "last_name"])
    long_name = CustomerFactory(
        owner=rep_alice,
        name="杭州明远精密机械制造股份有限公司华东区域销售与售后服务中心",
        address="浙江省杭州市滨江区长河街道江南大道3880号华荣时代大厦A座二十一层2101室",
    )
    TransactionFactory(customer=long_name, amount="17825482.00", date=timezone.localdate())
    pb = PlaybookFactory(max_interval_days=14)
    step = StepFactory(playbook=pb, kind="call", instruction_zh="电话回访，询问续约意向和预算")
    for customer in (book["customers"]["alice_loyal"], long_name):
        TaskFactory(
            customer=customer,
            enrollment=EnrollmentFactory(customer=customer, playbook=pb),
            step=step,
            due_on=timezone.localdate() - dt.timedelta(days=2),
        )
    pooled = CustomerFactory(owner=None, team=rep_alice.team, name="公海里的上海华东贸易有限公司")
    return {"customer": long_name, "pooled": pooled, **book}


def main_pages(role: str, data) -> dict[str, str]:
    customer = data["customer"]  # rep_alice's, in every other role's scope too
    pages = {
        "home": "/",
        "customers": "/customers/",
        "customers-search": "/customers/?q=%E6%9D%AD%E5%B7%9E",
        "customer": f"/customers/{customer.pk}/",
        "customer-edit": f"/customers/{customer.pk}/edit/",
        "tasks": "/strategies/tasks/",
        "pool": "/strategies/pool/",
        "adherence": "/strategies/adherence/",
        "playbooks": "/strategies/playbooks/",
        "dash-overview": "/dashboards/",
        "dash-movements": "/dashboards/movements/?dimension=lifecycle",
        "dash-funnel": "/dashboards/funnel/",
        "dash-value": "/dashboards/value/",
        "dash-rfm": "/dashboards/rfm/",
        "dash-risks": "/dashboards/risks/",
        "dash-adherence": "/dashboards/adherence/",
        "dash-effectiveness": "/dashboards/effectiveness/",
        "dash-rep-book": "/dashboards/rep-book/",
        "import": "/customers/import/",
        "password": "/accounts/password/",
        "not-found": "/no-such-page/",
    }
    return pages


OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const offenders = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1) {
      // Report the outermost element that sticks out, not every descendant.
      let inner = false;
      for (let p = el.parentElement; p; p = p.parentElement) {
        if (p.getBoundingClientRect().right > width + 1) { inner = true; break; }
      }
      if (!inner) {
        const cls = typeof el.className === 'string' && el.className
          ? '.' + el.className.split(' ').join('.') : '';
        offenders.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls +
          ' right=' + Math.round(box.right));
      }
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, offenders: offenders.slice(0, 5)};
}"""


def _no_sideways_scroll(page, width: int, where: str) -> None:
    result = page.evaluate(OVERFLOW_JS)
    assert result["scrollWidth"] <= width, f"{where}: {result}"


def _axe(page, where: str) -> list[str]:
    """Serious and critical axe-core violations on the page, as readable lines."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated, not a <script> tag: the page's CSP (rightly) forbids inline scripts.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3)"
        ".map(n => n.target.join(' ')).join(' | '))"
    )
    return [f"{where}: {line}" for line in result]


def _wait_for_charts(page) -> None:
    page.wait_for_load_state("networkidle")
    if page.locator(".dash-chart").count():
        page.wait_for_function(
            "() => [...document.querySelectorAll('.dash-chart')]"
            ".every(el => el.getAttribute('data-drawn') === '1')",
            timeout=15_000,
        )


def _visit(page, url: str) -> None:
    page.goto(url)
    _wait_for_charts(page)


def _track_errors(page) -> list[str]:
    """Every response with an error status; the caller asserts only the expected ones came.
    (The browser also logs an error page's own status as a console error, at a moment of
    its choosing; those lines are dropped from page.problems by `_problems`.)"""
    failed: list[str] = []
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.status} {r.url.split('//', 1)[-1].split('/', 1)[-1]}")
            if r.status >= 400
            else None
        ),
    )
    return failed


def _problems(page) -> list[str]:
    return [p for p in page.problems if "Failed to load resource: the server responded" not in p]


def _expected_errors(role: str) -> set[str]:
    expected = {"404 no-such-page/"}
    if role == "rep_alice":
        expected.add("403 customers/import/")  # a rep may not import
    return expected


def _set_language(page, lang: str) -> None:
    if page.locator("html").get_attribute("lang") != lang:
        toggle = page.locator("[data-nav-toggle]")
        if toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false":
            toggle.click()  # on a phone the language buttons are in the folded menu
        page.locator(f'form.lang-switch button[value="{lang}"]').first.click()
        page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == lang


ROLES = ["rep_alice", "manager_maria", "director_dora", "admin_ada"]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_main_page_fits_a_phone_and_passes_axe(page, workday, role, lang):
    page.set_viewport_size(PHONE)
    failed = _track_errors(page)
    log_in(page, role)
    _set_language(page, lang)
    failures: list[str] = []
    for name, url in main_pages(role, workday).items():
        _visit(page, url)
        where = f"{role} {lang} {name} ({url})"
        result = page.evaluate(OVERFLOW_JS)
        if result["scrollWidth"] > PHONE["width"]:
            failures.append(f"{where}: {result}")
        failures += _axe(page, where)
        screenshot(page, f"390-{role}-{name}-{lang}")
    assert failures == [], "\n".join(failures)
    assert set(failed) == _expected_errors(role), failed
    assert _problems(page) == [], page.problems


@pytest.mark.parametrize("role", ROLES)
def test_every_main_page_at_1366(page, workday, role):
    page.set_viewport_size(LAPTOP)
    failed = _track_errors(page)
    log_in(page, role)
    failures: list[str] = []
    for lang in ("zh-hans", "en"):
        _set_language(page, lang)
        for name, url in main_pages(role, workday).items():
            _visit(page, url)
            result = page.evaluate(OVERFLOW_JS)
            if result["scrollWidth"] > LAPTOP["width"]:
                failures.append(f"{role} {lang} {name}: {result}")
            # Dashboard tables stay inside their cards (they scroll in their own box).
            spill = page.evaluate(
                "() => [...document.querySelectorAll('.dash-card')].filter(card =>"
                " [...card.querySelectorAll('table')].some(t =>"
                " t.closest('.table-scroll, .dash-table-wrap') === null &&"
                " t.getBoundingClientRect().right > card.getBoundingClientRect().right + 1))"
                ".map(card => card.querySelector('h2, h3')?.textContent)"
            )
            if spill:
                failures.append(f"{role} {lang} {name}: tables spill out of {spill}")
            screenshot(page, f"1366-{role}-{name}-{lang}")
    assert failures == [], "\n".join(failures)
    assert set(failed) == _expected_errors(role), failed
    assert _problems(page) == [], page.problems


def test_phone_menu_folds_and_opens_and_chinese_items_stay_on_one_line(page, workday):
    page.set_viewport_size(PHONE)
    log_in(page, "manager_maria")
    toggle = page.get_by_role("button", name="菜单")
    assert toggle.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("link", name="客户", exact=True).is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    for label in ("我的今日", "客户", "任务", "看板"):
        link = page.locator(".nav-links").get_by_role("link", name=label, exact=True)
        assert link.is_visible(), label
        box = link.bounding_box()
        line = page.evaluate(
            "el => parseFloat(getComputedStyle(el).lineHeight) || 24",
            link.element_handle(),
        )
        assert box["height"] < 2 * line, f"{label} wraps: {box}"
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    _no_sideways_scroll(page, PHONE["width"], "menu")
    assert page.problems == []


def test_skip_link_and_visible_focus(page, workday):
    log_in(page, "rep_alice")
    page.goto("/customers/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    assert skip.bounding_box()["y"] >= 0  # moved into view when focused
    page.keyboard.press("Enter")
    assert "#main" in page.url
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none", outline
    assert outline[1] >= 2, outline


def test_header_search_lands_on_the_scoped_customer_list(page, workday):
    log_in(page, "rep_alice")
    header_search = page.get_by_role("searchbox", name="搜索客户")  # the header's, on every page
    header_search.fill("杭州明远")
    header_search.press("Enter")
    page.wait_for_load_state("networkidle")
    assert "/customers/?q=" in page.url
    listed = page.locator("main").inner_text()
    assert workday["customer"].name in listed
    # Another rep's customer never appears, whatever the term.
    assert header_search.input_value() == "杭州明远"  # the list's term stays in the box
    header_search.fill(workday["customers"]["bob_loyal"].name)
    header_search.press("Enter")
    page.wait_for_load_state("networkidle")
    assert workday["customers"]["bob_loyal"].name not in page.locator("main").inner_text()


def test_pin_form_submits_in_chinese(page, workday):
    customer = workday["customers"]["alice_dormant"]
    log_in(page, "rep_alice")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.goto(f"/customers/{customer.pk}/")
    page.locator(".seg-pin-form summary").click()
    date_input = page.locator('.seg-pin-form input[name="expires_on"]')
    value = date_input.input_value()
    # ISO, the only value a date picker takes (zh-Hans rendered 2027/03/02, which it refused).
    assert dt.date.fromisoformat(value) > timezone.localdate(), value
    page.locator('.seg-pin-form select[name="target"]').select_option(index=1)
    page.locator('.seg-pin-form input[name="reason"]').fill("客户说下个月恢复采购")
    page.locator(".seg-pin-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    pin = ClassPin.objects.get(customer=customer)
    assert pin.reason == "客户说下个月恢复采购"
    assert pin.expires_on.isoformat() == value
    assert page.problems == []


def test_figures_are_formatted_for_the_language(page, workday):
    log_in(page, "manager_maria")
    page.goto(f"/customers/{workday['customer'].pk}/")
    figures = page.locator(".key-figures").inner_text()
    assert "¥1,782.55万" in figures, figures
    page.goto("/dashboards/")
    _wait_for_charts(page)
    headline = page.locator(".dash-headline").inner_text()
    assert "¥" in headline, headline
    assert "万" in headline, headline
    # The chart helper, in the page's language.
    assert page.evaluate("() => CRMNumbers.axis(43700)") == "4.4万"
    assert page.evaluate("() => CRMNumbers.figure(17825482)") == "1,782.55万"

    _set_language(page, "en")
    page.goto(f"/customers/{workday['customer'].pk}/")
    assert "¥17,825,482" in page.locator(".key-figures").inner_text()
    page.goto("/dashboards/")
    _wait_for_charts(page)
    assert "万" not in page.locator(".dash-headline").inner_text()
    assert page.evaluate("() => CRMNumbers.axis(43700)") == "43.7k"
    assert page.evaluate("() => CRMNumbers.num(17825482)") == "17,825,482"
    assert page.problems == []


def test_customer_form_shows_the_fields_of_its_kind(page, workday):
    log_in(page, "rep_alice")
    page.goto(f"/customers/{workday['customer'].pk}/edit/")
    page.locator('select[name="kind"]').select_option("company")
    assert not page.locator('select[name="age_band"]').is_visible()
    assert page.locator('input[name="employees"]').is_visible()
    page.locator('select[name="kind"]').select_option("individual")
    assert page.locator('select[name="age_band"]').is_visible()
    assert not page.locator('input[name="employees"]').is_visible()


def test_pool_claim_asks_before_spending_the_quota(page, workday):
    pooled = workday["pooled"]
    log_in(page, "rep_alice")
    page.goto("/strategies/pool/")
    row = page.locator("tr", has_text=pooled.name)
    row.get_by_role("button", name="领取").click()
    dialog = page.locator("#claim-dialog")
    assert dialog.is_visible()
    assert pooled.name in dialog.inner_text()
    dialog.get_by_role("button", name="取消").click()
    assert not dialog.is_visible()
    pooled.refresh_from_db()
    assert pooled.owner is None
    row.get_by_role("button", name="领取").click()
    with page.expect_navigation():
        dialog.get_by_role("button", name="领取").click()
    page.wait_for_load_state("networkidle")
    pooled.refresh_from_db()
    assert pooled.owner.username == "rep_alice"
    assert f"/customers/{pooled.pk}/" in page.url
    assert page.problems == []


def test_axe_is_the_pinned_vendored_build():
    text = AXE.read_text(encoding="utf-8")
    assert text.startswith("/*! axe v4.14.1")
    assert len(text) > 300_000  # the real build, not a Git LFS pointer
