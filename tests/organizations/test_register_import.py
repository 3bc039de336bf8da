"""Excel import of the register: template, dry run listing every bad row and cell in Chinese, all or nothing,
four-eyes approval as one batch; refusals (not the template, 10,000 rows, formulas); Excel/CSV export."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from organizations import register_import
from organizations.models import (
    AuditEntry,
    CapacityRecord,
    DesignationDecision,
    Enterprise,
    RegisterImport,
)
from organizations.register_selectors import designation_status
from organizations.validators import make_credit_code
from quota_portal.errors import DomainValidationError, NotPermitted

pytestmark = pytest.mark.django_db
COUNTIES = ["150206", "150207", "150203", "360783", "360728"]


def _row(i: int) -> list:
    county = COUNTIES[i % len(COUNTIES)]
    code = make_credit_code(f"91{county}MA{i:07d}")
    activity = ["冶炼分离", "岩矿型稀土矿开采", "离子型稀土矿开采"][i % 3]
    return [f"导入测试企业{i:03d}有限公司", code, county, "", activity, "工信部原函〔2026〕30号", "2026-01-01",
            "《稀土管理条例》第八条", "2500" if activity == "冶炼分离" else ""]


def _xlsx(rows, headers=register_import.HEADERS, name="register.xlsx") -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _counts():
    return tuple(m.objects.count() for m in (Enterprise, DesignationDecision, CapacityRecord, RegisterImport,
                                             AuditEntry))


def test_300_rows_with_3_bad_rows_write_nothing_and_list_all_3_in_chinese(demo_orgs, page):
    rows = [_row(i) for i in range(300)]
    rows[9][1] = rows[9][1][:-1] + ("0" if rows[9][1][-1] != "0" else "1")  # row 11: wrong check character
    rows[149][2] = "999999"  # row 151: unknown county
    rows[299][6] = "2026-02-30"  # row 301: no such date
    before = _counts()
    c = page("miit_official")
    with translation.override("zh-hans"):
        r = c.post("/register/import/", {"action": "check", "file": _xlsx(rows)}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 400
    problems = r.context["problems"]
    assert len(problems) == 3, problems
    assert problems[0].startswith("第11行") and "B11" in problems[0] and "统一社会信用代码" in problems[0]
    assert problems[1].startswith("第151行") and "C151" in problems[1] and "999999" in problems[1]
    assert problems[2].startswith("第301行") and "G301" in problems[2]
    # importing it for approval refuses it the same way: nothing written
    r = c.post("/register/import/", {"action": "draft", "file": _xlsx(rows)}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 400 and len(r.context["problems"]) == 3
    assert _counts() == before


def test_a_valid_file_is_drafted_then_approved_by_another_person_as_one_batch(demo_orgs, user, page):
    rows = [_row(i) for i in range(300)]
    before = _counts()
    c = page("miit_official")
    r = c.post("/register/import/", {"action": "check", "file": _xlsx(rows)})
    assert r.status_code == 200 and len(r.context["rows"]) == 300 and not r.context["problems"]
    assert _counts() == before  # the dry run writes nothing
    r = c.post("/register/import/", {"action": "draft", "file": _xlsx(rows)})
    assert r.status_code == 302
    imp = RegisterImport.objects.get()
    assert Enterprise.objects.count() == before[0]  # nothing in the register before approval
    with pytest.raises(NotPermitted):
        register_import.import_approve(actor=user("miit_official"), register_import=imp)
    r = page("miit_approver").post(f"/register/import/{imp.pk}/approve/")
    assert r.status_code == 302
    imp.refresh_from_db()
    assert imp.status == "approved" and imp.decided_by.username == "miit_approver"
    assert Enterprise.objects.count() == before[0] + 300
    assert imp.decisions.filter(status="approved").count() == 300
    ent = Enterprise.objects.get(name="导入测试企业000有限公司")
    assert designation_status(enterprise=ent, activity="smelting_separation",
                              on=__import__("datetime").date(2026, 3, 1)).status == "designated"
    assert CapacityRecord.objects.filter(enterprise=ent).get().tonnes == 2500
    # importing the same file again: every row is now a duplicate
    with pytest.raises(DomainValidationError) as exc:
        register_import.import_draft(actor=user("miit_official"), upload=_xlsx(rows))
    assert len(exc.value.errors["file"]) == 300


@pytest.mark.parametrize("case", ["not_xlsx", "wrong_headers", "too_many_rows", "formula"])
def test_files_that_are_not_the_template_are_refused(demo_orgs, page, case, settings):
    if case == "not_xlsx":
        upload = SimpleUploadedFile("register.xlsx", b"name,code\nx,y\n", content_type="text/csv")
    elif case == "wrong_headers":
        upload = _xlsx([_row(1)], headers=["名称", "代码"])
    elif case == "too_many_rows":
        upload = _xlsx([_row(i % 50) for i in range(10_000)])
    else:
        rows = [_row(1), _row(2)]
        rows[1][8] = "=1000*3"
        upload = _xlsx(rows)
    before = _counts()
    r = page("miit_official").post("/register/import/", {"action": "draft", "file": upload})
    assert r.status_code == 400
    errors = r.context["form"].errors["file"]
    expected = {"not_xlsx": "名录模板", "wrong_headers": "表头", "too_many_rows": "共有10000行",
                "formula": "I3"}[case]
    assert any(expected in e for e in errors), errors
    assert _counts() == before


def test_only_the_ministry_imports(demo_orgs, page):
    assert page("jiuyuan_reviewer").get("/register/import/").status_code == 404
    assert page("huamei_manager").post("/register/import/", {"file": _xlsx([_row(1)])}).status_code == 404


def test_template_and_exports(demo_orgs, page):
    c = page("miit_official")
    wb = load_workbook(io.BytesIO(c.get("/register/import/template.xlsx").content))
    assert [x.value for x in wb.active[1]] == register_import.HEADERS
    xlsx = c.get("/enterprises/export.xlsx?activity=smelting_separation")
    assert xlsx.status_code == 200
    names = [r[0].value for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(min_row=2)]
    assert "包头华美稀土高科有限公司" in names and "白云鄂博稀土矿业有限公司" not in names
    csv_text = c.get("/enterprises/export.csv").content.decode("utf-8-sig")
    assert "包头华美稀土高科有限公司" in csv_text and "工信部原函〔2024〕1号" in csv_text
    # an authority exports only its own area
    county = page("longnan_reviewer").get("/enterprises/export.csv").content.decode("utf-8-sig")
    assert "包头华美" not in county and "中稀(龙南)稀土矿业有限公司" in county
    assert page("huamei_filer").get("/enterprises/export.csv").status_code == 404
