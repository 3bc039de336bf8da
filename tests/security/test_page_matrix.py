"""Authorization matrix over every page URL with an object id, taken from the URL resolver: as each role,
objects of another enterprise / another county answer 404 on GET and 403/404/405 on POST — never the page.
A new page with an id is covered automatically once its path prefix is mapped below (the test fails until
it is, so nothing slips through unmapped)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.dbsnapshot import seeded

pytestmark = pytest.mark.django_db

ROLES = ["jiuyuan_reviewer", "longnan_reviewer", "baotou_viewer", "huamei_filer", "hefa_filer", "lnmine_filer",
         "north_manager", "crg_manager"]

# page path prefix → the API resource whose ids (and scoping) the page shares
PAGE_RESOURCE = {
    "enterprises/": "enterprises",
    "allocations/plans/": "plans",
    "allocations/batches/": "batches",
    "reports/": "reports",
    "reports/annual/": "annual-reports",
    "enforcement/cases/": "cases",
    "enforcement/flags/": "flags",
    "enforcement/jobs/": "job-runs",
    "register/decisions/": "designations",
    "ledger/fill/": "reports",
    "ledger/": "shipments",
}
# pages whose ids are not those of an API resource; each is checked by its own tests (named here)
NOT_MAPPED = {
    "inbox/": "per-user inbox: tests/enforcement/test_pages_and_jobs.py",
    "reports/attachments/": "attachment of a report: tests/reporting (scoped through the report)",
    "reports/corrections/": "correction requests (scoped through the report): tests/reporting/test_annual.py",
    "allocations/breakdowns/": "group breakdowns: tests/allocations/test_breakdowns.py",
    "enforcement/cases/<int:pk>/attachments/": "statement attachments: tests/enforcement/test_cases.py",
    "register/import/": "register imports (ministry only): tests/organizations/test_register_import.py",
    "staff/": "staff of one's own organisation: tests/organizations/test_onboarding.py",
}
FILL = {"line_pk": "1", "att": "1", "section": "production", "verb": "submit", "action": "close"}


def page_routes():
    def walk(resolver, prefix=""):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                yield from walk(p, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    return [r for r in walk(get_resolver()) if "<int:" in r and not r.startswith(("api/", "admin/"))]


def resource_of(route):
    for prefix in sorted(NOT_MAPPED, key=len, reverse=True):
        if route.startswith(prefix.split("<")[0]) and (("<" not in prefix) or route.startswith(prefix)):
            return None
    for prefix in sorted(PAGE_RESOURCE, key=len, reverse=True):
        if route.startswith(prefix):
            return PAGE_RESOURCE[prefix]
    raise AssertionError(f"page {route!r} has an object id but no scope mapping in this test")


def ids(client, resource):
    out, url = set(), f"/api/v1/{resource}/?page_size=500"
    while url:
        body = client.get(url).json()
        out |= {row["id"] for row in body["results"]}
        url = body.get("next")
    return out


def fill(route, pk):
    path = re.sub(r"<int:pk>", str(pk), route)
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: FILL.get(m.group(1), "1"), path)


def test_every_page_with_an_id_is_scoped_for_every_role(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    seeded("seed_demo", lambda: call_command("seed_demo", stdout=open("/dev/null", "w")))  # built once, replayed (tests/dbsnapshot.py)
    User = get_user_model()
    ministry = APIClient()
    ministry.force_authenticate(User.objects.get(username="miit_official"))
    routes = [(r, resource_of(r)) for r in page_routes()]
    assert any(res for _r, res in routes)
    checked = 0
    for username in ROLES:
        user = User.objects.get(username=username)
        api, page = APIClient(), Client()
        api.force_authenticate(user)
        page.force_login(user)
        for route, resource in routes:
            if resource is None:
                continue
            hidden = sorted(ids(ministry, resource) - ids(api, resource))[:3]
            for pk in hidden:
                url = fill(route, pk)
                r = page.get(url)
                assert r.status_code in (404, 405), f"{username} GET {url} → {r.status_code}"
                r = page.post(url, {"comment": "x", "reason": "x"})
                assert r.status_code in (403, 404, 405), f"{username} POST {url} → {r.status_code}"
                checked += 1
    assert checked > 50
