"""The national dashboard's set-based path (portal.selectors.national_overview, added for bench/ at national
scale) gives the same figures as the row-by-row functions it replaces, in a constant number of queries."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from portal import selectors as s

pytestmark = pytest.mark.django_db


def _row_by_row(user, year, now):
    rows = s.quota_rows(user=user, year=year)
    monthly = s.monthly_production(user=user, year=year)
    groups, provinces = s.usage_by_group_and_province(rows)
    risky = s.at_risk(s.year_end_projection(rows=rows, monthly=monthly, year=year, now=now))[:15]
    return s.usage_by_type(rows), groups, provinces, s.production_trend(monthly), risky


def _risk_key(rows):
    return [(r["enterprise"].pk, r["enterprise"].name, r["indicator_type"], r["effective"], r["used"], r["months"],
             r["projected"], r["cross_month"], r["already_crossed"]) for r in rows]


@pytest.mark.parametrize("username", ["miit_official", "baotou_viewer", "jiuyuan_reviewer"])
def test_national_overview_equals_the_row_by_row_figures(demo, username):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        pytest.skip(f"no demo user {username}")
    now = timezone.now()
    for year in (now.year - 1, now.year):
        by_type, groups, provinces, trend, risky = _row_by_row(user, year, now)
        ov = s.national_overview(user=user, year=year, now=now)
        assert [(t["indicator_type"], t["effective"], t["used"], t["over"]) for t in ov["by_type"]] == \
               [(t["indicator_type"], t["effective"], t["used"], t["over"]) for t in by_type]
        assert [(g["name"], g["effective"], g["used"]) for g in ov["groups"]] == \
               [(g["name"], g["effective"], g["used"]) for g in groups]
        assert [(p["code"], p["name"], p["effective"], p["used"]) for p in ov["provinces"]] == \
               [(p["code"], p["name"], p["effective"], p["used"]) for p in provinces]
        assert s.production_trend(ov["trend_monthly"]) == trend
        assert _risk_key(ov["at_risk"]) == _risk_key(risky)
    assert any(t["used"] for t in ov["by_type"]) or username != "miit_official"


def test_national_overview_runs_constant_queries(demo, django_assert_max_num_queries):
    user = get_user_model().objects.get(username="miit_official")
    with django_assert_max_num_queries(6):
        ov = s.national_overview(user=user, year=timezone.now().year, now=timezone.now())
    assert ov["by_type"]


def test_ministry_dashboard_page_uses_it(demo, page, django_assert_max_num_queries):
    c = page("miit_official")
    c.get("/")
    with django_assert_max_num_queries(30) as q:  # 28 with the demo: one open-flag count, one ledger read
        r = c.get("/")
    assert r.status_code == 200
    assert not any("reporting_productionline" in x["sql"] for x in q.captured_queries), \
        "the ministry dashboard must read the monthly roll-up, not the report lines"
    assert sum("enforcement_flagtotal" in x["sql"] for x in q.captured_queries) == (
        1 if connection.vendor == "postgresql" else 0), \
        "open flags are counted once, from the FlagTotal roll-up, for the ministry's chart and the enforcement card"
    assert sum('"enforcement_flag"' in x["sql"] for x in q.captured_queries) == (
        0 if connection.vendor == "postgresql" else 1), "the ministry's dashboard does not count the flags themselves"
