"""Issuance notice (page and Chinese PDF) and the pages of each role."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from allocations.models import Adjustment, IssuanceBatch
from allocations.services import breakdown_file

pytestmark = pytest.mark.django_db
D = Decimal
DOC = "工信部联原〔2024〕25号"


@pytest.fixture
def batch_2024(plan, issue, demo_orgs):
    plan(2024, "mining_rock", "250850")
    plan(2024, "mining_ion", "19150")
    plan(2024, "smelting_separation", "254000")
    g = demo_orgs["groups"]
    return issue(2024, [
        {"group": g["north"], "indicator_type": "mining_rock", "tonnes": D("94580")},
        {"group": g["north"], "indicator_type": "smelting_separation", "tonnes": D("88010")},
        {"group": g["crg"], "indicator_type": "mining_rock", "tonnes": D("30280")},
        {"group": g["crg"], "indicator_type": "mining_ion", "tonnes": D("10140")},
        {"group": g["crg"], "indicator_type": "smelting_separation", "tonnes": D("38990")},
    ], title="2024年第一批稀土开采、冶炼分离总量控制指标", document_no=DOC)


def test_notice_page_in_chinese(batch_2024, page):
    r = page("miit_official").get(f"/allocations/batches/{batch_2024.pk}/notice/")
    body = r.content.decode()
    assert r.status_code == 200
    for text in (DOC, "2024年第一批", "岩矿型稀土开采", "离子型稀土开采", "冶炼分离", "中国北方稀土", "总计",
                 "182,590.000", "127,000.000", "262,000.000", "开采指标合计 135,000.000"):
        assert text in body, text


def test_notice_pdf(batch_2024, page):
    r = page("miit_official").get(f"/allocations/batches/{batch_2024.pk}/notice.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert DOC in text.replace(" ", "") and "冶炼分离" in text
    # Outside the scope, neither the page nor the PDF exists.
    assert page("longnan_reviewer").get(f"/allocations/batches/{batch_2024.pk}/notice.pdf").status_code == 404


def test_ministry_pages_and_htmx_line_editor(plan, ministry, page, demo_orgs):
    plan(2026, "smelting_separation", "100000")
    c = page("miit_official")
    for url in ("/allocations/plans/", "/allocations/batches/", "/allocations/balance/", "/allocations/quotas/",
                "/allocations/adjustments/", "/allocations/breakdowns/", "/"):
        assert c.get(url).status_code == 200, url
    r = c.post("/allocations/batches/new/", {"year": 2026, "title": "第二批", "document_no": "X-1"})
    batch = IssuanceBatch.objects.get(document_no="X-1")
    assert r.status_code == 302 and r["Location"].endswith(f"/allocations/batches/{batch.pk}/")
    ent = demo_orgs["enterprises"]
    add = f"/allocations/batches/{batch.pk}/lines/"
    r = c.post(add, {"recipient": f"e{ent['hefa'].pk}", "indicator_type": "smelting_separation", "tonnes": "12.5"},
               HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="batch-lines"' in r.content.decode() and "12.500" in r.content.decode()
    # An ineligible recipient: the fragment shows the rule that failed, nothing is added.
    r = c.post(add, {"recipient": f"e{ent['ynsep'].pk}", "indicator_type": "smelting_separation", "tonnes": "1"},
               HTTP_HX_REQUEST="true")
    assert "minimum smelting capacity" in r.content.decode()
    assert batch.lines.count() == 1
    line = batch.lines.get()
    r = c.post(f"/allocations/batches/{batch.pk}/lines/{line.pk}/remove/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and batch.lines.count() == 0
    c.post(add, {"recipient": f"g{demo_orgs['groups']['north'].pk}", "indicator_type": "smelting_separation",
                 "tonnes": "100"})
    assert c.post(f"/allocations/batches/{batch.pk}/", {"action": "submit"}).status_code == 302
    # The official cannot approve; the approver can.
    assert page("miit_approver").post(f"/allocations/batches/{batch.pk}/", {"action": "approve"}).status_code == 302
    batch.refresh_from_db()
    assert batch.status == "issued" and batch.breakdown_due
    body = page("miit_approver").get(f"/allocations/batches/{batch.pk}/").content.decode()
    assert "Awaited" in body and "Issuance notice" in body


def test_plan_pages_four_eyes(ministry, page):
    c = page("miit_official")
    r = c.post("/allocations/plans/new/", {"year": 2026, "indicator_type": "mining_ion", "total_t": "19150",
                                           "reserve_t": "150", "basis": "demo"})
    assert r.status_code == 302
    detail = r["Location"]
    r = page("miit_approver").post(detail, {"action": "approve"})
    assert r.status_code == 302
    body = page("miit_approver").get(detail).content.decode()
    assert "Approved" in body and "Draft a revision" in body
    assert page("jiuyuan_reviewer").get("/allocations/adjustments/").status_code == 404
    assert page("huamei_filer").get("/allocations/balance/").status_code == 404


def test_enterprise_and_group_pages(batch_2024, page, user, demo_orgs):
    line = batch_2024.lines.get(group=demo_orgs["groups"]["north"], indicator_type="smelting_separation")
    assert f"/allocations/breakdowns/line/{line.pk}/" in page("north_manager").get("/").content.decode()
    breakdown_file(actor=user("north_manager"), line=line, shares=[
        {"enterprise": demo_orgs["enterprises"]["huamei"], "tonnes": D("88010")}])
    r = page("huamei_filer").get("/allocations/quotas/?year=2024")
    body = r.content.decode()
    assert r.status_code == 200 and "88,010.000" in body and "My indicators 2024" in body
    assert "No indicator issued" in page("hefa_filer").get("/allocations/quotas/?year=2024").content.decode()
    assert page("huamei_filer").get("/").status_code == 200


def test_adjustment_pages_four_eyes(plan, ministry, page, demo_orgs):
    plan(2026, "smelting_separation", "1000")
    hefa = demo_orgs["enterprises"]["hefa"]
    r = page("miit_official").post("/allocations/adjustments/", {
        "action": "propose", "enterprise": hefa.pk, "year": 2026, "indicator_type": "smelting_separation",
        "tonnes": "-0", "reason": "x"})
    assert r.status_code == 400 and "cannot be zero" in r.content.decode()
    r = page("miit_official").post("/allocations/adjustments/", {
        "action": "propose", "enterprise": hefa.pk, "year": 2026, "indicator_type": "smelting_separation",
        "tonnes": "12.5", "reason": "Rounding of the first batch"})
    assert r.status_code == 302
    adj = Adjustment.objects.get()
    # Only another approver sees the approve button and can approve.
    assert "Approve" in page("miit_approver").get("/allocations/adjustments/").content.decode()
    page("miit_official").post("/allocations/adjustments/", {"action": "approve", "adjustment": adj.pk})
    adj.refresh_from_db()
    assert adj.status == "draft"
    page("miit_approver").post("/allocations/adjustments/", {"action": "approve", "adjustment": adj.pk})
    adj.refresh_from_db()
    assert adj.status == "approved" and adj.approved_by.username == "miit_approver"
