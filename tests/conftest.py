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


@pytest.fixture(autouse=True)
def _restore_reference_data(request, django_db_blocker):
    """A transactional test ends with a flush that also empties what data migrations seeded (the product
    catalogue, penalty rules, beat schedules). Put it back so that the tests after it see a normal database."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        f in request.fixturenames for f in ("transactional_db", "live_server"))
    if not transactional:
        return
    from django.db import connection

    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        from django.core.management import call_command

        with django_db_blocker.unblock():
            # the closing flush may have re-created content types and permissions under new ids: start clean
            call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
            connection.creation.deserialize_db_from_string(contents)


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
