"""Nil reports, attachments (type by content, size limit), plausibility warnings that block submit."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from openpyxl import Workbook

from quota_portal.errors import DomainValidationError, InvalidTransition
from reporting import services
from reporting.models import Attachment, MonthlyReport, PlausibilityRule, ReportStatus, RuleKind
from reporting.selectors import summary_rows

from .conftest import huamei_payload, mine_payload, row_counts

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def _xlsx_bytes():
    buf = io.BytesIO()

    Workbook().save(buf)
    return buf.getvalue()


def test_nil_report_is_one_click_and_counts_as_filed(demo_orgs, page_en, filed, users):
    filed("huamei", 2025, 2, payload=huamei_payload(demo_orgs, 2025, 2), accept=True)
    c = page_en("huamei_filer")
    # Without the attestation nothing is written.
    c.post("/reports/new/", {"year": 2025, "month": 3, "nil": "1"})
    assert not MonthlyReport.objects.filter(enterprise=demo_orgs["enterprises"]["huamei"], year=2025, month=3).exists()
    r = c.post("/reports/new/", {"year": 2025, "month": 3, "nil": "1", "attest": "1"})
    report = MonthlyReport.objects.get(enterprise=demo_orgs["enterprises"]["huamei"], year=2025, month=3)
    assert r.status_code == 302 and r["Location"] == f"/reports/{report.pk}/"
    assert report.nil and report.status == ReportStatus.SUBMITTED and report.submitted_at
    # Last month's stock is carried over unchanged, so the nil month balances.
    assert {(x.product_id, x.opening, x.closing) for x in report.inventory_lines.all()} == {
        ("BAST_CONC", Decimal("8.000"), Decimal("8.000")), ("PRND_OXIDE", Decimal("4.000"), Decimal("4.000"))}
    assert not report.production_lines.exists() and not report.flow_lines.exists()
    services.report_accept(actor=users["jiuyuan_reviewer"], report=report)

    row = next(r for r in summary_rows(user=users["jiuyuan_reviewer"], year=2025, month=3, level="county"))
    assert row["accepted"] == 1 and row["nil"] == 1


def test_nil_report_through_the_api(demo_orgs, api):
    c = api("hefa_filer")
    r = c.post("/api/v1/reports/", {"year": 2025, "month": 3, "nil": True}, format="json")
    assert r.status_code == 201
    r = c.post(f"/api/v1/reports/{r.json()['id']}/submit/", {"attest": True}, format="json")
    assert r.status_code == 200 and r.json()["nil"] is True and r.json()["status"] == "submitted"
    # A draft with lines becomes a nil report in one call.
    draft = api("huamei_filer").post("/api/v1/reports/", {"year": 2025, "month": 3, **huamei_payload(demo_orgs)},
                                     format="json").json()
    r = api("huamei_filer").post(f"/api/v1/reports/{draft['id']}/file-nil/", {"attest": True}, format="json")
    assert r.status_code == 200 and r.json()["nil"] is True and r.json()["status"] == "submitted"
    assert r.json()["production"] == [] and r.json()["shipments"] == []


def test_attachments_accepted_by_content(demo_orgs, api, filed):
    report = filed("huamei", 2025, 3, submit=False)
    flow = report.flow_lines.order_by("id").first()
    cases = [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"),
             (_xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    for content, ctype in cases:
        f = io.BytesIO(content)
        f.name = "scan.bin"  # the name does not matter, the content does
        r = api("huamei_filer").post(f"/api/v1/reports/{report.pk}/attachments/",
                                     {"file": f, "kind": "weighing", "flow_line": flow.pk}, format="multipart")
        assert r.status_code == 201, r.json()
        assert r.json()["content_type"] == ctype and r.json()["flow_line"] == flow.pk
    detail = api("huamei_filer").get(f"/api/v1/reports/{report.pk}/").json()
    assert len(detail["shipments"][0]["attachments"]) == 4


def test_attachment_refused_by_type_and_size(demo_orgs, api, filed, settings):
    report = filed("huamei", 2025, 3, submit=False)
    c = api("huamei_filer")
    before = row_counts()
    for name, content in [("invoice.pdf", b"MZ\x90\x00 this is an executable"), ("invoice.pdf", b"plain text"),
                          ("book.xlsx", _zip_without_excel())]:
        f = io.BytesIO(content)
        f.name = name
        r = c.post(f"/api/v1/reports/{report.pk}/attachments/", {"file": f}, format="multipart",
                   HTTP_ACCEPT_LANGUAGE="en")
        assert r.status_code == 400 and "file" in r.json()["errors"], name
    settings.ATTACHMENT_MAX_BYTES = 100
    f = io.BytesIO(PDF + b"0" * 200)
    f.name = "big.pdf"
    r = c.post(f"/api/v1/reports/{report.pk}/attachments/", {"file": f}, format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and "limit" in r.json()["errors"]["file"][0]
    assert row_counts() == before
    # A submitted report takes no more documents.
    services.report_submit(attest=True, actor=report.created_by, report=report)
    with pytest.raises(InvalidTransition):
        services.attachment_add(actor=report.created_by, report=report, filename="a.pdf", content=PDF)
    assert Attachment.objects.count() == before[-1]


def _zip_without_excel():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    return buf.getvalue()


def _mine_history(demo_orgs, filed, months, tonnes="100.000"):
    for m in months:
        filed("bymine", 2025, m, payload=mine_payload(demo_orgs, 2025, m, tonnes), accept=True)


def test_production_spike_warning_blocks_submit_until_explained(demo_orgs, filed, users, page_en):
    _mine_history(demo_orgs, filed, range(1, 7))  # 100 t a month
    report = filed("bymine", 2025, 7, payload=mine_payload(demo_orgs, 2025, 7, "301.000"), submit=False)
    filer = report.created_by
    with pytest.raises(DomainValidationError) as exc:
        services.report_submit(attest=True, actor=filer, report=report)
    assert exc.value.code == "warnings_unconfirmed"
    assert "3× the trailing 6-month average" in exc.value.errors["warnings_explanation"][0]
    with pytest.raises(DomainValidationError):
        services.report_submit(attest=True, actor=filer, report=report, confirm_warnings=True, warnings_explanation="  ")
    assert MonthlyReport.objects.get(pk=report.pk).status == ReportStatus.DRAFT
    report = services.report_submit(attest=True, actor=filer, report=report, confirm_warnings=True,
                                    warnings_explanation="New open pit bench commissioned in July")
    assert report.status == ReportStatus.SUBMITTED and report.warnings[0]["kind"] == RuleKind.PRODUCTION_VS_TRAILING

    rev = get_user_model().objects.get(membership__authority=report.enterprise.county)
    c = page_en(rev.username)
    html = c.get(f"/reports/{report.pk}/").content.decode()
    assert "Plausibility warnings" in html and "New open pit bench commissioned in July" in html
    # 300 t (exactly 3×) would not have warned.
    assert services.report_check(report)["warnings"]


def test_shipment_ceiling_and_dated_rules(demo_orgs, filed):
    payload = mine_payload(demo_orgs, 2025, 3, "2500.000")
    report = filed("bymine", 2025, 3, payload=payload, submit=False)
    warnings = services.report_check(report)["warnings"]
    assert [w["path"] for w in warnings] == ["shipments[0].tonnes"]
    # The rule is dated: ended before the period, it no longer applies; a new one with a higher ceiling does.
    PlausibilityRule.objects.filter(kind=RuleKind.SHIPMENT_CEILING).update(valid_to=dt.date(2024, 12, 31))
    assert services.report_check(report)["warnings"] == []
    PlausibilityRule.objects.create(kind=RuleKind.SHIPMENT_CEILING, ceiling_t=Decimal("2400"),
                                    valid_from=dt.date(2025, 3, 1))
    assert len(services.report_check(report)["warnings"]) == 1
