"""Excel (openpyxl): the fill-in template with Chinese headings and drop-down lists, its upload, report export,
and the roll-up exports (CSV and .xlsx)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from organizations.models import IndicatorType
from quota_portal.errors import DomainValidationError

from .models import FlowDirection, InputSource, MonthlyReport, Product

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LISTS = "代码表"

# section → (sheet title, [(payload key, Chinese heading, list column in the code sheet or None)])
SHEETS: dict[str, tuple[str, list[tuple[str, str, str | None]]]] = {
    "production": ("生产情况", [("indicator_type", "指标类型", "B"), ("product", "产品代码", "A"),
                                ("tonnes", "产量(吨REO)", None)]),
    "inputs": ("原料消耗", [("source", "原料来源", "C"), ("country", "原产国(ISO代码)", None), ("product", "产品代码", "A"),
                           ("tonnes", "消耗量(吨REO)", None)]),
    "shipments": ("产品流向", [("direction", "流向(购进/销售)", "D"), ("counterparty_credit_code", "对方统一社会信用代码", None),
                               ("counterparty_name", "对方名称", None), ("counterparty_country", "对方国家(ISO代码)", None),
                               ("product", "产品代码", "A"), ("tonnes", "数量(吨REO)", None), ("date", "日期(YYYY-MM-DD)", None),
                               ("document_no", "发票或报关单号", None), ("shipment_no", "门户发货单号", None)]),
    "inventory": ("库存", [("product", "产品代码", "A"), ("opening", "期初库存(吨REO)", None),
                          ("closing", "期末库存(吨REO)", None)]),
}
MAX_ROWS = 500
PRODUCT_LABEL = re.compile(r"^.*[（(]([A-Z0-9_]+)[)）]$")


def product_label(code: str, name_zh: str) -> str:
    """A product in the template's drop-down list: its Chinese name with the code, "氧化镨钕（PRND_OXIDE）"."""
    return f"{name_zh}（{code}）"


def _choice_labels() -> dict[str, dict[str, str]]:
    """Chinese drop-down labels of the coded columns (the template is a Chinese document whatever the language)."""
    with translation.override("zh-hans"):
        return {
            "indicator_type": {c: str(label) for c, label in IndicatorType.choices},
            "source": {c: str(label) for c, label in InputSource.choices},
            "direction": {c: str(label) for c, label in FlowDirection.choices},
        }


def _to_code(key: str, value: str, labels: dict[str, dict[str, str]], products: dict[str, str]) -> str:
    """A cell of a coded column back to its code: the Chinese label from the drop-down list, or the code itself (also
    accepted, as in templates filled by other systems). Anything else is left for validation to name."""
    if not value:
        return value
    if key in labels:
        reverse = {label: code for code, label in labels[key].items()}
        return reverse.get(value, value)
    if key == "product":
        m = PRODUCT_LABEL.match(value)
        if m:
            return m.group(1)
        return products.get(value, value)
    return value


def _lists_sheet(wb: Workbook) -> dict[str, str]:
    ws = wb.create_sheet(LISTS)
    products = list(Product.objects.order_by("code").values_list("code", "name_zh"))
    labels = _choice_labels()
    columns = {
        "A": ("产品", [product_label(c, n) for c, n in products]),
        "B": ("指标类型", list(labels["indicator_type"].values())),
        "C": ("原料来源", list(labels["source"].values())),
        "D": ("流向", list(labels["direction"].values())),
        "E": ("产品代码", [c for c, _n in products]),
    }
    ranges = {}
    for col, (title, values) in columns.items():
        ws[f"{col}1"] = title
        for i, v in enumerate(values, start=2):
            ws[f"{col}{i}"] = v
        ranges[col] = f"'{LISTS}'!${col}$2:${col}${len(values) + 1}"
    ws.sheet_state = "hidden"
    return ranges


def template_workbook(report: MonthlyReport | None = None) -> bytes:
    """The fill-in template (Chinese headings, drop-down lists); with ``report``, filled with its lines."""
    wb = Workbook()
    info = wb.active
    info.title = "填报说明"
    info["A1"] = "稀土月度报告 填报模板"
    info["A2"] = "数量单位：吨稀土氧化物当量(REO)，最多3位小数。产品、指标类型、来源、流向请从下拉列表选择（也可直接填写代码）。"
    info["A3"] = "Quantities in tonnes REO, at most 3 decimals. Choose from the drop-down lists (codes are accepted too)."
    if report is not None:
        for i, (k, v) in enumerate([("企业", report.enterprise.name), ("统一社会信用代码", report.enterprise.credit_code),
                                    ("报告期", report.period), ("版本", report.version),
                                    ("状态", report.get_status_display()), ("零报告", "是" if report.nil else "否"),
                                    ("说明", report.comment)], start=5):
            info[f"A{i}"], info[f"B{i}"] = k, str(v)
    ranges = _lists_sheet(wb)
    payload = _report_rows(report) if report is not None else {}
    labels = _choice_labels()
    names = dict(Product.objects.values_list("code", "name_zh")) if report is not None else {}
    for section, (title, cols) in SHEETS.items():
        ws = wb.create_sheet(title, index=len(wb.sheetnames) - 1)
        for j, (_key, heading, list_col) in enumerate(cols, start=1):
            ws.cell(row=1, column=j, value=heading)
            ws.column_dimensions[get_column_letter(j)].width = max(14, len(heading) * 2)
            if list_col:
                dv = DataValidation(type="list", formula1=ranges[list_col], allow_blank=True,
                                    showErrorMessage=True, errorTitle="无效代码", error="请从下拉列表选择")
                ws.add_data_validation(dv)
                dv.add(f"{get_column_letter(j)}2:{get_column_letter(j)}{MAX_ROWS + 1}")
        for i, row in enumerate(payload.get(section, []), start=2):
            for j, (key, _h, _l) in enumerate(cols, start=1):
                ws.cell(row=i, column=j, value=_shown(key, row.get(key), labels, names))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _shown(key: str, value: Any, labels: dict[str, dict[str, str]], names: dict[str, str]) -> Any:
    """A value as the drop-down list shows it (an exported report reads like one filled in by hand)."""
    if key in labels:
        return labels[key].get(value, value)
    if key == "product" and value in names:
        return product_label(value, names[value])
    return value


def _report_rows(report: MonthlyReport) -> dict[str, list[dict[str, Any]]]:
    return {
        "production": [{"indicator_type": x.indicator_type, "product": x.product_id, "tonnes": x.tonnes}
                       for x in report.production_lines.order_by("id")],
        "inputs": [{"source": x.source, "country": x.country, "product": x.product_id, "tonnes": x.tonnes}
                   for x in report.input_lines.order_by("id")],
        "shipments": [{"direction": x.direction, "counterparty_credit_code": x.counterparty_credit_code,
                       "counterparty_name": x.counterparty_name, "counterparty_country": x.counterparty_country,
                       "product": x.product_id, "tonnes": x.tonnes, "date": x.date, "document_no": x.document_no,
                       "shipment_no": x.shipment.number if x.shipment_id else ""}
                      for x in report.flow_lines.select_related("shipment").order_by("id")],
        "inventory": [{"product": x.product_id, "opening": x.opening, "closing": x.closing}
                      for x in report.inventory_lines.order_by("id")],
    }


def report_export(report: MonthlyReport) -> bytes:
    return template_workbook(report)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | int):
        return str(value)
    return str(value).strip()


def parse_workbook(content: bytes) -> tuple[dict[str, list[dict]], dict[str, list[int]]]:
    """Sheets → payload sections, and for each section the spreadsheet row of every line."""
    try:
        wb = load_workbook(io.BytesIO(content), data_only=True, read_only=True)
    except Exception:  # openpyxl raises many kinds for a bad file
        raise DomainValidationError(errors={"file": [_("This is not an Excel (.xlsx) file made from the template.")]})
    payload: dict[str, list[dict]] = {}
    rows_of: dict[str, list[int]] = {}
    labels = _choice_labels()
    products = {name: code for code, name in Product.objects.values_list("code", "name_zh")}
    for section, (title, cols) in SHEETS.items():
        if title not in wb.sheetnames:
            raise DomainValidationError(errors={"file": [_("The sheet “%(sheet)s” is missing; download the template "
                                                           "again.") % {"sheet": title}]})
        ws = wb[title]
        payload[section], rows_of[section] = [], []
        for r, values in enumerate(ws.iter_rows(min_row=2, max_col=len(cols), values_only=True), start=2):
            if r > MAX_ROWS + 1:
                break
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            payload[section].append({key: _to_code(key, _cell(v), labels, products)
                                     for (key, _h, _l), v in zip(cols, values, strict=False)})
            rows_of[section].append(r)
    wb.close()
    return payload, rows_of


# --- roll-up exports -----------------------------------------------------------------------------------

SUMMARY_HEADINGS = ["行政区划代码", "名称", "应报", "已报", "已接受", "迟报", "缺报", "已核定",
                    "岩矿型开采(吨)", "离子型开采(吨)", "冶炼分离(吨)"]


def _summary_values(row: dict) -> list:
    return [row["code"], row["name"], row["expected"], row["submitted"], row["accepted"], row["late"], row["missing"],
            "是" if row["certified"] else "否", *[f"{row['totals'][t]:.3f}" for t in IndicatorType.values]]


def summary_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    buf.write("\ufeff")  # so that Excel opens the UTF-8 file with Chinese names correctly
    w = csv.writer(buf)
    w.writerow(SUMMARY_HEADINGS)
    for row in rows:
        w.writerow(_summary_values(row))
    return buf.getvalue()


def summary_xlsx(rows: list[dict], year: int, month: int, level: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}-{month:02d}"
    ws.append(SUMMARY_HEADINGS)
    for row in rows:
        values = _summary_values(row)
        ws.append(values[:8] + [Decimal(v) for v in values[8:]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
