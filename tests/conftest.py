"""Shared fixtures. Data are built through the real services (organizations.demo.seed and friends)."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Two-factor for ministry roles is tested in tests/organizations/test_two_factor.py; elsewhere it is off.
    settings.OTP_REQUIRED = False
    from django.core.cache import cache

    cache.clear()  # throttle counters must not leak from one test into another
    from organizations import outbox

    outbox._broker_down_until = 0.0  # nor a broker outage simulated by an earlier test


@pytest.fixture(scope="session")
def _reference_data(django_db_setup, django_db_blocker):
    """What the data migrations put in (product catalogue, penalty rules, beat schedules, content types…),
    serialised when the first transactional test starts (the non-transactional tests before it roll back).
    At the end of the session the database is put back to it, so a later --reuse-db run starts whole."""
    from django.core.management import call_command
    from django.db import connection

    with django_db_blocker.unblock():
        contents = getattr(connection, "_test_serialized_contents", None) or connection.creation.serialize_db_to_string()
    yield contents
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
        connection.creation.deserialize_db_from_string(contents)


@pytest.fixture(autouse=True)
def _restore_reference_data(request, django_db_blocker):
    """A transactional test starts from the reference data whatever the test before it flushed (the flush at
    the end of a transactional test also empties what data migrations seeded and may re-create content types
    under new ids). Restored at set-up, so the order of fixture tear-downs does not matter."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        f in request.fixturenames for f in ("transactional_db", "live_server"))
    if transactional:
        from django.core.management import call_command
        from django.db import connection

        contents = request.getfixturevalue("_reference_data")
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
            connection.creation.deserialize_db_from_string(contents)
    yield


@pytest.fixture
def demo_orgs(db):
    """The demo authority tree, groups, enterprises, licences and users (see organizations/demo.py)."""
    from organizations.demo import seed

    return seed({})


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
    from django.test import Client

    def make(username=None):
        c = Client()
        if username:
            c.force_login(get_user_model().objects.get(username=username))
        return c

    return make
