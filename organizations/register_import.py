"""Excel import of the register (the first load, several hundred rows) and Excel/CSV export.

The import is all or nothing: a dry run lists every bad row and cell; a valid file is kept as a drafted
RegisterImport; a second ministry person approves it as one batch of designation decisions (four eyes)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from quota_portal.errors import DomainValidationError, InvalidTransition, NotPermitted

from .audit import audit_record
from .models import (
    CapacityRecord,
    DecisionStatus,
    DesignationDecision,
    DesignationKind,
    Enterprise,
    IndicatorType,
    RegisterImport,
)
from .permissions import require
from .register_selectors import capacity_map, designation_status_map, permits_in_force
from .register_services import _sync_licence, enterprise_fields_check, parse_tonnes

# The template's columns, in order: (key, header). The headers are the template: a file without them is refused.
COLUMNS = [
    ("name", "企业名称"),
    ("credit_code", "统一社会信用代码"),
    ("county_code", "住所地区县代码"),
    ("group_code", "所属集团信用代码"),
    ("activity", "指定类别"),
    ("document_no", "指定文号"),
    ("effective_from", "生效日期"),
    ("basis", "指定依据"),
    ("capacity", "产能(吨REO/年)"),
]
HEADERS = [h for _k, h in COLUMNS]
ACTIVITY_NAMES = {"岩矿型稀土矿开采": "mining_rock", "离子型稀土矿开采": "mining_ion", "冶炼分离": "smelting_separation",
                  **{t.value: t.value for t in IndicatorType}}


def template_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "定点企业名录"
    ws.append(HEADERS)
    ws.append(["示例稀土有限公司", "91150207MA0000000X", "150207", "", "冶炼分离", "工信部原函〔2025〕1号",
               "2025-01-01", "《稀土管理条例》第八条", "3000"])
    for i in range(1, len(HEADERS) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 22
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell_ref(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def _date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def parse_file(upload) -> tuple[list[dict], list[str]]:
    """Read and check every row without writing: (clean rows, messages naming each bad row and cell). Raises
    DomainValidationError (field ``file``) when the file is not the template, too long or holds formulas."""
    try:
        wb = load_workbook(upload, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise DomainValidationError(errors={"file": [_("This is not the register template (an .xlsx workbook); "
                                                       "download the template and fill it in.")]})
    ws = wb.worksheets[0]
    header = [str(c.value).strip() if c.value is not None else "" for c in next(ws.iter_rows(min_row=1, max_row=1))]
    if header[:len(HEADERS)] != HEADERS:
        raise DomainValidationError(errors={"file": [_("The first row must be the template's headings: %(h)s.")
                                                     % {"h": "、".join(HEADERS)}]})
    limit = settings.REGISTER_IMPORT_MAX_ROWS
    if ws.max_row - 1 > limit:
        raise DomainValidationError(errors={"file": [_("The file has %(n)s rows; at most %(max)s rows can be imported "
                                                       "at once.") % {"n": ws.max_row - 1, "max": limit}]})
    formulas = [c.coordinate for row in ws.iter_rows(min_row=2) for c in row if c.data_type == "f"]
    if formulas:
        raise DomainValidationError(errors={"file": [_("The file contains formulas (cells %(cells)s): enter values "
                                                       "only.") % {"cells": "、".join(formulas[:20])}]})
    rows: list[dict] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for r, cells in enumerate(ws.iter_rows(min_row=2, max_col=len(COLUMNS), values_only=True), start=2):
        if all(v is None or str(v).strip() == "" for v in cells):
            continue
        raw = {k: ("" if v is None else v) for (k, _h), v in zip(COLUMNS, cells, strict=False)}
        col = {k: i for i, (k, _h) in enumerate(COLUMNS, start=1)}
        errs: list[tuple[str, str]] = []
        clean, field_errors = enterprise_fields_check(name=str(raw["name"]), credit_code=str(raw["credit_code"]),
                                                      county_code=str(raw["county_code"]).strip(),
                                                      group_code=str(raw["group_code"]).strip())
        for f, msgs in field_errors.items():
            key = {"county": "county_code", "group": "group_code"}.get(f, f)
            errs += [(key, m) for m in msgs]
        if clean["credit_code"] and clean["credit_code"] in seen and "credit_code" not in field_errors:
            errs.append(("credit_code", _("The same credit code is already on row %(r)s.") % {"r": seen[clean["credit_code"]]}))
        seen.setdefault(clean["credit_code"], r)
        activity = ACTIVITY_NAMES.get(str(raw["activity"]).strip())
        if activity is None:
            errs.append(("activity", _("Unknown activity “%(v)s”: write 岩矿型稀土矿开采, 离子型稀土矿开采 or 冶炼分离.")
                         % {"v": raw["activity"]}))
        if not str(raw["document_no"]).strip():
            errs.append(("document_no", _("The document number is required.")))
        effective = _date(raw["effective_from"])
        if effective is None:
            errs.append(("effective_from", _("Enter the date as YYYY-MM-DD.")))
        if not str(raw["basis"]).strip():
            errs.append(("basis", _("State the basis or reason of the decision.")))
        capacity = None
        if str(raw["capacity"]).strip():
            try:
                capacity = parse_tonnes(raw["capacity"], field="capacity")
            except DomainValidationError as exc:
                errs += [("capacity", m) for m in exc.errors["capacity"]]
        elif activity == IndicatorType.SMELTING_SEPARATION:
            errs.append(("capacity", _("A smelter's capacity is required.")))
        for key, msg in errs:
            problems.append(_("Row %(row)s, cell %(cell)s (%(column)s): %(message)s")
                            % {"row": r, "cell": _cell_ref(r, col[key]), "column": dict(COLUMNS)[key],
                               "message": msg})
        rows.append({"row": r, "name": clean["name"], "credit_code": clean["credit_code"],
                     "county_code": str(raw["county_code"]).strip(), "group_code": str(raw["group_code"]).strip(),
                     "activity": activity or "", "document_no": str(raw["document_no"]).strip(),
                     "effective_from": effective.isoformat() if effective else "",
                     "basis": str(raw["basis"]).strip(), "capacity": str(capacity) if capacity is not None else ""})
    if not rows:
        raise DomainValidationError(errors={"file": [_("The file has no rows under the headings.")]})
    return rows, problems


@transaction.atomic
def import_draft(*, actor: User, upload) -> RegisterImport:
    """Keep a fully valid file as a drafted import; with any bad row nothing is written and every problem is listed."""
    require(actor, "organizations.import_register")
    rows, problems = parse_file(upload)
    if problems:
        raise DomainValidationError(_("%(n)s problems: nothing was imported.") % {"n": len(problems)},
                                    errors={"file": problems})
    imp = RegisterImport.objects.create(filename=getattr(upload, "name", "")[:200], rows=rows, drafted_by=actor)
    audit_record(actor=actor, action="register_import.draft", obj=imp, after={"rows": len(rows),
                                                                              "filename": imp.filename})
    return imp


@transaction.atomic
def import_approve(*, actor: User, register_import: RegisterImport) -> RegisterImport:
    """Approve a drafted import as one batch: each row registers its enterprise, an approved designation and its
    capacity. Rows are checked again (a code may have been registered meanwhile): any problem → nothing written."""
    require(actor, "organizations.approve_designation")
    imp = RegisterImport.objects.select_for_update().get(pk=register_import.pk)
    if imp.status != DecisionStatus.DRAFT:
        raise InvalidTransition(_("Only an import awaiting approval can be approved."))
    if imp.drafted_by_id == actor.pk:
        raise NotPermitted(_("Four eyes: you drafted this import, so another approver must approve it."))
    now = timezone.now()
    problems = []
    created = 0
    for row in imp.rows:
        clean, errors = enterprise_fields_check(name=row["name"], credit_code=row["credit_code"],
                                                county_code=row["county_code"], group_code=row["group_code"])
        if errors:
            problems += [_("Row %(row)s: %(message)s") % {"row": row["row"], "message": m}
                         for msgs in errors.values() for m in msgs]
            continue
        ent = Enterprise(**clean)
        ent.full_clean()
        ent.save()
        audit_record(actor=actor, action="enterprise.register", obj=ent, org=ent,
                     after={"name": ent.name, "credit_code": ent.credit_code, "import": imp.pk})
        dec = DesignationDecision.objects.create(
            enterprise=ent, activity=row["activity"], kind=DesignationKind.DESIGNATE, document_no=row["document_no"],
            effective_from=dt.date.fromisoformat(row["effective_from"]), basis=row["basis"],
            status=DecisionStatus.APPROVED, drafted_by=imp.drafted_by, drafted_at=imp.drafted_at, decided_by=actor,
            decided_at=now, register_import=imp)
        audit_record(actor=actor, action="designation.approve", obj=dec, org=ent,
                     after={"kind": dec.kind, "activity": dec.activity, "document_no": dec.document_no,
                            "import": imp.pk})
        _sync_licence(ent, dec.activity)
        if row["capacity"]:
            rec = CapacityRecord.objects.create(enterprise=ent, activity=row["activity"],
                                                tonnes=Decimal(row["capacity"]), effective_from=dec.effective_from,
                                                source=_("Register import #%(n)s") % {"n": imp.pk}, recorded_by=actor)
            audit_record(actor=actor, action="capacity.record", obj=rec, org=ent, after={"tonnes": rec.tonnes})
        created += 1
    if problems:
        transaction.set_rollback(True)
        raise DomainValidationError(_("%(n)s problems: nothing was imported.") % {"n": len(problems)},
                                    errors={"file": problems})
    imp.status, imp.decided_by, imp.decided_at = DecisionStatus.APPROVED, actor, now
    imp.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(actor=actor, action="register_import.approve", obj=imp, before={"status": "draft"},
                 after={"status": "approved", "enterprises": created})
    return imp


EXPORT_HEADERS = ["企业名称", "统一社会信用代码", "住所地区县代码", "所属集团", "类别", "状态", "自", "指定文号",
                  "指定日期", "产能(吨REO/年)", "许可证"]


def export_rows(enterprises, *, on: dt.date) -> list[list]:
    ents = list(enterprises)
    ids = [e.pk for e in ents]
    states = designation_status_map(enterprise_ids=ids, on=on)
    caps = capacity_map(enterprise_ids=ids, on=on)
    permits = permits_in_force(enterprise_ids=ids, on=on)
    rows = []
    for e in ents:
        ent_permits = "; ".join(f"{p.get_kind_display()} {p.number} ({p.valid_to})"
                                for (eid, _k), p in sorted(permits.items()) if eid == e.pk)
        acts = sorted(a for (eid, a) in states if eid == e.pk) or [""]
        for act in acts:
            d = states.get((e.pk, act))
            cap = caps.get((e.pk, act))
            rows.append([e.name, e.credit_code, e.county.code, e.group.name if e.group_id else "",
                         IndicatorType(act).label if act else "", d.label if d else "",
                         d.since.isoformat() if d and d.since else "", d.document_no if d else "",
                         d.designated_on.isoformat() if d and d.designated_on else "",
                         str(cap.tonnes) if cap else "", ent_permits])
    return rows


def _safe(value) -> str:
    """A cell that a spreadsheet would run as a formula is written as text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def export_xlsx(enterprises, *, on: dt.date) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "定点企业名录"
    ws.append(EXPORT_HEADERS)
    for row in export_rows(enterprises, on=on):
        ws.append([_safe(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_csv(enterprises, *, on: dt.date) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(EXPORT_HEADERS)
    for row in export_rows(enterprises, on=on):
        w.writerow([_safe(v) for v in row])
    return "\ufeff" + out.getvalue()  # BOM: Excel opens UTF-8 CSV with Chinese correctly
