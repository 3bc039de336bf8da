"""Production settings pass `check --deploy`; pages carry the security headers; sessions expire when idle."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError

from organizations.api import ObtainTokenView
from quota_portal.throttling import WriteRateThrottle

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_has_no_warnings_with_production_env():
    env = {
        **os.environ,
        "DJANGO_SECURE": "1",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "AUDIT_SEAL_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "quota.example.gov.cn",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://quota.example.gov.cn",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests for their own process only
    r = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues" in r.stdout


@pytest.mark.django_db
def test_security_headers_on_pages(client):
    r = client.get("/login/")
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Referrer-Policy"] == "same-origin"
    assert r["X-Frame-Options"] == "DENY"
    assert r["X-Request-ID"]


def test_sessions_expire_after_thirty_idle_minutes():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True  # idle time, renewed by each request


@pytest.mark.django_db
def test_writes_are_throttled_per_user_reads_are_not(demo_orgs, api, monkeypatch):
    cache.clear()
    monkeypatch.setattr(WriteRateThrottle, "THROTTLE_RATES", {"writes": "3/min"})
    client = api("huamei_filer")
    codes = [client.post("/api/v1/reports/", {}, format="json").status_code for _ in range(4)]
    assert codes[:3] == [400, 400, 400] and codes[3] == 429
    assert client.get("/api/v1/enterprises/").status_code == 200  # reading goes on
    assert api("hefa_filer").post("/api/v1/reports/", {}, format="json").status_code == 400  # others unaffected
    cache.clear()


def test_token_endpoint_is_throttled():
    assert ObtainTokenView.throttle_scope == "token"
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]


@pytest.mark.django_db
def test_weak_passwords_are_refused():
    for weak in ("12345678901", "password123", "short1!"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Rare-Earth-Quota-2026!")
