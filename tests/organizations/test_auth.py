import pytest
from django.test import Client
from rest_framework.test import APIClient

from organizations.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

DEMO_USERS = ["miit_official", "miit_approver", "jiuyuan_reviewer", "baotou_viewer", "huamei_filer",
              "huamei_manager", "north_manager"]


@pytest.mark.parametrize("username", DEMO_USERS)
def test_each_demo_user_logs_in_and_lands_on_a_dashboard(demo_orgs, username):
    c = Client()
    assert c.get("/login/").status_code == 200
    r = c.post("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 302, r.content[:500]
    home = c.get(r["Location"])
    assert home.status_code == 200
    assert username in home.content.decode() or home.context["user"].username == username


def test_token_endpoint_and_token_auth(demo_orgs):
    c = APIClient()
    r = c.post("/api/v1/auth/token/", {"username": "huamei_filer", "password": DEMO_PASSWORD}, format="json")
    assert r.status_code == 200
    token = r.json()["token"]
    c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = c.get("/api/v1/enterprises/")
    assert me.status_code == 200 and me.json()["count"] == 1
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get("/api/v1/enterprises/").status_code == 401


def test_wrong_password_is_a_clear_400(demo_orgs):
    r = APIClient().post("/api/v1/auth/token/", {"username": "huamei_filer", "password": "nope"}, format="json")
    assert r.status_code == 400
    assert "errors" in r.json()


def test_lockout_after_five_failures(demo_orgs):
    c = Client()
    for attempt in range(1, 6):
        r = c.post("/login/", {"username": "huamei_filer", "password": "wrong-password"})
        # the form again with an error, until the fifth failure locks the account
        assert r.status_code == (200 if attempt < 5 else 429)
        if attempt < 5:
            assert "form-error" in r.content.decode()
    r = c.post("/login/", {"username": "huamei_filer", "password": DEMO_PASSWORD})
    assert r.status_code == 429
    # the token endpoint is locked for that user too
    t = APIClient().post("/api/v1/auth/token/", {"username": "huamei_filer", "password": DEMO_PASSWORD}, format="json")
    assert t.status_code == 429 and t.json()["code"] == "locked_out" and int(t["Retry-After"]) > 0
    # another user is not affected
    assert Client().post("/login/", {"username": "hefa_filer", "password": DEMO_PASSWORD}).status_code == 302


def test_openapi_schema_and_docs_work_offline(demo_orgs, client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/enterprises/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower() and b"/static/drf_spectacular_sidecar/" in docs.content


def test_language_switch_to_english(demo_orgs):
    c = Client()
    assert "登录" in c.get("/login/").content.decode()
    c.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert "Log in" in c.get("/login/").content.decode()
