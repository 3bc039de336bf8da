"""The review and filing pages help people: certify only when it can succeed, a warning before accepting a month
while an earlier one waits, and a report form that keeps what was typed and offers Chinese choices."""

import pytest

from reporting import services
from reporting.models import PeriodCertification

from .conftest import huamei_payload
from .test_certification import baotou_march  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_certify_offered_only_when_it_can_succeed(baotou_march, page, users):  # noqa: F811
    c = page("jiuyuan_reviewer")
    html = c.get("/reports/certification/?year=2025&month=3", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'value="certify"' not in html and "1份报告尚未受理" in html
    services.report_accept(actor=users["jiuyuan_reviewer"], report=baotou_march)
    html = c.get("/reports/certification/?year=2025&month=3", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'value="certify"' in html
    assert not PeriodCertification.objects.exists()


def test_reviewer_warned_before_accepting_while_an_earlier_month_waits(demo_orgs, filed, page):
    march = filed("huamei", 2025, 3)  # submitted, awaiting review
    april = filed("huamei", 2025, 4, payload=huamei_payload(demo_orgs, 2025, 4, opening_bast="8.000",
                                                             opening_prnd="4.000"))
    c = page("jiuyuan_reviewer")
    html = c.get(f"/reports/{april.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "该企业较早月份的报告尚待审核" in html and f"/reports/{march.pk}/" in html
    assert 'data-confirm="该企业较早月份的报告尚待审核，仍要受理本月报告吗？"' in html
    html = c.get(f"/reports/{march.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "尚待审核" not in html and "data-confirm" not in html


def test_failed_save_keeps_what_was_typed_and_selects_say_choose(demo_orgs, filed, page):
    draft = filed("huamei", 2025, 3, submit=False, payload={})
    c = page("huamei_filer")
    r = c.post(f"/reports/{draft.pk}/edit/", {
        "comment": "本月检修", "production-0-indicator_type": "smelting_separation", "production-0-product": "PRND_OXIDE",
        "production-0-tonnes": "12,5吨", "inventory-0-product": "PRND_OXIDE", "inventory-0-opening": "0",
        "inventory-0-closing": "12.5"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 400
    html = r.content.decode()
    assert 'value="12,5吨"' in html and 'value="12.5"' in html and "本月检修" in html
    assert '<option value="smelting_separation" selected>' in html
    assert '<option value="PRND_OXIDE" selected>' in html and "· PRND_OXIDE</option>" in html
    assert '<option value="">请选择</option>' in html
