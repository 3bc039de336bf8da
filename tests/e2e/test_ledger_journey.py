"""The ledger journey in headless Chromium, in Chinese: a seller declares a shipment, the buyer confirms it from its
filing page and takes the month's flows from the ledger, the county opens the trace graph."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from .conftest import login
from .test_journeys import _start_report, logout

pytestmark = pytest.mark.django_db(transaction=True)


def test_seller_declares_buyer_confirms_from_filing_page_county_opens_trace(quota_world, browser_page,
                                                                           before_deadline):
    page = browser_page
    ents = quota_world["enterprises"]
    last_month = (before_deadline.date().replace(day=1) - dt.timedelta(days=1))
    dispatched, received = last_month.replace(day=20), last_month.replace(day=22)

    login(page, "huamei_filer")
    page.goto("/ledger/declare/")
    page.fill("#f-buyer_credit_code", ents["hefa"].credit_code)
    page.select_option("#f-product", "PRND_OXIDE")
    page.fill("#f-lots", "PN-2501")
    page.fill("#f-net_weight_t", "6")
    page.fill("#f-reo_pct", "99.5")
    page.fill("#f-dispatch_date", dispatched.isoformat())
    page.fill("#f-document_no", "YD-0001")
    page.locator("#declare-submit").click()
    page.wait_for_url(re.compile(r".*/ledger/\d+/$"))
    expect(page.locator("h1")).to_contain_text("SH")
    number = page.locator("h1").inner_text().split()[1]
    expect(page.locator("dl.facts")).to_contain_text("5.970")  # 6 t × 99.5 %
    logout(page)

    login(page, "hefa_filer")
    _start_report(page)
    awaiting = page.locator("#awaiting")
    expect(awaiting).to_contain_text("待本企业确认的来货")
    expect(awaiting).to_contain_text(number)
    awaiting.locator("input[name=received_date]").fill(received.isoformat())
    awaiting.locator("button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/reports/\d+/edit/$"))
    expect(page.locator("#awaiting")).to_contain_text("没有待确认的来货")
    page.locator("form[action^='/ledger/fill/'] button").click()
    page.wait_for_url(re.compile(r".*/reports/\d+/edit/$"))
    expect(page.locator("#shipments-rows input[name$='-shipment_no']")).to_have_value(number)
    logout(page)

    login(page, "jiuyuan_reviewer")
    page.goto(f"/ledger/?q={number}")
    page.locator("#shipments a[href$='trace/?direction=up']").first.click()
    page.wait_for_url(re.compile(r".*/ledger/\d+/trace/\?direction=up$"))
    page.wait_for_selector("#trace-graph[data-drawn='1']")
    expect(page.locator("#trace-graph canvas")).to_have_count(1)
    expect(page.locator("#trace-table tbody")).to_contain_text(number)
    expect(page.locator("body")).to_contain_text("归属规则")
