"""Authorization matrix over every API route (taken from the router, so a new endpoint is covered
automatically): for each role, every object the ministry can see but the role cannot must answer 404 on
read and 403/404/405 on every write and detail action — never data."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from quota_portal.api import router
from tests.dbsnapshot import seeded

pytestmark = pytest.mark.django_db

ROLES = ["miit_approver", "jiuyuan_reviewer", "longnan_reviewer", "baotou_viewer", "nmg_viewer",
         "huamei_filer", "huamei_manager", "hefa_filer", "lnmine_filer", "north_manager", "crg_manager"]
WRITE_OK = {200, 201, 202, 204}


@pytest.fixture
def demo(db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    seeded("seed_demo", lambda: call_command("seed_demo", stdout=open("/dev/null", "w")))  # built once, replayed (tests/dbsnapshot.py)


def client_for(username):
    c = APIClient()
    c.force_authenticate(get_user_model().objects.get(username=username))
    return c


def all_ids(client, prefix):
    ids, url = set(), f"/api/v1/{prefix}/?page_size=500"
    while url:
        r = client.get(url)
        if r.status_code != 200:
            return None
        body = r.json()
        rows = body["results"] if isinstance(body, dict) and "results" in body else body
        ids |= {row["id"] for row in rows if isinstance(row, dict) and "id" in row}
        url = body.get("next") if isinstance(body, dict) else None
    return ids


def detail_actions(viewset):
    return [a for a in viewset.get_extra_actions() if a.detail]


def routes():
    return [(prefix, viewset) for prefix, viewset, _basename in router.registry]


def test_every_route_is_scoped_for_every_role(demo):
    ministry = client_for("miit_official")
    checked = 0
    for prefix, viewset in routes():
        everything = all_ids(ministry, prefix)
        if not everything:
            continue
        for username in ROLES:
            client = client_for(username)
            visible = all_ids(client, prefix) or set()
            assert visible <= everything, f"{username} sees {prefix} the ministry does not"
            for pk in sorted(everything - visible)[:5]:
                url = f"/api/v1/{prefix}/{pk}/"
                r = client.get(url)
                assert r.status_code == 404, f"{username} GET {url} → {r.status_code}"
                for method in ("put", "patch", "delete"):
                    r = getattr(client, method)(url, {}, format="json")
                    assert r.status_code in (403, 404, 405), f"{username} {method.upper()} {url} → {r.status_code}"
                for action in detail_actions(viewset):
                    action_url = f"{url}{action.url_path}/"
                    for method in action.mapping:
                        if method in ("get", "head", "options"):
                            r = client.get(action_url)
                            assert r.status_code in (403, 404), f"{username} GET {action_url} → {r.status_code}"
                        else:
                            r = getattr(client, method)(action_url, {"comment": "x", "reason": "x"}, format="json")
                            assert r.status_code in (403, 404, 405), (
                                f"{username} {method.upper()} {action_url} → {r.status_code}: {r.content[:200]}"
                            )
                checked += 1
    assert checked > 0


def test_anonymous_gets_nothing_anywhere(demo):
    anon = APIClient()
    for prefix, _viewset in routes():
        r = anon.get(f"/api/v1/{prefix}/")
        assert r.status_code in (401, 403, 404), f"anonymous GET /api/v1/{prefix}/ → {r.status_code}"
        r = anon.post(f"/api/v1/{prefix}/", {}, format="json")
        assert r.status_code in (401, 403, 404, 405), f"anonymous POST /api/v1/{prefix}/ → {r.status_code}"
