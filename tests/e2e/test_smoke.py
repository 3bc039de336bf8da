"""The browser stack works: Chromium renders the Chinese pages, logs in, and draws a Chart.js chart."""

import pytest

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_public_pages_and_login_in_chinese(demo_orgs, browser_page):
    page = browser_page
    page.goto("/public/enterprises/?year=2025")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_text("包头华美稀土高科有限公司").is_visible()
    login(page, "miit_official")
    assert page.locator("h1").inner_text()  # the dashboard heading
    page.goto("/public/enterprises/?year=2025")
    # a sortable column heading is a keyboard-usable button
    page.locator("th button.sort").nth(1).focus()
    page.keyboard.press("Enter")
    assert page.locator("th[aria-sort]").count() == 1
