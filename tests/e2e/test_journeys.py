"""The three main journeys through the real pages, in headless Chromium (Debian's), in Chinese."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reporting import services as rep
from reporting.models import MonthlyReport
from reporting.selectors import due_period

from .conftest import issue_to, login

pytestmark = pytest.mark.django_db(transaction=True)


def logout(page):
    page.locator("form[action='/logout/'] button").click()
    page.wait_for_url(re.compile(r".*/login/"))


def test_ministry_drafts_batch_second_official_approves_enterprise_sees_indicator(quota_world, browser_page):
    page = browser_page
    year = quota_world["year"]
    huamei = quota_world["enterprises"]["huamei"]

    login(page, "miit_official")
    page.goto("/allocations/batches/new/")
    page.fill("#id_year", str(year))
    page.fill("#id_title", "第一批稀土冶炼分离总量控制指标（浏览器测试）")
    page.fill("#id_document_no", f"工信部联原〔{year}〕88号")
    page.locator("form button.primary[type=submit]").click()
    page.wait_for_url(re.compile(r".*/allocations/batches/\d+/$"))
    batch_url = page.url

    # add a line inline (htmx): recipient, type, tonnes
    editor = page.locator("form.line-editor")
    editor.locator("select[name=recipient]").select_option(f"e{huamei.pk}")
    editor.locator("select[name=indicator_type]").select_option("smelting_separation")
    editor.locator("input[name=tonnes]").fill("1234.5")
    editor.locator("button[type=submit]").click()
    expect(page.locator("#batch-lines tbody tr")).to_have_count(1)
    expect(page.locator("#batch-lines tbody")).to_contain_text(huamei.name)
    page.locator("form:has(input[name=action][value=submit]) button").click()
    expect(page.locator(".page-head .badge")).to_have_class(re.compile("badge-submitted"))
    logout(page)

    # the second person, the ministry approver, approves = issues it
    login(page, "miit_approver")
    page.goto(batch_url)
    page.locator("form:has(input[name=action][value=approve]) button").click()
    expect(page.locator(".page-head .badge")).to_have_class(re.compile("badge-issued"))
    # issuing cannot be undone: the approver confirmed a summary of it, and is told what happened
    assert len(page.confirmations) == 1 and "1,234.500" in page.confirmations[0], page.confirmations
    expect(page.locator(".messages")).to_contain_text("1,234.500")
    logout(page)

    # the enterprise sees its indicator on its dashboard
    login(page, "huamei_filer")
    expect(page.locator("[data-kpi='effective-smelting_separation']")).to_have_text("1,234.500")
    expect(page.locator("canvas#dash-quota")).to_be_visible()
    page.wait_for_function("() => { const c = document.querySelector('canvas#dash-quota'); return c && c.dataset.drawn; }")


def _start_report(page):
    page.goto("/reports/")
    page.locator("form[action='/reports/new/']:not(:has(input[name=nil])) button.primary").first.click()
    page.wait_for_url(re.compile(r".*/reports/\d+/edit/$"))


def _add_row(page, section):
    rows = page.locator(f"#{section}-rows tr")
    n = rows.count()
    page.locator(f"button[hx-get$='/edit/row/{section}/']").click()
    expect(rows).to_have_count(n + 1)
    return rows.nth(n)


def test_enterprise_fills_report_gets_inline_error_fixes_and_submits_before_deadline(quota_world, browser_page,
                                                                                    before_deadline):
    page = browser_page
    page.clock.set_fixed_time(before_deadline)  # the browser's countdown runs on the same frozen Beijing time
    issue_to(quota_world, quota_world["enterprises"]["huamei"], "5000")
    login(page, "huamei_filer")
    # the dashboard counts down to the Beijing-time deadline
    expect(page.locator("#report-due time.countdown")).not_to_have_class(re.compile("passed"))
    _start_report(page)

    prod = _add_row(page, "production")
    prod.locator("select[name$='-indicator_type']").select_option("smelting_separation")
    prod.locator("select[name$='-product']").select_option("PRND_OXIDE")
    prod.locator("input[name$='-tonnes']").fill("12,5吨")  # not a number
    inv = _add_row(page, "inventory")
    inv.locator("select[name$='-product']").select_option("PRND_OXIDE")
    inv.locator("input[name$='-opening']").fill("0")
    inv.locator("input[name$='-closing']").fill("12.5")
    # a line added by mistake is removed with its ✕ button, from the keyboard (no inline script: CSP)
    extra = _add_row(page, "inputs")
    extra.locator("[data-remove-row]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#inputs-rows tr")).to_have_count(0)
    page.check("input[name=attest]")  # 如实记录
    page.locator("button[name=then][value=submit]").click()

    # inline error on the quantity, the input kept, the focus on the first invalid field
    bad = page.locator("#production-rows input[name$='-tonnes']")
    expect(bad).to_have_attribute("aria-invalid", "true")
    expect(bad).to_have_value("12,5吨")
    expect(page.locator("#production-rows .errorlist")).to_contain_text("不是数字")
    expect(page.locator("#inventory-rows input[name$='-closing']")).to_have_value("12.5")
    expect(bad).to_be_focused()

    bad.fill("12.5")
    page.check("input[name=attest]")  # 如实记录
    page.locator("button[name=then][value=submit]").click()
    page.wait_for_url(re.compile(r".*/reports/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("已提交")
    expect(page.locator(".page-head .badge-submitted, h1 .badge-submitted").first).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("逾期报送")

    report = MonthlyReport.objects.get(enterprise=quota_world["enterprises"]["huamei"], is_current=True)
    assert report.status == "submitted" and not report.late


def test_county_returns_enterprise_resubmits_county_accepts_dashboard_changes(quota_world, browser_page, new_page):
    world = quota_world
    huamei = world["enterprises"]["huamei"]
    issue_to(world, huamei, "5000")
    year, month = world["year"], None

    year, month = due_period(timezone.now())
    data = {"nil": False, "comment": "", "inputs": [], "shipments": [],
            "production": [{"indicator_type": "smelting_separation", "product": "PRND_OXIDE", "tonnes": "40.000"}],
            "inventory": [{"product": "PRND_OXIDE", "opening": "0.000", "closing": "40.000"}]}
    report = rep.report_create(actor=world["users"]["huamei_filer"], enterprise=huamei, year=year, month=month,
                               data=data)
    rep.report_submit(attest=True, actor=world["users"]["huamei_filer"], report=report)

    county = browser_page
    login(county, "jiuyuan_reviewer")
    queue_before = county.locator("[data-kpi=queue]").inner_text()
    assert queue_before == "1"
    county.goto(f"/reports/{report.pk}/")
    county.fill("#rc", "氧化镨钕产量与库存不符，请核对后重新报送。")
    county.locator("button[formaction$='/return/']").click()
    expect(county.locator(".messages")).to_contain_text("退回")

    ent = new_page()
    login(ent, "huamei_filer")
    ent.goto(f"/reports/{report.pk}/")
    expect(ent.locator("body")).to_contain_text("氧化镨钕产量与库存不符")
    ent.locator("form[action$='/amend/'] button").click()
    ent.wait_for_url(re.compile(r".*/reports/\d+/edit/$"))
    ent.locator("#production-rows input[name$='-tonnes']").fill("38.000")
    ent.locator("#inventory-rows input[name$='-closing']").fill("38.000")
    ent.check("input[name=attest]")  # 如实记录
    ent.locator("button[name=then][value=submit]").click()
    ent.wait_for_url(re.compile(r".*/reports/\d+/$"))
    expect(ent.locator(".messages")).to_contain_text("已提交")
    new_pk = int(re.search(r"/reports/(\d+)/$", ent.url).group(1))
    ent.goto("/")
    expect(ent.locator("[data-kpi='used-smelting_separation']")).to_have_text("0.000")

    county.goto("/")
    expect(county.locator("[data-kpi=queue]")).to_have_text("1")
    county.goto(f"/reports/{new_pk}/")
    county.locator("form[action$='/accept/'] button[type=submit]:not([formaction])").click()
    expect(county.locator(".messages")).to_contain_text("接收")
    county.goto("/")
    expect(county.locator("[data-kpi=queue]")).to_have_text("0")

    ent.goto("/")
    expect(ent.locator("[data-kpi='used-smelting_separation']")).to_have_text("38.000")
