"""Query-count guards: list pages and API lists do not grow with the number of rows."""

import datetime as dt

import pytest

from enforcement import services
from enforcement.models import Flag
from tests.builders import U, bj

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_flags(demo_orgs):
    services.flag_scan_late_reports(now=bj(2025, 4, 11, 0, 15), lookback_months=6)
    assert Flag.objects.count() >= 14 * 6
    return Flag.objects.count()


def test_flag_api_list_queries(many_flags, api, django_assert_max_num_queries):
    client = api("miit_official")
    with django_assert_max_num_queries(6):
        r = client.get("/api/v1/flags/?page_size=100")
    assert r.json()["count"] == many_flags


def test_flag_page_queries(many_flags, page, django_assert_max_num_queries):
    c = page("miit_official")
    with django_assert_max_num_queries(14):
        r = c.get("/enforcement/flags/")
    assert r.status_code == 200


def test_case_list_and_detail_queries(demo_orgs, api, page, django_assert_max_num_queries):
    hefa = demo_orgs["enterprises"]["hefa"]
    for i in range(8):
        case = services.case_open(actor=U("jiuyuan_reviewer"), enterprise=hefa, origin="inspection", title=f"c{i}")
        services.penalty_propose(actor=U("jiuyuan_reviewer"), case=case, violation_type="flow_records",
                                 violation_date=dt.date(2025, 5, 1), fine_cny="100000",
                                 deductions=[{"indicator_type": "smelting_separation", "tonnes": "1"}])
    client, browser = api("jiuyuan_reviewer"), page("jiuyuan_reviewer")
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/cases/").json()["count"] == 8
    with django_assert_max_num_queries(12):
        assert browser.get("/enforcement/cases/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    with django_assert_max_num_queries(20):
        assert browser.get(f"/enforcement/cases/{case.pk}/").status_code == 200
