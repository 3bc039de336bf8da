"""The review queue and the report lists run a constant number of queries, however many reports there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import huamei_payload

pytestmark = pytest.mark.django_db


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _file_months(demo_orgs, filed, months):
    for m in months:
        filed("huamei", 2025, m, payload=huamei_payload(demo_orgs, 2025, m))
        filed("hefa", 2025, m, payload={"nil": True})


PAGES = [
    ("jiuyuan_reviewer", "/reports/?status=submitted"),  # the county review queue
    ("jiuyuan_reviewer", "/reports/?late=0&year=2025"),
    ("huamei_filer", "/reports/"),
    ("nmg_viewer", "/reports/"),
]
API_USERS = ["jiuyuan_reviewer", "huamei_filer", "miit_official"]


def test_review_queue_and_report_lists_run_constant_queries(demo_orgs, filed, page_en, api,
                                                            django_assert_max_num_queries):
    _file_months(demo_orgs, filed, [1, 2])
    pages = [(page_en(u), url) for u, url in PAGES]
    apis = [api(u) for u in API_USERS]
    for c in apis:
        c.get("/api/v1/reports/")  # warm the per-user membership cache
    few_pages = [_queries(lambda c=c, url=url: c.get(url)) for c, url in pages]
    few_api = [_queries(lambda c=c: c.get("/api/v1/reports/?status=submitted")) for c in apis]
    _file_months(demo_orgs, filed, range(3, 9))
    for (c, url), few in zip(pages, few_pages, strict=True):
        with django_assert_max_num_queries(few):
            assert _queries(lambda c=c, url=url: c.get(url)) == few, url
    for c, few in zip(apis, few_api, strict=True):
        with django_assert_max_num_queries(few):
            response = c.get("/api/v1/reports/?status=submitted")
        assert response.json()["count"] >= 8


def test_report_detail_api_runs_constant_queries(demo_orgs, filed, api):
    small = filed("huamei", 2025, 1)
    payload = huamei_payload(demo_orgs, 2025, 2)
    payload["shipments"] = payload["shipments"] * 5
    for i, s in enumerate(payload["shipments"]):
        payload["shipments"][i] = dict(s, document_no=f"D{i}")
    big = filed("huamei", 2025, 2, payload=payload, submit=False)
    c = api("huamei_filer")
    c.get("/api/v1/reports/")  # warm the per-user membership cache
    assert _queries(lambda: c.get(f"/api/v1/reports/{small.pk}/")) == _queries(lambda: c.get(f"/api/v1/reports/{big.pk}/"))


def test_summaries_run_constant_queries(demo_orgs, filed, api):
    c = api("miit_official")
    _file_months(demo_orgs, filed, [3])
    c.get("/api/v1/reports/")  # warm the per-user membership cache
    few = _queries(lambda: c.get("/api/v1/summaries/?year=2025&month=3&level=county"))
    filed("bymine", 2025, 3, payload={"nil": True})
    filed("lnmine", 2025, 3, payload={"nil": True})
    assert _queries(lambda: c.get("/api/v1/summaries/?year=2025&month=3&level=county")) == few
