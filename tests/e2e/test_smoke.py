"""The browser stack works: Chromium renders the Chinese pages, sorts tables from the keyboard, switches to
English, logs in, draws the dashboard charts without a script or CSP error, and prints without navigation."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import issue_to, login

pytestmark = pytest.mark.django_db(transaction=True)


def test_public_pages_sorting_language_switch_and_dashboard_charts(quota_world, browser_page):
    issue_to(quota_world, quota_world["enterprises"]["huamei"], "5000")
    page = browser_page
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "favicon" not in m.text else None)

    page.goto("/public/enterprises/?year=2025")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    expect(page.locator("h1")).to_contain_text("2025年稀土定点企业名单")
    expect(page.get_by_text("包头华美稀土高科有限公司")).to_be_visible()

    # a column heading is a keyboard-usable sort button; sorting reorders the rows
    table = page.locator("table.data").nth(1)
    names = table.locator("tbody tr td:nth-child(2)")
    heading = table.locator("th button.sort").nth(1)
    heading.focus()
    page.keyboard.press("Enter")
    expect(table.locator("th[aria-sort=ascending]")).to_have_count(1)
    ascending = names.all_inner_texts()
    page.keyboard.press("Enter")
    expect(table.locator("th[aria-sort=descending]")).to_have_count(1)
    assert names.all_inner_texts() == list(reversed(ascending))

    # English by switch
    page.select_option("#lang-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("Designated rare-earth enterprises, 2025")
    page.select_option("#lang-select", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    login(page, "miit_official")
    expect(page.locator("h1")).to_have_text("全国概览")
    expect(page.locator("canvas[data-chart]").first).to_be_visible()
    page.wait_for_function("() => [...document.querySelectorAll('canvas[data-chart]')].every(c => c.dataset.drawn)")
    # the figures of every chart are also in a table behind a toggle
    toggle = page.locator("details.table-toggle").first
    toggle.locator("summary").click()
    expect(toggle.locator("table")).to_be_visible()
    # printing a page leaves out the navigation and the controls
    page.emulate_media(media="print")
    expect(page.locator("nav.mainnav")).to_be_hidden()
    expect(page.locator("form.search").first).to_be_hidden()
    page.emulate_media(media="screen")
    expect(page.locator("nav.mainnav")).to_be_visible()
    assert not [p for p in problems if re.search(r"Content Security Policy|Uncaught|TypeError", p)], problems
