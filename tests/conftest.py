"""Shared fixtures. Data are built through the real services (organizations.demo.seed and friends)."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.test import Client
from pytest_django.plugin import blocking_manager_key
from rest_framework.test import APIClient

from organizations import outbox
from organizations.demo import seed
from tests.dbsnapshot import reference_capture, reference_restore, seeded


@pytest.fixture(autouse=True)
def _audit_seal_dir(settings, tmp_path):
    """Each test seals into its own directory (the seal file belongs to the test's database)."""
    settings.AUDIT_SEAL_DIR = tmp_path / "audit-seals"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Two-factor for ministry roles is tested in tests/organizations/test_two_factor.py; elsewhere it is off.
    settings.OTP_REQUIRED = False

    cache.clear()  # throttle counters must not leak from one test into another

    outbox._broker_down_until = 0.0  # nor a broker outage simulated by an earlier test


_REFERENCE: dict = {"contents": None, "rows": None}


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool((marker is not None and marker.kwargs.get("transaction")) or any(
        f in getattr(item, "fixturenames", ()) for f in ("transactional_db", "live_server")))


@pytest.fixture(autouse=True)
def _reference_data(request, django_db_blocker):
    """What the data migrations put in (product catalogue, penalty rules, beat schedules, content types…),
    serialised when the first transactional test starts (every test before it rolled back, so the database
    is still as migrated). After each transactional test — whose flush empties all of it — the database is
    put back (see pytest_runtest_teardown below), so the tests after it see a normal database."""
    if _REFERENCE["contents"] is None and _is_transactional(request.node):
        request.getfixturevalue("django_db_setup")
        with django_db_blocker.unblock():
            _REFERENCE["rows"] = reference_capture()  # PostgreSQL: the rows as they are, put back by SQL
            _REFERENCE["contents"] = (getattr(connection, "_test_serialized_contents", None)
                                      or connection.creation.serialize_db_to_string())
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield  # every fixture of the test is torn down now, the transactional flush included
    if _REFERENCE["contents"] is None or not _is_transactional(item):
        return

    with item.config.stash[blocking_manager_key].unblock():
        if _REFERENCE["rows"] is not None:
            reference_restore(_REFERENCE["rows"])
            return
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
        connection.creation.deserialize_db_from_string(_REFERENCE["contents"])
        # rows came back with their ids: move the sequences past them, or the next insert collides

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True)):
                cursor.execute(sql)


@pytest.fixture
def demo_orgs(db):
    """The demo authority tree, groups, enterprises, licences and users (see organizations/demo.py), built by the
    services once and replayed for later tests on the same starting database (tests/dbsnapshot.py)."""
    return seeded("seed", lambda: seed({}))


@pytest.fixture
def user(db):
    def get(username):
        return get_user_model().objects.get(username=username)

    return get


@pytest.fixture
def api(db):
    """api("miit_official") → an APIClient authenticated as that demo user; api(None) → anonymous."""

    def make(username=None):
        client = APIClient()
        if username:
            client.force_authenticate(get_user_model().objects.get(username=username))
        return client

    return make


@pytest.fixture
def page(db, client):
    """page("huamei_filer") → a Django test client logged in as that user (session auth, CSRF-exempt)."""
    def make(username=None):
        c = Client()
        if username:
            c.force_login(get_user_model().objects.get(username=username))
        return c

    return make
