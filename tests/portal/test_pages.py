"""Dashboards, year-end projection and public pages on the full demo data (seeded once for this module)."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats, translation

from allocations.figures import figures_rebuild
from allocations.models import AllocationLine, BatchStatus, IssuanceBatch, NationalPlan, PlanStatus, QuotaUsage
from allocations.selectors import quota_list
from allocations.services import plan_create
from enforcement.models import Case, CaseStatus, Penalty, PenaltyDeduction, PenaltyStatus
from organizations.demo import _credit_body
from organizations.models import Enterprise, Licence, Publication
from organizations.validators import make_credit_code
from portal.selectors import year_end_projection
from portal.templatetags.portal import tonnes
from reporting.models import MonthlyReport, Product, ProductionLine, ReportStatus
from reporting.selectors import period_due_at

pytestmark = pytest.mark.django_db
User = get_user_model()
PUBLIC = ["/public/", "/public/enterprises/", "/public/totals/", "/public/penalties/"]


def _u(name):
    return User.objects.get(username=name)


# --- formats ---------------------------------------------------------------------------------------------

def test_chinese_dates_and_tonnes_formats():
    with translation.override("zh-hans"):
        assert formats.date_format(dt.date(2025, 3, 10), "DATE_FORMAT") == "2025年3月10日"
        assert tonnes(Decimal("1234567.5")) == "1,234,567.500"
        assert tonnes(None) == "—"
    with translation.override("en"):
        assert tonnes("0.1") == "0.100"


# --- dashboards ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("username,marker", [
    ("miit_official", "dash-quota"), ("miit_approver", "dash-trend"), ("jiuyuan_reviewer", "grid-status"),
    ("baotou_viewer", "grid-status"), ("huamei_filer", "dash-indicators"), ("north_manager", "dash-projection"),
])
def test_dashboard_renders_for_each_role(demo, page, username, marker):
    resp = page(username).get("/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'class="portal-dash"' in html and marker in html
    # every chart carries its data for Chart.js and exactly the same numbers in a table under a toggle
    charts = re.findall(r'<canvas id="([\w-]+)" data-chart', html)
    for chart_id in charts:
        spec = json.loads(re.search(rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>',
                                    html, re.S).group(1))
        table = re.search(rf'<details class="table-toggle">\s*<summary>.*?</summary>\s*<table class="data" '
                          rf'id="{chart_id}-table">(.*?)</table>', html, re.S).group(1)
        rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", table, re.S)
        assert [label for label, _ in rows] == spec["data"]["labels"]
        for i, (_label, cells) in enumerate(rows):
            shown = [c.strip() for c in re.findall(r'<td class="num">(.*?)</td>', cells, re.S)]
            drawn = [ds["data"][i] for ds in spec["data"]["datasets"]]
            assert [None if v == "—" else float(v.replace(",", "")) for v in shown] == \
                   [None if v is None else round(float(v), 3) for v in drawn], chart_id
    if username.startswith("miit"):
        assert len(charts) >= 4


def test_ministry_numbers_match_the_quota_selector(demo, page):
    year = 2026
    rows = quota_list(user=_u("miit_official"), year=year)
    smelt = [r for r in rows if r.indicator_type == "smelting_separation"]
    eff = sum((r.effective for r in smelt), Decimal(0))
    used = sum((r.used for r in smelt), Decimal(0))
    html = page("miit_official").get(f"/?year={year}").content.decode()
    with translation.override("zh-hans"):
        assert f'data-kpi="used-smelting_separation">{tonnes(used)} <small>/ {tonnes(eff)} t' in html


def test_projection_run_rate_and_crossing_month():
    """Pure computation: 300 t used in 3 months against 1,000 t → 1,200 t by year-end, crossing in month 10."""
    ent = SimpleNamespace(pk=1, name="X")
    row = SimpleNamespace(enterprise=ent, indicator_type="mining_rock", effective=Decimal("1000"),
                          used=Decimal("300"), usage_ratio=Decimal("0.3"))
    monthly = {(1, "mining_rock", m): Decimal("100") for m in (1, 2, 3)}
    now = dt.datetime(2025, 4, 20, tzinfo=dt.UTC)  # March report due 10 April → 3 months elapsed
    [p] = year_end_projection(rows=[row], monthly=monthly, year=2025, now=now)
    assert p["months"] == 3 and p["projected"] == Decimal("1200.000")
    assert p["cross_month"] == 10 and not p["already_crossed"]
    # already above: 600 t in month 2 of 1,000 t with 1,100 t used → crossed in month 2
    row.used = Decimal("1100")
    monthly = {(1, "mining_rock", 1): Decimal("500"), (1, "mining_rock", 2): Decimal("600")}
    [p] = year_end_projection(rows=[row], monthly=monthly, year=2025, now=now)
    assert p["cross_month"] == 2 and p["already_crossed"]


def test_early_warning_page_lists_an_enterprise_heading_for_overrun(demo, page):
    # the demo year 2026: every listed row is at or above the warning level now or by year-end
    resp = page("jiuyuan_reviewer").get("/portal/early-warning/?year=2026&all=1")
    assert resp.status_code == 200
    rows = quota_list(user=_u("jiuyuan_reviewer"), year=2026)
    html = resp.content.decode()
    for r in rows:
        assert r.enterprise.name in html
    assert MonthlyReport.objects.filter(status=ReportStatus.ACCEPTED, year=2026).exists()
    # enterprises never reach the page, other counties' enterprises never appear
    assert page("huamei_filer").get("/portal/early-warning/").status_code == 404
    assert "白云鄂博" not in page("longnan_reviewer").get("/portal/early-warning/?all=1").content.decode()


# --- query counts: constant in the number of enterprises, reports and flags -------------------------------

def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(n: int) -> None:
    """n more designated enterprises in the demo counties, each with an indicator and accepted reports."""
    huamei = Enterprise.objects.get(name="包头华美稀土高科有限公司")
    batch = IssuanceBatch.objects.filter(status=BatchStatus.ISSUED, year=2026).first()
    product = Product.objects.filter(indicator_type="smelting_separation").first()
    for i in range(n):
        ent = Enterprise.objects.create(name=f"测试冶炼企业{i}", credit_code=make_credit_code(_credit_body(900 + i, "150207")),
                                        county=huamei.county, group=huamei.group, smelting_capacity_t=5000)
        Licence.objects.create(enterprise=ent, activity="smelting_separation", number=f"T{i}-{ent.pk}",
                               valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2029, 12, 31))
        AllocationLine.objects.create(batch=batch, enterprise=ent, indicator_type="smelting_separation",
                                      tonnes=Decimal("1000"))
        QuotaUsage.objects.create(enterprise=ent, year=2026, indicator_type="smelting_separation", used_t=Decimal("300"))
        for m in (1, 2, 3):
            rep = MonthlyReport.objects.create(enterprise=ent, year=2026, month=m, due_at=period_due_at(2026, m))
            ProductionLine.objects.create(report=rep, indicator_type="smelting_separation", product=product,
                                          tonnes=Decimal("100"))
            MonthlyReport.objects.filter(pk=rep.pk).update(
                status="accepted", submitted_at=period_due_at(2026, m) - dt.timedelta(days=2))

    # rows inserted behind the services' back: rebuild the quota roll-up from them, as bench/generate.py does
    figures_rebuild(year=2026)

@pytest.mark.parametrize("username", ["miit_official", "jiuyuan_reviewer", "huamei_filer", "north_manager"])
def test_dashboard_query_count_is_constant(demo, page, username):
    client = page(username)
    client.get("/")  # warm caches (content types, sessions)
    before = _count(client, "/")
    _grow(6)
    after = _count(client, "/")
    assert after == before, f"{username}: {before} queries before, {after} after adding 6 enterprises"


def test_early_warning_and_public_query_counts_are_constant(demo, page):
    reviewer = page("jiuyuan_reviewer")
    anon = page(None)
    urls = ["/portal/early-warning/?year=2026&all=1"]
    before = {u: _count(reviewer, u) for u in urls} | {u: _count(anon, u) for u in PUBLIC}
    _grow(5)
    after = {u: _count(reviewer, u) for u in urls} | {u: _count(anon, u) for u in PUBLIC}
    assert after == before


# --- public pages ----------------------------------------------------------------------------------------

def test_public_pages_need_no_login_and_show_designated_enterprises(demo, page):
    anon = page(None)
    for url in PUBLIC:
        assert anon.get(url).status_code == 200, url
    html = anon.get("/public/enterprises/?year=2026").content.decode()
    assert "白云鄂博稀土矿业有限公司" in html and "包头华美稀土高科有限公司" in html
    # before its designation took effect (2024-01-01) an enterprise is not listed
    assert "包头华美" not in anon.get("/public/enterprises/?year=2023").content.decode()


def test_public_pages_show_only_published_data(demo, page):
    """No draft plan, no report figure, no open case or undecided penalty ever appears on a public page."""
    draft = plan_create(actor=_u("miit_official"), year=2031, indicator_type="mining_rock",
                        total_t=Decimal("987654.321"), basis="内部测算，不公开")
    anon = page(None)
    pages = {}
    for lang in ("zh-hans", "en"):
        for url in PUBLIC + ["/public/totals/", "/public/enterprises/?year=2026", "/public/penalties/"]:
            pages[(lang, url)] = anon.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    text = "\n".join(pages.values())

    published_years = [int(k) for k in Publication.objects.filter(kind="national_totals").values_list("key", flat=True)]
    approved = {p.total_t for p in NationalPlan.objects.filter(status=PlanStatus.APPROVED, year__in=published_years)}
    assert approved, "the demo has published national plans"
    with translation.override("zh-hans"):
        for t in approved:
            assert tonnes(t) in pages[("zh-hans", "/public/totals/")]
        for plan in NationalPlan.objects.exclude(status=PlanStatus.APPROVED):
            if plan.total_t not in approved:
                assert tonnes(plan.total_t) not in text, f"draft plan {plan} shown"
        assert tonnes(draft.total_t) not in text and "2031" not in pages[("zh-hans", "/public/totals/")]
        assert "内部测算" not in text

        published = approved | set(PenaltyDeduction.objects.filter(penalty__status=PenaltyStatus.APPROVED)
                                   .values_list("tonnes", flat=True))
        figures = {tonnes(t) for t in ProductionLine.objects.values_list("tonnes", flat=True)} - {tonnes(t) for t in published}
        assert figures
        for f in figures:
            assert not re.search(r"(?<![\d,.])" + re.escape(f) + r"(?!\d)", text), f"report figure {f} on a public page"
    open_cases = Case.objects.exclude(status=CaseStatus.CLOSED)
    for case in open_cases:
        assert case.title not in text
    for p in Penalty.objects.exclude(status=PenaltyStatus.APPROVED):
        if p.facts:
            assert p.facts not in text
    for p in Penalty.objects.filter(status=PenaltyStatus.APPROVED).select_related("enterprise"):
        assert p.enterprise.name in pages[("zh-hans", "/public/penalties/")]  # the demo published its decision
