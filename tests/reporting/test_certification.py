"""Period certification county → city → province: refused while a report is open, locks, re-opens."""

import datetime as dt

import pytest

from organizations.models import AuditEntry, Authority
from organizations.services import enterprise_upsert, licence_upsert, user_with_membership_upsert
from organizations.validators import make_credit_code
from quota_portal.errors import Conflict
from reporting import corrections, services
from reporting.models import MonthlyReport, PeriodCertification

from .conftest import mine_payload

pytestmark = pytest.mark.django_db


def _certify(api, username, code, year=2025, month=3):
    return api(username).post("/api/v1/certifications/certify/",
                              {"authority": Authority.objects.get(code=code).pk, "year": year, "month": month},
                              format="json", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def baotou_march(demo_orgs, filed, users):
    """All four Baotou enterprises file March 2025; Hefa's report is left awaiting review."""
    filed("huamei", 2025, 3, accept=True)
    hefa = filed("hefa", 2025, 3, payload={"nil": True})
    filed("bymine", 2025, 3, accept=True, payload=mine_payload(demo_orgs, 2025, 3))
    filed("tianhe", 2025, 3, accept=True, payload={"nil": True})
    return hefa


def test_county_certification_refused_while_a_report_is_open(baotou_march, api, users):
    r = _certify(api, "jiuyuan_reviewer", "150207")
    assert r.status_code == 409 and "内蒙古包钢和发稀土有限公司" in r.json()["detail"]
    assert not PeriodCertification.objects.exists()
    services.report_accept(actor=users["jiuyuan_reviewer"], report=baotou_march)
    r = _certify(api, "jiuyuan_reviewer", "150207")
    assert r.status_code == 201 and r.json()["certified"] is True
    assert _certify(api, "jiuyuan_reviewer", "150207").status_code == 409  # already certified
    assert _certify(api, "longnan_reviewer", "150207").status_code == 400  # not its authority (out of scope)
    assert _certify(api, "huamei_filer", "150207").status_code in (400, 403)


def test_certification_goes_up_and_an_amendment_reopens_it(baotou_march, api, users, filed):
    services.report_accept(actor=users["jiuyuan_reviewer"], report=baotou_march)
    assert _certify(api, "jiuyuan_reviewer", "150207").status_code == 201
    r = _certify(api, "baotou_viewer", "150200")
    assert r.status_code == 409 and "白云鄂博矿区" in r.json()["detail"]  # its other counties have not certified
    assert _certify(api, "rev_150206", "150206").status_code == 201
    assert _certify(api, "rev_150203", "150203").status_code == 201
    assert _certify(api, "nmg_viewer", "150000").status_code == 409  # the city first
    assert _certify(api, "baotou_viewer", "150200").status_code == 201
    assert _certify(api, "nmg_viewer", "150000").status_code == 201
    rows = api("nmg_viewer").get("/api/v1/summaries/?year=2025&month=3&level=county").json()["results"]
    assert all(r["certified"] for r in rows)

    # Certified data are locked: an enterprise licensed later cannot slip a March report in.

    late_ent = enterprise_upsert(credit_code=make_credit_code("91150207MA0N00001"), name="新设冶炼厂",
                                 county=Authority.objects.get(code="150207"))
    licence_upsert(enterprise=late_ent, activity="smelting_separation", number="S-NEW-1",
                   valid_from=dt.date(2025, 4, 1), valid_to=dt.date(2029, 12, 31))
    new_filer = user_with_membership_upsert(username="new_filer", password=None, role="enterprise_filer",
                                            enterprise=late_ent)
    with pytest.raises(Conflict):
        services.report_create(actor=new_filer, enterprise=late_ent, year=2025, month=3, data={"nil": True})

    # Certified means locked: the amendment is refused until the county grants a correction, which re-opens the
    # county and every level above (audited, with notice).
    huamei = api("huamei_filer").get("/api/v1/reports/?year=2025&month=3").json()["results"][0]
    r = api("huamei_filer").post(f"/api/v1/reports/{huamei['id']}/amend/")
    assert r.status_code == 409 and r.json()["code"] == "month_certified"
    req = corrections.correction_request(actor=users["huamei_filer"], report=MonthlyReport(pk=huamei["id"]),
                                         reason="Weighing slip misread")
    corrections.correction_grant(actor=users["jiuyuan_reviewer"], request=req)
    assert set(PeriodCertification.objects.filter(certified=True).values_list("authority__code", flat=True)) == {
        "150206", "150203"}
    reopen = AuditEntry.objects.filter(action="period.reopen")
    assert reopen.count() == 3 and "2025-03" in reopen.first().after["reason"]
    assert reopen.first().actor_username == "jiuyuan_reviewer"
    r = api("huamei_filer").post(f"/api/v1/reports/{huamei['id']}/amend/")
    assert r.status_code == 201


def test_manual_reopen_needs_a_reason_and_is_audited(baotou_march, api, users):
    services.report_accept(actor=users["jiuyuan_reviewer"], report=baotou_march)
    assert _certify(api, "jiuyuan_reviewer", "150207").status_code == 201
    county = Authority.objects.get(code="150207")
    c = api("jiuyuan_reviewer")
    r = c.post("/api/v1/certifications/reopen/", {"authority": county.pk, "year": 2025, "month": 3, "reason": ""},
               format="json")
    assert r.status_code == 400 and "reason" in r.json()["errors"]
    assert PeriodCertification.objects.get(authority=county).certified
    r = c.post("/api/v1/certifications/reopen/", {"authority": county.pk, "year": 2025, "month": 3,
                                                  "reason": "Weighing slips of Hefa under inspection"}, format="json")
    assert r.status_code == 200
    cert = PeriodCertification.objects.get(authority=county)
    assert not cert.certified and cert.reopen_reason == "Weighing slips of Hefa under inspection"
    entry = AuditEntry.objects.get(action="period.reopen")
    assert entry.actor_username == "jiuyuan_reviewer" and entry.after["reason"].startswith("Weighing slips")
    assert _certify(api, "jiuyuan_reviewer", "150207").status_code == 201  # certify again after the check


def test_certification_page(baotou_march, page_en, users):
    services.report_accept(actor=users["jiuyuan_reviewer"], report=baotou_march)
    c = page_en("jiuyuan_reviewer")
    county = Authority.objects.get(code="150207")
    r = c.post("/reports/certification/", {"authority": county.pk, "year": 2025, "month": 3, "verb": "certify"})
    assert r.status_code == 302
    assert PeriodCertification.objects.get(authority=county).certified
    html = c.get("/reports/certification/?year=2025&month=3").content.decode()
    assert "Re-open" in html


def test_reopening_a_certified_month_is_confirmed_with_what_it_undoes(baotou_march, page, users):
    """Re-opening a certified month asks first, saying what happens; the feedback says what was done."""
    services.report_accept(actor=users["jiuyuan_reviewer"], report=baotou_march)
    c = page("jiuyuan_reviewer")
    county = Authority.objects.get(code="150207")
    c.post("/reports/certification/", {"authority": county.pk, "year": 2025, "month": 3, "verb": "certify"})
    html = c.get("/reports/certification/?year=2025&month=3").content.decode()
    assert f'data-confirm="确认重新开放{county.name} 2025年3月的数据？确认将被撤销，当月报告可再次更正，上级各层须重新确认。"' \
        in html, html
    r = c.post("/reports/certification/", {"authority": county.pk, "year": 2025, "month": 3, "verb": "reopen",
                                           "reason": "和发过磅单正在核查"}, follow=True)
    assert f"{county.name}已重新开放2025年03月数据。" in r.content.decode()
    assert not PeriodCertification.objects.get(authority=county).certified
