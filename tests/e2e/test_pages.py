"""Every role's pages in real Chromium on the demo data (seed_demo): each page reachable from the main menu opens
without a server error, a console error or a failed request (the favicon included), shows no Latin word of four
letters or more in Chinese (product and credit codes aside), writes the figures of its tables one way (at most 3
decimals, thousands separators, right-aligned), and the menu fits one line at 1366 px; the enterprise dashboard needs
no horizontal scrolling at 390 px.

With SAVE_SCREENSHOTS=1 the main pages of each role are written to docs/screenshots/ (linked from the README):
``SAVE_SCREENSHOTS=1 .venv/bin/pytest tests/e2e/test_pages.py``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from reporting.models import Product
from tests.portal.test_i18n import latin_words

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# role → (user, [(screenshot name, path)]) — the main pages of each role; the menu walk covers the rest
ROLES = {
    "ministry-official": ("miit_official", [("dashboard", "/"), ("batches", "/allocations/batches/"),
                                             ("quotas", "/allocations/quotas/")]),
    "ministry-approver": ("miit_approver", [("dashboard", "/"), ("plans", "/allocations/plans/")]),
    "county-reviewer": ("jiuyuan_reviewer", [("dashboard", "/"), ("review-queue", "/reports/?status=submitted"),
                                             ("certification", "/reports/certification/")]),
    "city-viewer": ("baotou_viewer", [("dashboard", "/"), ("summaries", "/reports/summaries/")]),
    "enterprise-filer": ("huamei_filer", [("dashboard", "/"), ("reports", "/reports/")]),
    "group-manager": ("north_manager", [("dashboard", "/"), ("breakdowns", "/allocations/breakdowns/")]),
}


@pytest.fixture
def demo_data(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    call_command("seed_demo", stdout=open(os.devnull, "w"))


def _watch(page, problems: list[str]) -> None:
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.on("console", lambda m: problems.append(f"{page.url}: console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("response", lambda r: problems.append(f"{r.url} → {r.status}") if r.status >= 400 else None)


# Numbers in tables, one way: a figure with decimals has at most 3 of them (no floating-point noise), thousands
# separators from 1,000 and sits right-aligned in its cell (years, months and counts are integers, percentages sit
# on their progress bars: not checked).
NUMBERS_ONE_WAY = r"""() => [...document.querySelectorAll('main table td, main table th[scope=row]')]
    .filter(td => td.checkVisibility())
    .map(td => [td, td.innerText.trim().replace(/\s*(t|吨|元)$/, '').replace(/^¥\s*/, '')])
    .filter(([td, t]) => /^-?[0-9][0-9,]*\.[0-9]+$/.test(t))
    .filter(([td, t]) => /\.[0-9]{4,}$/.test(t) || /^-?[0-9]{4,}/.test(t)
                         || !['right', 'end'].includes(getComputedStyle(td).textAlign))
    .slice(0, 6).map(([td, t]) => t + ' (' + getComputedStyle(td).textAlign + ', table #' + td.closest('table').id + ')')"""


def _codes() -> set[str]:
    return set(Product.objects.values_list("code", flat=True))


def _walk_role(role, username, shots, new_page, codes):
    page = new_page()
    page.set_viewport_size({"width": 1366, "height": 800})
    problems: list[str] = []
    _watch(page, problems)
    login(page, username)

    # the menu is one line at 1366 px: every entry and menu heading sits on the same row
    tops = page.eval_on_selector_all("nav.mainnav > a, nav.mainnav > details.navgroup",
                                     "els => els.filter(e => e.offsetParent !== null).map(e => e.offsetTop)")
    assert len(set(tops)) == 1, f"{role}: the menu wraps at 1366 px ({tops})"

    links = page.eval_on_selector_all("nav.mainnav a[href]", "els => [...new Set(els.map(a => a.getAttribute('href')))]")
    assert len(links) >= 4, links
    for href in ["/", *links, *(p for _n, p in shots)]:
        response = page.goto(href)
        assert response is not None and response.status < 400, f"{role}: {href} → {response and response.status}"
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        words = latin_words(page.locator("main").inner_text() + "\n" + page.locator("nav.mainnav").inner_text(),
                            codes)
        assert not words, f"{role}: Latin words on {href}: {words}"
        bad_numbers = page.evaluate(NUMBERS_ONE_WAY)
        assert not bad_numbers, f"{role}: numbers not written one way on {href}: {bad_numbers}"
    # the drop-down menus open with the mouse and close with Escape
    group = page.locator("nav.mainnav details.navgroup:visible").first
    group.locator("summary").click()
    assert group.evaluate("d => d.open")
    page.keyboard.press("Escape")
    assert not group.evaluate("d => d.open")
    assert not problems, "\n".join(problems)

    if os.environ.get("SAVE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name, path in shots:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(SCREENSHOTS / f"{role}-{name}.png"))
    page.context.close()


def _enterprise_dashboard_at_390_px(new_page):
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    problems: list[str] = []
    _watch(page, problems)
    login(page, "huamei_filer")
    page.wait_for_load_state("networkidle")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.checkVisibility() && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                     && !e.closest('.table-scroll, table.data'))
        .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"horizontal scroll at 390 px: {widths[0]} px of content in {widths[1]} px: {wide}"
    assert not wide, f"elements wider than the screen: {wide}"
    assert not problems, "\n".join(problems)
    if os.environ.get("SAVE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "enterprise-filer-dashboard-390px.png"), full_page=True)


def test_every_role_walks_its_menu_and_the_enterprise_dashboard_fits_a_phone(demo_data, new_page):
    """One seeded demo for all roles (seeding is the slow part): each role's menu pages, then the phone width."""
    codes = _codes()
    for role, (username, shots) in ROLES.items():
        _walk_role(role, username, shots, new_page, codes)
    _enterprise_dashboard_at_390_px(new_page)
