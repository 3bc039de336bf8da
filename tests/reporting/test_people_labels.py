"""Pages name fields as people know them, the API keeps its field paths; the balance error is one short sentence
per product, shown once; the version comparison speaks in labels, not codes."""

import pytest
from django.utils import translation

from reporting.field_labels import diff_for_people, error_sentence, path_label
from reporting.selectors import report_diff
from reporting.services import report_amend, report_update

from .conftest import huamei_payload

pytestmark = pytest.mark.django_db


def test_paths_become_labels_in_chinese():
    with translation.override("zh-hans"):
        assert path_label("inventory[0].closing") == "库存第1行 期末库存"
        assert path_label("shipments[2].document_no") == "流向第3行 单据号"
        assert path_label("production") == "生产"
        assert path_label("comment") == "说明"
        assert path_label("non_field_errors") == ""
        assert path_label("something[odd") == "something[odd"  # unknown paths are shown, never hidden
        text = error_sentence("报告暂不能提交。", {"inventory[0].closing": ["最多3位小数。"], "lines": ["最多3位小数。"]})
        assert text == "报告暂不能提交。 库存第1行 期末库存：最多3位小数。"  # the same message once


def test_unbalanced_report_page_names_fields_and_says_it_once_api_keeps_paths(demo_orgs, api, page, filed):
    payload = huamei_payload(demo_orgs, 2025, 3)
    payload["inventory"][1]["closing"] = "4.500"  # PRND: 0 + 10 − 6 = 4, not 4.5
    report = filed("huamei", 2025, 3, payload=payload, submit=False)

    r = api("huamei_filer").post(f"/api/v1/reports/{report.pk}/submit/", {}, format="json")
    assert r.status_code == 400 and "inventory[1].closing" in r.json()["errors"]

    filer = page("huamei_filer")
    r = filer.post(f"/reports/{report.pk}/submit/", HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
    html = r.content.decode()
    assert "inventory[1]" not in html
    sentence = "PRND_OXIDE不平衡：期初0.000 + 产量10.000 + 购入0.000 − 销售6.000 − 消耗0.000 = 4.000吨，期末库存为4.500吨。"
    assert html.count(sentence) == 1, html
    assert html.count("请更正数据，或在报告的说明中解释差异。") == 1


def test_version_comparison_in_labels(demo_orgs, users, filed):
    report = filed("huamei", 2025, 3, accept=True)
    v2 = report_amend(actor=users["huamei_filer"], report=report)
    payload = huamei_payload(demo_orgs, 2025, 3)
    payload["comment"] = "更正"
    payload["production"][0]["tonnes"] = "10.500"
    payload["inventory"][1]["closing"] = "4.500"
    report_update(actor=users["huamei_filer"], report=v2, data=payload)
    with translation.override("zh-hans"):
        rows = diff_for_people(report_diff(report, v2))
    by_field = {(r["key_label"], r["field_label"]): r for r in rows}
    with translation.override("zh-hans"):
        comment = diff_for_people([{"section": "report", "key": "comment", "field": "comment", "change": "changed",
                                    "old": "", "new": "更正"}])[0]
    assert (comment["key_label"], comment["field_label"], comment["old_text"]) == ("", "说明", "")
    assert by_field[("冶炼分离 · PRND_OXIDE", "数量（吨）")]["new_text"] == "10.500"
    assert by_field[("PRND_OXIDE", "期末库存")]["old_text"] == "4.000"
