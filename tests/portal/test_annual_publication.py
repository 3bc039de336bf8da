"""Issue 14 — publication is a decision (national totals, penalty decisions), and the ministry's annual execution
overview (page with chart, Excel, PDF)."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from allocations.models import NationalPlan, PlanStatus
from allocations.services import plan_approve, plan_create
from enforcement import services as enf
from organizations.models import AuditEntry, Publication, PublicationKind
from organizations.publication import publication_publish
from portal.templatetags.portal import tonnes
from quota_portal.errors import Conflict, NotPermitted
from tests.builders import bj, file_report, issue, second_reviewer, smelter_month

pytestmark = pytest.mark.django_db


def U(name):
    return get_user_model().objects.get(username=name)


def test_an_unpublished_2026_total_is_absent_from_public(demo_orgs, page):
    plan = NationalPlan.objects.filter(year=2026, indicator_type="mining_rock", status=PlanStatus.APPROVED).first()
    if plan is None:  # (the full demo of the portal package may already have one, unpublished)
        plan = plan_create(actor=U("miit_official"), year=2026, indicator_type="mining_rock",
                           total_t=Decimal("271234.567"))
        plan = plan_approve(actor=U("miit_approver"), plan=plan)
    assert not Publication.objects.filter(kind="national_totals", key="2026").exists()
    anon = page(None)
    shown = tonnes(plan.total_t)
    row_2026 = re.compile(r'<th scope="row">2026</th>(.*?)</tr>')
    for url in ("/public/", "/public/totals/"):
        html = anon.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert not row_2026.search(html) and "271,234.567" not in html
    # only the ministry publishes
    for username in ("jiuyuan_reviewer", "huamei_filer"):
        with pytest.raises(NotPermitted):
            publication_publish(actor=U(username), kind=PublicationKind.NATIONAL_TOTALS, key=2026)
    r = page("miit_official").post("/portal/publications/publish/",
                                   {"kind": "national_totals", "key": "2026", "next": "/portal/annual-overview/"})
    assert r.status_code == 302
    pub = Publication.objects.get(kind="national_totals", key="2026")
    assert pub.published_by.username == "miit_official" and pub.published_at
    assert AuditEntry.objects.filter(action="publication.publish").exists()
    row = row_2026.search(anon.get("/public/totals/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert row and shown in row.group(1)
    with pytest.raises(Conflict):
        publication_publish(actor=U("miit_approver"), kind=PublicationKind.NATIONAL_TOTALS, key=2026)
    assert page("huamei_filer").post("/portal/publications/publish/", {"kind": "national_totals",
                                                                       "key": "2027"}).status_code == 404


def test_a_penalty_decision_appears_publicly_only_once_published_and_leaves_when_annulled(demo_orgs, page):
    hefa = demo_orgs["enterprises"]["hefa"]
    case = enf.case_open(actor=U("jiuyuan_reviewer"), enterprise=hefa, origin="inspection", title="Inspection")
    p = enf.penalty_propose(actor=U("jiuyuan_reviewer"), case=case, violation_type="flow_records",
                            violation_date=dt.date(2025, 5, 1), fine_cny="50000", deductions=[],
                            now=bj(2026, 3, 2, 10))
    enf.statement_submit(actor=U("hefa_filer"), penalty=p, waived=True, now=bj(2026, 3, 2, 11))
    enf.penalty_decide(actor=U("jiuyuan_reviewer"), penalty=p, consideration="Waived.", now=bj(2026, 3, 3))
    p = enf.penalty_approve(actor=second_reviewer(hefa.county), penalty=p, now=bj(2026, 3, 4))
    anon = page(None)
    before = anon.get("/public/penalties/").content.decode().count(hefa.name)  # the demo may have published one
    html = page("miit_approver").get(f"/enforcement/cases/{case.pk}/").content.decode()
    assert 'id="publish-penalty"' in html
    page("miit_approver").post("/portal/publications/publish/", {"kind": "penalty", "key": p.pk,
                                                                 "next": f"/enforcement/cases/{case.pk}/"})
    assert anon.get("/public/penalties/").content.decode().count(hefa.name) == before + 1
    review = enf.review_file(actor=U("jiuyuan_reviewer"), penalty=p, kind="litigation",
                             filed_on=dt.date(2026, 4, 1), body="包头市九原区人民法院")
    enf.review_decide(actor=U("jiuyuan_reviewer"), review=review, outcome="annulled", decided_on=dt.date(2026, 6, 1))
    assert anon.get("/public/penalties/").content.decode().count(hefa.name) == before


@pytest.fixture
def year_2025(demo_orgs):
    huamei = demo_orgs["enterprises"]["huamei"]
    issue(2025, [(huamei, "smelting_separation", 100)])
    file_report(huamei, 2025, 3, smelter_month(130))
    enf.flag_scan_quota_usage(year=2025)
    return huamei


def test_annual_overview_page_excel_pdf(year_2025, page):
    c = page("miit_official")
    html = c.get("/portal/annual-overview/?year=2025").content.decode()
    assert year_2025.name in html and 'data-chart' in html
    row = html[html.index(year_2025.name, html.index('id="overview-enterprises"')):]
    row = row[:row.index("</tr>")]
    for figure in ("100.000", "130.000", "30.000"):  # issued, used, overrun
        assert figure in row, figure
    xlsx = c.get("/portal/annual-overview/?year=2025&format=xlsx")
    wb = load_workbook(io.BytesIO(xlsx.content))
    sheet = wb.worksheets[0]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    r = rows[year_2025.name]
    assert r[3] == 100.0 and r[7] == 130.0 and r[9] == 30.0 and r[10] >= 1  # issued, used, overrun, violations
    pdf = c.get("/portal/annual-overview.pdf?year=2025")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert page("huamei_filer").get("/portal/annual-overview/?year=2025").status_code == 404
    # a county sees only its own enterprises
    assert year_2025.name not in page("longnan_reviewer").get("/portal/annual-overview/?year=2025").content.decode()
