"""Issue 14 — the annual cycle: annual report from the accepted months, attestation, review, versions, late and
missing, reminders; the year-end close up the chain to the ministry, locked until a recorded re-opening;
correction requests on certified months; the county review deadline in working days."""

import datetime as dt
from decimal import Decimal

import pytest

from organizations.models import AuditEntry, Authority, Notification
from quota_portal.errors import Conflict, DomainValidationError, InvalidTransition
from reporting import annual, corrections, services
from reporting.models import (
    AnnualReport,
    CorrectionRequest,
    MonthlyReport,
    PeriodCertification,
    ReportStatus,
    SupplementaryRequest,
    YearCertification,
)
from tests.builders import bj

from .conftest import huamei_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def huamei_year(demo_orgs, filed):
    """Huamei 2025: February and March accepted (10 t each), April submitted but not accepted (10 t)."""
    filed("huamei", 2025, 2, payload=huamei_payload(demo_orgs, 2025, 2), accept=True)
    filed("huamei", 2025, 3, payload=huamei_payload(demo_orgs, 2025, 3, opening_bast="8.000", opening_prnd="4.000"),
          accept=True)
    return filed("huamei", 2025, 4, payload=huamei_payload(demo_orgs, 2025, 4, opening_bast="16.000",
                                                            opening_prnd="8.000"))


def _ent(demo_orgs, key="huamei"):
    return demo_orgs["enterprises"][key]


def test_annual_totals_equal_the_sum_of_the_accepted_months(demo_orgs, huamei_year):
    totals = annual.annual_totals(enterprise=_ent(demo_orgs), year=2025)
    accepted = MonthlyReport.objects.filter(enterprise=_ent(demo_orgs), year=2025, status=ReportStatus.ACCEPTED)
    assert sorted(accepted.values_list("month", flat=True)) == [2, 3] == totals["months"]
    produced = sum(line.tonnes for r in accepted for line in r.production_lines.all())
    assert Decimal(totals["production"]["smelting_separation"]) == produced == Decimal("20.000")
    inputs = sum(line.tonnes for r in accepted for line in r.input_lines.all())
    assert sum(Decimal(i["tonnes"]) for i in totals["inputs"]) == inputs
    out = sum(f.tonnes for r in accepted for f in r.flow_lines.filter(direction="out"))
    assert sum(Decimal(s["tonnes"]) for s in totals["shipments"] if s["direction"] == "out") == out
    # year-end inventory: the closing stock of the last accepted month (March), not of the unaccepted April
    march = accepted.get(month=3)
    assert {i["product"]: Decimal(i["closing"]) for i in totals["inventory"]} == {
        line.product_id: line.closing for line in march.inventory_lines.all()}
    assert 4 in totals["missing_months"]


def test_annual_report_submit_attest_review_versions(demo_orgs, huamei_year, users):
    filer, reviewer = users["huamei_filer"], users["jiuyuan_reviewer"]
    with pytest.raises(DomainValidationError):  # the year has not ended
        annual.annual_create(actor=filer, enterprise=_ent(demo_orgs), year=2026, now=bj(2026, 6, 1))
    report = annual.annual_create(actor=filer, enterprise=_ent(demo_orgs), year=2025, now=bj(2026, 1, 5))
    assert report.due_at == bj(2026, 2, 1)  # end of 31 January, Beijing time
    # no attestation, no responsible person, no explanation for the missing months → refused, nothing written
    with pytest.raises(DomainValidationError) as exc:
        annual.annual_submit(actor=filer, report=report, now=bj(2026, 1, 20))
    assert {"attest", "responsible_person", "explanation"} <= set(exc.value.errors)
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and report.attested_at is None
    annual.annual_update(actor=filer, report=report, data={
        "responsible_person": "张经理", "capacity_t": "15000", "declared_production": {"smelting_separation": "20"},
        "explanation": "Only February and March were produced; April is under review."})
    report = annual.annual_submit(actor=filer, report=report, attest=True, now=bj(2026, 1, 20))
    assert report.status == ReportStatus.SUBMITTED and not report.late
    assert report.attested_by == filer and report.attested_at == bj(2026, 1, 20) and report.attested_name
    assert report.totals["production"] == {"smelting_separation": "20.000"}
    assert report.totals["capacity_utilisation_percent"] == "0.1"
    assert report.execution == {} or "smelting_separation" in report.execution
    assert AuditEntry.objects.filter(action="annual.submit", after__attested_at__isnull=False).exists()
    # declared figures that disagree with the months need an explanation (here there is one)
    assert annual.disagreements(totals=report.totals, declared={"smelting_separation": "21"}) == [
        "smelting_separation"]
    report = annual.annual_return(actor=reviewer, report=report, comment="Capacity is 15,000 t? check")
    v2 = annual.annual_amend(actor=filer, report=report)
    assert v2.version == 2 and v2.previous_version_id == report.pk and v2.responsible_person == "张经理"
    v2 = annual.annual_submit(actor=filer, report=v2, attest=True, now=bj(2026, 2, 5))
    assert v2.late is False  # the first submission was on time
    v2 = annual.annual_accept(actor=reviewer, report=v2)
    assert v2.status == ReportStatus.ACCEPTED


def test_late_missing_and_reminders(demo_orgs, huamei_year, filed, users):
    filed("hefa", 2025, 3, payload={"nil": True}, accept=True)
    rows = {r["enterprise"].pk: r for r in annual.annual_status_list(user=users["jiuyuan_reviewer"], year=2025,
                                                                     now=bj(2026, 2, 2))}
    assert rows[_ent(demo_orgs).pk]["missing"] and rows[_ent(demo_orgs, "hefa").pk]["missing"]
    sent = annual.annual_reminders_send(now=bj(2026, 1, 20))
    assert sent >= 2
    assert annual.annual_reminders_send(now=bj(2026, 1, 21)) == 0  # once per enterprise and year
    assert Notification.objects.filter(kind="annual_reminder", user=users["huamei_filer"]).count() == 1
    r = annual.annual_create(actor=users["hefa_filer"], enterprise=_ent(demo_orgs, "hefa"), year=2025,
                             data={"responsible_person": "李总", "explanation": "Only March"}, now=bj(2026, 2, 3))
    r = annual.annual_submit(actor=users["hefa_filer"], report=r, attest=True, now=bj(2026, 2, 3))
    assert r.late


def _annual_accepted(demo_orgs, users, key="huamei"):
    filer = users[f"{key}_filer"]
    r = annual.annual_create(actor=filer, enterprise=_ent(demo_orgs, key), year=2025,
                             data={"responsible_person": "张经理", "explanation": "Produced in Feb–Mar only."},
                             now=bj(2026, 1, 10))
    r = annual.annual_submit(actor=filer, report=r, attest=True, now=bj(2026, 1, 10))
    return annual.annual_accept(actor=users["jiuyuan_reviewer"], report=r)


def test_year_end_close_up_the_chain_and_locked_until_reopened(demo_orgs, filed, users):
    filed("huamei", 2025, 2, payload=huamei_payload(demo_orgs, 2025, 2), accept=True)
    county, city, prov, ministry = (Authority.objects.get(code=c) for c in ("150207", "150200", "150000", "100000"))
    with pytest.raises(Conflict):  # the annual report is not accepted yet
        annual.year_certify(actor=users["jiuyuan_reviewer"], authority=county, year=2025)
    assert not YearCertification.objects.exists()
    report = _annual_accepted(demo_orgs, users)
    with pytest.raises(Conflict):  # the county first
        annual.year_certify(actor=users["baotou_viewer"], authority=city, year=2025)
    annual.year_certify(actor=users["jiuyuan_reviewer"], authority=county, year=2025)
    annual.year_certify(actor=users["baotou_viewer"], authority=city, year=2025)
    annual.year_certify(actor=users["nmg_viewer"], authority=prov, year=2025)
    annual.year_certify(actor=users["miit_approver"], authority=ministry, year=2025)
    assert annual.year_is_closed(2025)
    assert AuditEntry.objects.filter(action="year.close").count() == 1
    # closed: the annual report cannot be amended, a correction cannot be granted
    with pytest.raises(Conflict) as exc:
        annual.annual_amend(actor=users["huamei_filer"], report=report)
    assert exc.value.code == "year_closed"
    february = MonthlyReport.objects.get(enterprise=report.enterprise, year=2025, month=2)
    with pytest.raises(Conflict) as exc:  # nor a monthly report of the closed year
        services.report_amend(actor=users["huamei_filer"], report=february)
    assert exc.value.code == "year_closed"
    # a recorded re-opening (reason, audited) unlocks it
    with pytest.raises(DomainValidationError):
        annual.year_reopen(actor=users["miit_approver"], authority=ministry, year=2025, reason=" ")
    annual.year_reopen(actor=users["miit_approver"], authority=ministry, year=2025, reason="Court ruling on Huamei")
    assert not annual.year_is_closed(2025)
    entry = AuditEntry.objects.get(action="year.reopen")
    assert entry.after["reason"] == "Court ruling on Huamei" and entry.actor_username == "miit_approver"
    with pytest.raises(Conflict):  # still certified by the county
        annual.annual_amend(actor=users["huamei_filer"], report=report)
    annual.year_reopen(actor=users["jiuyuan_reviewer"], authority=county, year=2025, reason="Huamei correction")
    assert annual.annual_amend(actor=users["huamei_filer"], report=report).version == 2


def test_year_end_pages(demo_orgs, filed, users, page_en):
    filed("huamei", 2025, 2, payload=huamei_payload(demo_orgs, 2025, 2), accept=True)
    c = page_en("huamei_filer")
    r = c.post("/reports/annual/new/", {"year": 2025})
    report = AnnualReport.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/reports/annual/{report.pk}/"
    html = c.get(r["Location"]).content.decode()
    table = html[html.index('id="annual-production"'):]
    table = table[:table.index("</table>")]
    assert "20.000" not in table and "10.000" in table  # February only
    r = c.post(f"/reports/annual/{report.pk}/save/", {"then": "submit", "responsible_person": "张经理",
                                                     "explanation": "Feb only"})
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT  # not attested
    c.post(f"/reports/annual/{report.pk}/save/", {"then": "submit", "responsible_person": "张经理",
                                                 "explanation": "Feb only", "attest": "1"})
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    rev = page_en("jiuyuan_reviewer")
    assert "Accept" in rev.get(f"/reports/annual/{report.pk}/").content.decode()
    rev.post(f"/reports/annual/{report.pk}/accept/", {})
    county = Authority.objects.get(code="150207")
    r = rev.post("/reports/year-end/", {"authority": county.pk, "year": 2025, "verb": "certify"})
    assert r.status_code == 302 and YearCertification.objects.get(authority=county).certified
    assert page_en("longnan_reviewer").get(f"/reports/annual/{report.pk}/").status_code == 404


# --- 6. certification means locked -----------------------------------------------------------------------


def test_correction_request_on_an_uncertified_month_is_refused_and_writes_nothing(demo_orgs, filed, users):
    report = filed("huamei", 2025, 3, accept=True)
    before = (CorrectionRequest.objects.count(), AuditEntry.objects.count())
    with pytest.raises(InvalidTransition):
        corrections.correction_request(actor=users["huamei_filer"], report=report, reason="typo")
    assert (CorrectionRequest.objects.count(), AuditEntry.objects.count()) == before


def test_amendment_of_a_certified_month_is_refused_until_a_correction_is_granted(demo_orgs, filed, users):
    report = filed("huamei", 2025, 3, accept=True)
    filed("hefa", 2025, 3, payload={"nil": True}, accept=True)
    county = Authority.objects.get(code="150207")
    services.period_certify(actor=users["jiuyuan_reviewer"], authority=county, year=2025, month=3)
    with pytest.raises(Conflict) as exc:
        services.report_amend(actor=users["huamei_filer"], report=report)
    assert exc.value.code == "month_certified"
    assert MonthlyReport.objects.filter(enterprise=report.enterprise, year=2025, month=3).count() == 1
    req = corrections.correction_request(actor=users["huamei_filer"], report=report, reason="Wrong weighing slip")
    with pytest.raises(Conflict):  # one pending request per report
        corrections.correction_request(actor=users["huamei_filer"], report=report, reason="again")
    with pytest.raises(DomainValidationError):  # a refusal needs a reason
        corrections.correction_refuse(actor=users["jiuyuan_reviewer"], request=req, reason="")
    corrections.correction_refuse(actor=users["jiuyuan_reviewer"], request=req, reason="Slip verified on site")
    with pytest.raises(Conflict):
        services.report_amend(actor=users["huamei_filer"], report=report)
    req2 = corrections.correction_request(actor=users["huamei_filer"], report=report, reason="New evidence")
    corrections.correction_grant(actor=users["jiuyuan_reviewer"], request=req2, reason="ok")
    assert not PeriodCertification.objects.get(authority=county, year=2025, month=3).certified
    v2 = services.report_amend(actor=users["huamei_filer"], report=report)
    assert v2.version == 2
    req2.refresh_from_db()
    assert req2.used
    assert Notification.objects.filter(kind="correction_granted", user=users["huamei_filer"]).exists()


def test_supplementary_report_request(demo_orgs, filed, users):
    report = filed("huamei", 2025, 3, accept=True)
    with pytest.raises(DomainValidationError):
        corrections.supplementary_request(actor=users["jiuyuan_reviewer"], report=report, text="")
    corrections.supplementary_request(actor=users["jiuyuan_reviewer"], report=report, text="Customs papers")
    assert SupplementaryRequest.objects.get().text == "Customs papers"
    assert Notification.objects.filter(kind="supplementary_requested", user=users["huamei_filer"]).exists()


# --- 5. review deadline ----------------------------------------------------------------------------------


def test_review_deadline_counts_official_working_days(settings):
    settings.REVIEW_WORKING_DAYS = 5
    # Submitted Friday 2025-09-26: National Day holidays 1–8 October, Sunday 28 September and Saturday 11 October
    # are adjusted working days → 28 Sep, 29, 30, 9 Oct, 10 Oct.
    assert corrections.review_due_date(bj(2025, 9, 26, 15)) == dt.date(2025, 10, 10)
    # an ordinary week: Monday → the next Monday
    assert corrections.review_due_date(bj(2025, 3, 10, 9)) == dt.date(2025, 3, 17)


def test_overdue_reviews_marked_reminded_and_seen_by_the_city(demo_orgs, filed, users, page_en):
    report = filed("huamei", 2025, 3, now=bj(2025, 4, 1, 10))
    # Tuesday 1 April + 5 working days (Qingming holiday 4–6 April) = Wednesday 9 April
    assert corrections.review_overdue(report, today=dt.date(2025, 4, 9)) is False
    assert corrections.review_overdue(report, today=dt.date(2025, 4, 10)) is True
    today = timezone_today = dt.date(2025, 4, 20)
    assert [r.pk for r in corrections.overdue_reviews(user=users["jiuyuan_reviewer"], today=today)] == [report.pk]
    assert corrections.review_reminders_send(today=today) >= 1
    assert corrections.review_reminders_send(today=timezone_today) == 0
    assert Notification.objects.filter(kind="review_overdue", user=users["jiuyuan_reviewer"]).exists()
    rows = corrections.overdue_by_county(user=users["baotou_viewer"], today=today)
    assert [(r["county"].code, r["n"]) for r in rows] == [("150207", 1)]
    html = page_en("baotou_viewer").get("/reports/overdue-reviews/").content.decode()
    assert "九原区" in html
    listing = page_en("jiuyuan_reviewer").get("/reports/?year=2025&month=3").content.decode()
    assert "review overdue" in listing


# --- 7. attestation --------------------------------------------------------------------------------------


def test_submission_requires_attestation_in_the_api_too(demo_orgs, api, users):
    c = api("huamei_filer")
    rid = c.post("/api/v1/reports/", {"year": 2025, "month": 3, **huamei_payload(demo_orgs)}, format="json").json()["id"]
    r = c.post(f"/api/v1/reports/{rid}/submit/", {}, format="json")
    assert r.status_code == 400 and "attest" in r.json()["errors"]
    assert MonthlyReport.objects.get(pk=rid).status == ReportStatus.DRAFT
    r = c.post(f"/api/v1/reports/{rid}/submit/", {"attest": True, "responsible_person": "王厂长"}, format="json")
    assert r.status_code == 200
    body = r.json()
    assert body["attested_name"] and body["attested_at"] and body["responsible_person"] == "王厂长"
    report = MonthlyReport.objects.get(pk=rid)
    assert report.attested_by == users["huamei_filer"]


def test_annual_report_api_requires_attestation(demo_orgs, huamei_year, api):
    c = api("huamei_filer")
    r = c.post("/api/v1/annual-reports/", {"year": 2025, "responsible_person": "张经理",
                                           "explanation": "April under review"}, format="json")
    assert r.status_code == 201, r.content
    rid = r.json()["id"]
    assert r.json()["totals"]["production"] == {"smelting_separation": "20.000"}
    r = c.post(f"/api/v1/annual-reports/{rid}/submit/", {}, format="json")
    assert r.status_code == 400 and "attest" in r.json()["errors"]
    assert AnnualReport.objects.get(pk=rid).status == ReportStatus.DRAFT
    r = c.post(f"/api/v1/annual-reports/{rid}/submit/", {"attest": True}, format="json")
    assert r.status_code == 200 and r.json()["attested_at"] and r.json()["status"] == "submitted"
    assert api("longnan_reviewer").get(f"/api/v1/annual-reports/{rid}/").status_code == 404
    r = api("jiuyuan_reviewer").post(f"/api/v1/annual-reports/{rid}/accept/", {}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "accepted"


def test_correction_pages_are_scoped(demo_orgs, filed, users, page_en):
    report = filed("huamei", 2025, 3, accept=True)
    filed("hefa", 2025, 3, payload={"nil": True}, accept=True)
    county = Authority.objects.get(code="150207")
    services.period_certify(actor=users["jiuyuan_reviewer"], authority=county, year=2025, month=3)
    assert page_en("hefa_filer").post(f"/reports/corrections/{report.pk}/request/",
                                      {"reason": "x"}).status_code == 404
    assert page_en("huamei_filer").post(f"/reports/corrections/{report.pk}/request/",
                                        {"reason": "typo"}).status_code == 302
    req = CorrectionRequest.objects.get()
    assert page_en("longnan_reviewer").post(f"/reports/corrections/{req.pk}/grant/").status_code == 404
    html = page_en("jiuyuan_reviewer").get(f"/reports/{report.pk}/").content.decode()
    assert "Grant" in html and "typo" in html
    assert page_en("jiuyuan_reviewer").post(f"/reports/corrections/{req.pk}/grant/",
                                            {"reason": "ok"}).status_code == 302
    req.refresh_from_db()
    assert req.status == "granted"
