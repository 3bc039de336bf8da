"""Ministry roles need a TOTP second factor in pages and for API tokens; other roles do not."""

import time

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from organizations.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _otp_on(settings):
    settings.OTP_REQUIRED = True


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def login(username):
    c = Client()
    r = c.post("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 302
    return c


def test_ministry_user_sets_up_then_verifies_totp(demo_orgs, user):
    c = login("miit_approver")
    r = c.get("/enterprises/")
    assert r.status_code == 302 and r["Location"].startswith("/account/2fa/")
    setup = c.get(r["Location"])
    assert setup.status_code == 200 and "data:image/svg+xml" in setup.content.decode()
    device = TOTPDevice.objects.get(user=user("miit_approver"))
    bad = c.post("/account/2fa/", {"otp_token": "000000", "next": "/enterprises/"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    time.sleep(1.1)  # django-otp throttles: one second after the first wrong code
    ok = c.post("/account/2fa/", {"otp_token": code_for(device), "next": "/enterprises/"})
    assert ok.status_code == 302 and ok["Location"] == "/enterprises/"
    assert c.get("/enterprises/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    # next login: verification again, with no new device
    c2 = login("miit_approver")
    assert c2.get("/").status_code == 302
    assert TOTPDevice.objects.filter(user=user("miit_approver")).count() == 1


def test_unverified_ministry_session_gets_403_from_the_api(demo_orgs):
    c = login("miit_official")
    r = c.get("/api/v1/enterprises/")
    assert r.status_code == 403 and r.json()["code"] == "otp_required"


def test_other_roles_need_no_second_factor(demo_orgs):
    for username in ("huamei_filer", "baotou_viewer", "north_manager"):
        assert login(username).get("/enterprises/").status_code == 200, username


def test_county_reviewers_who_open_cases_and_decide_penalties_need_totp(demo_orgs, user):
    """County reviewers open cases, decide and approve penalties: pages, the API and tokens need the code."""
    c = login("jiuyuan_reviewer")
    r = c.get("/enterprises/")
    assert r.status_code == 302 and r["Location"].startswith("/account/2fa/")
    api = c.post("/api/v1/cases/", {"enterprise": 1, "origin": "inspection"}, content_type="application/json")
    assert api.status_code == 403 and api.json()["code"] == "otp_required"
    device = TOTPDevice.objects.create(user=user("jiuyuan_reviewer"), name="app", confirmed=True)
    token = APIClient().post("/api/v1/auth/token/", {"username": "jiuyuan_reviewer", "password": DEMO_PASSWORD},
                             format="json")
    assert token.status_code == 400 and "otp_token" in token.json()["errors"]
    ok = c.post("/account/2fa/", {"otp_token": code_for(device), "next": "/enterprises/"})
    assert ok.status_code == 302 and c.get("/enterprises/").status_code == 200


def test_ministry_token_needs_a_valid_code(demo_orgs, user):
    device = TOTPDevice.objects.create(user=user("miit_official"), name="app", confirmed=True)
    api = APIClient()
    r = api.post("/api/v1/auth/token/", {"username": "miit_official", "password": DEMO_PASSWORD}, format="json")
    assert r.status_code == 400 and "otp_token" in r.json()["errors"]
    r = api.post("/api/v1/auth/token/", {"username": "miit_official", "password": DEMO_PASSWORD,
                                          "otp_token": code_for(device)}, format="json")
    assert r.status_code == 200 and r.json()["token"]
