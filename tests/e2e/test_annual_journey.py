"""The annual cycle in headless Chromium, in Chinese: the enterprise files and attests its annual report, the
county accepts it and certifies the year, the city and the province follow, the ministry closes the year and sees
it in the annual execution overview."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from reporting import services
from tests.reporting.conftest import huamei_payload

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)
BJ = ZoneInfo("Asia/Shanghai")


def logout(page):
    page.locator("form[action='/logout/'] button").click()
    page.wait_for_url(re.compile(r".*/login/"))


@pytest.fixture
def last_year_accepted(demo_orgs):
    """Huamei's accepted March report of last year (built through the reporting services)."""
    users = {u.username: u for u in get_user_model().objects.all()}
    year = dt.date.today().year - 1
    huamei = demo_orgs["enterprises"]["huamei"]
    at = dt.datetime(year, 4, 5, 10, tzinfo=BJ)
    r = services.report_create(actor=users["huamei_filer"], enterprise=huamei, year=year, month=3,
                               data=huamei_payload(demo_orgs, year, 3), now=at)
    r = services.report_submit(attest=True, actor=users["huamei_filer"], report=r, now=at)
    services.report_accept(actor=users["jiuyuan_reviewer"], report=r, now=at)
    return {"year": year, "huamei": huamei}


def _certify(page, year, authority_name):
    page.goto(f"/reports/year-end/?year={year}")
    row = page.locator("#year-end-table tr", has_text=authority_name)
    row.locator("button[name=verb][value=certify]").click()
    page.wait_for_url(re.compile(r".*/reports/year-end/.*"))
    expect(page.locator("#year-end-table tr", has_text=authority_name).locator(".badge-accepted")).to_be_visible()


def test_annual_report_and_year_end_close(last_year_accepted, browser_page):
    page = browser_page
    year = last_year_accepted["year"]

    login(page, "huamei_filer")
    page.goto(f"/reports/annual/?year={year}")
    page.locator("#annual-start").click()
    page.wait_for_url(re.compile(r".*/reports/annual/\d+/$"))
    # the year's production is the sum of the accepted months, shown for confirmation
    expect(page.locator("#annual-production")).to_contain_text("10.000")
    page.fill("#rp", "张明")
    page.fill("#ex", "仅三月有生产。")
    page.locator("#annual-submit").click()  # not attested: refused, stays a draft
    expect(page.locator(".messages")).to_contain_text("如实")
    expect(page.locator("#annual-status")).to_have_class(re.compile("badge-draft"))
    page.check("#annual-attest")
    page.locator("#annual-submit").click()
    expect(page.locator("#annual-status")).to_have_class(re.compile("badge-submitted"))
    expect(page.locator("dl.facts")).to_contain_text("张明")
    annual_url = page.url
    logout(page)

    login(page, "jiuyuan_reviewer")
    page.goto(annual_url)
    page.locator("#annual-accept").click()
    expect(page.locator("#annual-status")).to_have_class(re.compile("badge-accepted"))
    _certify(page, year, "九原区")
    logout(page)

    login(page, "baotou_viewer")
    _certify(page, year, "包头市")
    logout(page)
    login(page, "nmg_viewer")
    _certify(page, year, "内蒙古自治区")
    logout(page)

    login(page, "miit_approver")
    _certify(page, year, "工业和信息化部")
    expect(page.locator("#year-closed")).to_be_visible()
    page.goto(f"/portal/annual-overview/?year={year}")
    expect(page.locator("#overview-closed")).to_be_visible()
    expect(page.locator("#overview-enterprises")).to_contain_text(last_year_accepted["huamei"].name)
    page.wait_for_function("() => { const c = document.querySelector('canvas#annual-overview');"
                           " return c && c.dataset.drawn; }")
    logout(page)

    # closed: the enterprise can no longer amend its annual report
    login(page, "huamei_filer")
    page.goto(annual_url)
    page.locator("form[action$='/amend/'] button").click()
    expect(page.locator(".messages")).to_contain_text("关闭")
