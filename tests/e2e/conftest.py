"""Browser tests: Playwright (from PyPI) driving Debian's Chromium (/usr/bin/chromium) against pytest-django's
live server. Never a downloaded browser: `make test` installs the `chromium` package when it is absent.

Playwright's sync API runs an event loop in this thread; Django would then refuse ORM calls made by the test
itself ("You cannot call this from an async context"), hence DJANGO_ALLOW_ASYNC_UNSAFE while these tests run.
tests/conftest.py puts the data-migration rows (product catalogue, penalty rules) back before each of them.
On failure each test saves a full-page screenshot under tests/e2e/artifacts/ (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import sync_playwright

from organizations.demo import DEMO_PASSWORD
from reporting.periods import BEIJING
from tests.builders import approved_plan, issue_batch

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config, items):
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.sqlite)  # `make test` runs the journeys on SQLite (make run) as well


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def _playwright():
    """Playwright's sync API runs an event loop in this thread while it lives: only during this module's tests
    (Django refuses ORM calls from a thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set, which
    is set for exactly that span and never leaks into other tests or subprocesses)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            yield p
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(_playwright):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: run `make e2e-deps` (apt-get install chromium fonts-noto-cjk)")
    b = _playwright.chromium.launch(headless=True, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def browser_context(browser, live_server):
    """A fresh context per test (own cookies), Chinese browser language, Beijing time zone."""
    ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                              viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


def _artifact_name(nodeid: str, suffix: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid) + suffix)


def _accept_confirmations(page) -> None:
    """Irreversible acts ask for confirmation (window.confirm with a summary): the person says yes; what was asked
    is kept in page.confirmations for the test to check."""
    page.confirmations = []

    def accept(dialog):
        page.confirmations.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)


@pytest.fixture
def browser_page(request, browser_context):
    """A page in the test's context; on failure every open page of the context is saved as a screenshot."""
    page = browser_context.new_page()
    _accept_confirmations(page)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for i, p in enumerate(browser_context.pages):
            try:
                p.screenshot(path=str(_artifact_name(request.node.nodeid, f"-{i}.png")), full_page=True)
            except Exception:  # noqa: BLE001 - a broken page must not hide the test's own failure
                pass


@pytest.fixture
def new_page(request, browser):
    """new_page() → a page in a new context (another user), screenshots on failure like browser_page."""
    live_server = request.getfixturevalue("live_server")
    contexts = []

    def make():
        ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(TIMEOUT_MS)
        contexts.append(ctx)
        page = ctx.new_page()
        _accept_confirmations(page)
        return page

    yield make
    failed = getattr(request.node, "rep_call", None)
    for n, ctx in enumerate(contexts):
        if failed is not None and failed.failed:
            for i, p in enumerate(ctx.pages):
                try:
                    p.screenshot(path=str(_artifact_name(request.node.nodeid, f"-ctx{n}-{i}.png")), full_page=True)
                except Exception:  # noqa: BLE001
                    pass
        ctx.close()


def login(page, username: str, password: str | None = None) -> None:
    """Log in through the real login form and wait for the dashboard."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password or DEMO_PASSWORD)
    page.click("form button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/$"))
    page.wait_for_selector("nav.mainnav")




@pytest.fixture
def before_deadline(monkeypatch):
    """Freeze "now" (server side) at 10:00 Beijing time on the 5th of the current month: last month's report is
    due and its deadline (end of the 10th) is still ahead, whatever day the suite runs."""
    real = timezone.now().astimezone(BEIJING)
    frozen = dt.datetime(real.year, real.month, 5, 10, 0, tzinfo=BEIJING)
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    return frozen


@pytest.fixture
def quota_world(demo_orgs, before_deadline):
    """Demo organisations, an approved national plan for this year and an issued batch giving Huamei 5,000 t of
    smelting separation — built through the allocations services as the demo ministry users."""
    users = {u.username: u for u in get_user_model().objects.all()}
    year = before_deadline.year
    for itype, total in (("smelting_separation", "200000"), ("mining_rock", "200000")):
        approved_plan(year, itype, total)
    return {"year": year, "users": users, "enterprises": demo_orgs["enterprises"]}


def issue_to(world, enterprise, tonnes, indicator_type="smelting_separation"):
    return issue_batch(world["year"], [{"enterprise": enterprise, "indicator_type": indicator_type,
                                        "tonnes": Decimal(tonnes)}], title="测试批次")
