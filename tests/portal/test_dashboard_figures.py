"""No figure twice on a dashboard: the enterprise's report due (deadline and countdown) once, with its action; the
county's review queue and open cases once each."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _html(page, username):
    return page(username).get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_enterprise_dashboard_shows_the_report_due_once(demo, page):
    html = _html(page, "huamei_filer")
    assert html.count("报送截止时间") == 1
    assert html.count("data-countdown") + html.count("badge-submitted") >= 1
    assert len(re.findall(r'id="report-due"', html)) == 1
    assert ("填报报告" in html) != ("打开报告" in html)  # exactly one action, the right one


def test_county_dashboard_counts_the_queue_and_the_cases_once(demo, page):
    html = _html(page, "jiuyuan_reviewer")
    assert html.count('data-kpi="queue"') == 1
    assert "待审核</small>" not in html  # the reporting card no longer repeats the queue
    assert html.count(">办理中案件</a>") == 1 and 'data-kpi="cases"' not in html  # one count; the list stays
