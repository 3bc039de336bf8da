"""Pages: the enterprise's filing editor (htmx rows, inline errors that keep the input) and the county review."""

import pytest

from reporting import services
from reporting.models import MonthlyReport, ProductionLine, ReportStatus

from .conftest import huamei_payload

pytestmark = pytest.mark.django_db


def _post_lines(payload):
    data = {"comment": payload.get("comment", "")}
    for section in ("production", "inputs", "shipments", "inventory"):
        for i, row in enumerate(payload[section]):
            for k, v in row.items():
                data[f"{section}-{i}-{k}"] = v
    return data


def test_filer_creates_edits_and_submits_through_pages(demo_orgs, page_en):
    c = page_en("huamei_filer")
    r = c.get("/reports/")
    assert r.status_code == 200 and "nil report" in r.content.decode()
    r = c.post("/reports/new/", {"year": 2025, "month": 3})
    report = MonthlyReport.objects.get(enterprise=demo_orgs["enterprises"]["huamei"], year=2025, month=3)
    assert r.status_code == 302 and r["Location"] == f"/reports/{report.pk}/edit/"
    assert c.get(f"/reports/{report.pk}/edit/").status_code == 200
    # htmx adds an empty line
    row = c.get(f"/reports/{report.pk}/edit/row/shipments/", HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and 'name="shipments-' in row.content.decode()

    payload = huamei_payload(demo_orgs, 2025, 3)
    bad = _post_lines(payload)
    bad["shipments-1-tonnes"] = "-5"
    bad["production-0-tonnes"] = "1.2345"
    r = c.post(f"/reports/{report.pk}/edit/", bad)
    html = r.content.decode()
    assert r.status_code == 400
    assert "A quantity cannot be negative." in html and "At most 3 decimals" in html
    assert 'value="1.2345"' in html and 'value="FP-002"' in html  # the filer's input is kept
    assert ProductionLine.objects.filter(report=report).count() == 0

    r = c.post(f"/reports/{report.pk}/edit/", {**_post_lines(payload), "then": "submit", "attest": "1"})
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    # The submitted version cannot be edited through the page.
    r = c.post(f"/reports/{report.pk}/edit/", _post_lines(huamei_payload(demo_orgs, 2025, 3, produced="99")))
    assert r.status_code == 302
    assert ProductionLine.objects.get(report=report).tonnes == 10


def test_reviewer_sees_quota_context_and_accepts(demo_orgs, page_en, filed):
    report = filed("huamei", 2025, 3)
    c = page_en("jiuyuan_reviewer")
    html = c.get("/reports/?status=submitted").content.decode()
    assert f"/reports/{report.pk}/" in html
    html = c.get(f"/reports/{report.pk}/").content.decode()
    assert "Quota context" in html and "Used incl. this report" in html
    r = c.post(f"/reports/{report.pk}/accept/", {"comment": "ok"})
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED


def test_out_of_scope_report_pages_answer_404(demo_orgs, page_en, filed):
    report = filed("huamei", 2025, 3)
    for user in ("longnan_reviewer", "lnmine_filer", "hefa_filer"):
        c = page_en(user)
        assert c.get(f"/reports/{report.pk}/").status_code == 404
        assert c.get(f"/reports/{report.pk}/export.xlsx").status_code == 404
        assert c.post(f"/reports/{report.pk}/accept/").status_code == 404
    assert page_en("baotou_viewer").get(f"/reports/{report.pk}/").status_code == 200


def test_diff_summary_certification_and_dashboard_pages(demo_orgs, page_en, filed, users):
    report = filed("huamei", 2025, 3, accept=True)
    v2 = services.report_amend(actor=users["huamei_filer"], report=report)
    services.report_update(actor=users["huamei_filer"], report=v2,
                           data=huamei_payload(demo_orgs, 2025, 3, produced="12.000"))
    html = page_en("huamei_filer").get(f"/reports/{v2.pk}/diff/").content.decode()
    assert "PRND_OXIDE" in html and "12.000" in html and "10.000" in html
    assert page_en("nmg_viewer").get("/reports/summaries/?year=2025&month=3&level=county").status_code == 200
    r = page_en("nmg_viewer").get("/reports/summaries/?year=2025&month=3&level=city&format=csv")
    assert r.status_code == 200 and "包头市" in r.content.decode()
    assert page_en("jiuyuan_reviewer").get("/reports/certification/?year=2025&month=3").status_code == 200
    assert page_en("huamei_filer").get("/reports/summaries/").status_code == 404
    html = page_en("huamei_filer").get("/").content.decode()
    assert "Beijing time" in html
    assert page_en("jiuyuan_reviewer").get("/").status_code == 200
    assert page_en("miit_official").get("/").status_code == 200
