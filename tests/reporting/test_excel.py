"""Excel round trip: download the template, fill it with openpyxl, upload, submit, accept; bad rows change nothing."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from quota_portal.errors import DomainValidationError
from reporting import excel, services
from reporting.models import FlowLine, Product, ReportStatus, Shipment
from tests.builders import filer_of

from .conftest import huamei_payload, row_counts

pytestmark = pytest.mark.django_db


def _fill(template: bytes, payload: dict) -> bytes:
    wb = load_workbook(io.BytesIO(template))
    ws = wb["生产情况"]
    for i, row in enumerate(payload["production"], start=2):
        ws.cell(i, 1, row["indicator_type"]), ws.cell(i, 2, row["product"]), ws.cell(i, 3, float(row["tonnes"]))
    ws = wb["原料消耗"]
    for i, row in enumerate(payload["inputs"], start=2):
        for j, v in enumerate([row["source"], row["country"] or None, row["product"], float(row["tonnes"])], start=1):
            ws.cell(i, j, v)
    ws = wb["产品流向"]
    for i, row in enumerate(payload["shipments"], start=2):
        values = [row["direction"], row["counterparty_credit_code"], row["counterparty_name"] or None,
                  row["counterparty_country"], row["product"], float(row["tonnes"]),
                  dt.date.fromisoformat(row["date"]), row["document_no"]]
        for j, v in enumerate(values, start=1):
            ws.cell(i, j, v)
    ws = wb["库存"]
    for i, row in enumerate(payload["inventory"], start=2):
        ws.cell(i, 1, row["product"]), ws.cell(i, 2, float(row["opening"])), ws.cell(i, 3, float(row["closing"]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, url, content):
    f = io.BytesIO(content)
    f.name = "report.xlsx"
    return client.post(url, {"file": f}, HTTP_ACCEPT_LANGUAGE="en")


def test_template_has_chinese_headings_and_drop_down_lists(demo_orgs, page_en):
    r = page_en("huamei_filer").get("/reports/template.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    assert [c.value for c in wb["生产情况"][1]] == ["指标类型", "产品代码", "产量(吨REO)"]
    assert wb["产品流向"]["A1"].value.startswith("流向")
    formulas = {dv.formula1 for dv in wb["生产情况"].data_validations.dataValidation}
    assert "'代码表'!$A$2:$A$32" in formulas and "'代码表'!$B$2:$B$4" in formulas
    assert {dv.formula1 for dv in wb["原料消耗"].data_validations.dataValidation} >= {"'代码表'!$C$2:$C$5"}
    # the lists are in Chinese: product names with their code, indicator types, sources and directions
    assert wb["代码表"].sheet_state == "hidden" and wb["代码表"]["A2"].value == "氟碳铈矿精矿（BAST_CONC）"
    assert [wb["代码表"][f"B{i}"].value for i in (2, 3, 4)] == ["岩矿型稀土开采", "离子型稀土开采", "冶炼分离"]


def test_excel_round_trip_upload_submit_accept(demo_orgs, page_en, filed, users):
    report = filed("huamei", 2025, 3, submit=False, payload={})
    c = page_en("huamei_filer")
    template = c.get("/reports/template.xlsx").content
    r = _upload(c, f"/reports/{report.pk}/upload/", _fill(template, huamei_payload(demo_orgs, 2025, 3)))
    assert r.status_code == 302, r.content.decode()[:2000]
    assert services.report_payload(report) == {**huamei_payload(demo_orgs, 2025, 3),
                                               "shipments": [dict(s, counterparty_name=n) for s, n in zip(
                                                   huamei_payload(demo_orgs, 2025, 3)["shipments"],
                                                   [demo_orgs["enterprises"]["bymine"].name,
                                                    demo_orgs["enterprises"]["hefa"].name], strict=True)]}
    report = services.report_submit(attest=True, actor=users["huamei_filer"], report=report)
    report = services.report_accept(actor=users["jiuyuan_reviewer"], report=report)
    assert report.status == ReportStatus.ACCEPTED
    # Export of the accepted report gives the same lines back.
    wb = load_workbook(io.BytesIO(c.get(f"/reports/{report.pk}/export.xlsx").content))
    # the drop-down lists and the export speak Chinese (codes are accepted on upload too: see _fill above)
    prnd = Product.objects.get(code="PRND_OXIDE").name_zh
    assert [c.value for c in wb["生产情况"][2]] == ["冶炼分离", f"{prnd}（PRND_OXIDE）", 10]
    # the export reads back to the same codes
    before = services.report_payload(report)
    after, _rows = excel.parse_workbook(c.get(f"/reports/{report.pk}/export.xlsx").content)
    assert [(x["indicator_type"], x["product"]) for x in after["production"]] == \
        [(x["indicator_type"], x["product"]) for x in before["production"]]
    assert [x["direction"] for x in after["shipments"]] == [x["direction"] for x in before["shipments"]]
    assert wb["产品流向"].max_row == 3 and wb["库存"]["C3"].value == 4


def test_upload_with_two_bad_rows_lists_both_and_changes_nothing(demo_orgs, api, page_en, filed):
    report = filed("huamei", 2025, 3, submit=False)  # a draft that already has its lines
    payload = huamei_payload(demo_orgs, 2025, 3)
    payload["production"][0]["tonnes"] = "-10"  # 生产情况 row 2
    payload["shipments"][1]["product"] = "NOPE"  # 产品流向 row 3
    template = page_en("huamei_filer").get("/reports/template.xlsx").content
    content = _fill(template, payload)
    wb = load_workbook(io.BytesIO(content))
    wb["产品流向"]["E3"] = "NOPE"
    buf = io.BytesIO()
    wb.save(buf)
    before, lines_before = row_counts(), services.report_payload(report)
    r = _upload(api("huamei_filer"), f"/api/v1/reports/{report.pk}/upload/", buf.getvalue())
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert set(errors) == {"生产情况 row 2", "产品流向 row 3"}, errors
    assert "产量(吨REO)" in errors["生产情况 row 2"][0] and "产品代码" in errors["产品流向 row 3"][0]
    assert row_counts() == before and services.report_payload(report) == lines_before
    html = _upload(page_en("huamei_filer"), f"/reports/{report.pk}/upload/", buf.getvalue()).content.decode()
    assert "生产情况 row 2" in html and "产品流向 row 3" in html and "nothing was changed" in html
    r = _upload(api("huamei_filer"), f"/api/v1/reports/{report.pk}/upload/", b"not a workbook")
    assert r.status_code == 400 and "file" in r.json()["errors"]


def test_excel_receipt_row_with_an_unknown_portal_shipment_number_names_row_and_column(demo_orgs, filed):
    report = filed("huamei", 2025, 3, submit=False)
    payload = huamei_payload(demo_orgs, 2025, 3)
    content = _fill(excel.template_workbook(), payload)
    wb = load_workbook(io.BytesIO(content))
    wb["产品流向"].cell(2, 9, "SH99999999")  # the receipt row (row 2) names a shipment that does not exist
    buf = io.BytesIO()
    wb.save(buf)
    before = row_counts()
    with pytest.raises(DomainValidationError) as exc:
        services.report_import(actor=filer_of(demo_orgs["enterprises"]["huamei"]), report=report, content=buf.getvalue())
    messages = exc.value.errors["产品流向 row 2"]
    assert any(m.startswith("门户发货单号: Unknown shipment number “SH99999999”") for m in messages), messages
    assert row_counts() == before and not Shipment.objects.exists() and FlowLine.objects.filter(report=report).count() == 2
