"""The register journey in headless Chromium, in Chinese: the ministry designates a new enterprise, a second
person (the approver) approves, the ministry invites its manager, who accepts the invitation, invites a filer,
and the filer files the enterprise's monthly report."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from organizations.models import Enterprise, OutboxMessage
from organizations.validators import make_credit_code
from reporting.models import MonthlyReport

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Rare-Earth-2026-journey"


def logout(page):
    page.locator("form[action='/logout/'] button").click()
    page.wait_for_url(re.compile(r".*/login/"))


def _invitation_link() -> str:
    msg = OutboxMessage.objects.filter(task_name="organizations.tasks.send_account_email").latest("id")
    return re.search(r"(/invitations/[^/\s]+/)", msg.kwargs["body"]).group(1)


def _accept(page, username):
    page.goto(_invitation_link())
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.locator("form button.primary[type=submit]").click()
    page.wait_for_url(re.compile(r".*/login/"))


def test_ministry_designates_approver_approves_manager_invites_filer_who_files(quota_world, browser_page):
    page = browser_page
    year = quota_world["year"]
    code = make_credit_code("91150207MA0E2E001")

    login(page, "miit_official")
    page.goto("/register/decisions/new/")
    page.fill("#id_name", "浏览器测试稀土分离有限公司")
    page.fill("#id_credit_code", code)
    page.fill("#id_county", "150207")
    page.locator("#id_activity").select_option("smelting_separation")
    page.locator("#id_kind").select_option("designate")
    page.fill("#id_document_no", f"工信部原函〔{year}〕66号")
    page.fill("#id_effective_from", f"{year - 1}-01-01")
    page.fill("#id_basis", "《稀土管理条例》第八条")
    page.locator("form button.primary[type=submit]").click()
    page.wait_for_url(re.compile(r".*/register/decisions/$"))
    expect(page.locator("table.data")).to_contain_text("浏览器测试稀土分离有限公司")
    # the official sees no approve button: a second person decides
    expect(page.locator("button[value=approve]")).to_have_count(0)
    logout(page)

    login(page, "miit_approver")
    page.goto("/register/decisions/")
    row = page.locator("tr", has_text="浏览器测试稀土分离有限公司")
    row.locator("button[value=approve]").click()
    expect(page.locator(".messages")).to_contain_text("决定已批准")
    ent = Enterprise.objects.get(credit_code=code)
    page.goto(f"/enterprises/{ent.pk}/")
    expect(page.locator("dl.facts")).to_contain_text("定点")
    # the ministry invites the enterprise's first manager
    page.locator(f"a[href='/staff/enterprise/{ent.pk}/']").click()
    page.fill("#id_email", "manager@e2e.example.cn")
    page.locator("#id_role").select_option("enterprise_manager")
    page.locator("form button.primary[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("manager@e2e.example.cn")
    logout(page)

    _accept(page, "e2e_manager")
    login(page, "e2e_manager", PASSWORD)
    page.goto("/staff/")
    page.fill("#id_email", "filer@e2e.example.cn")
    page.locator("#id_role").select_option("enterprise_filer")
    page.locator("form button.primary[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("filer@e2e.example.cn")
    logout(page)

    _accept(page, "e2e_filer")
    login(page, "e2e_filer", PASSWORD)
    page.goto("/reports/")
    nil_form = page.locator("form[action='/reports/new/']:has(input[name=nil])").first
    nil_form.locator("input[name=attest]").check()  # 如实记录
    nil_form.locator("button.primary").click()
    page.wait_for_url(re.compile(r".*/reports/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("已提交")
    report = MonthlyReport.objects.get(enterprise=ent, is_current=True)
    assert report.status == "submitted" and report.nil and report.submitted_by.username == "e2e_filer"
