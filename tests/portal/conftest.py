import pytest
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings

from tests.dbsnapshot import seeded


@pytest.fixture(scope="package")
def demo_world(django_db_setup, django_db_blocker):
    """The full demo data of every app (seed_demo, built through the apps' services), loaded once for the
    tests/portal package inside a transaction that is rolled back when the package is done. Tests on top of it
    use ``db`` as usual (their own savepoint), so they cannot leak into each other."""
    with django_db_blocker.unblock(), override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        atomic = transaction.atomic()
        # Like Django's TestCase atomics: the durable transactions of the services (seed_demo's boundary) may
        # open inside this package-wide one.
        atomic._from_testcase = True
        atomic.__enter__()
        try:
            seeded("seed_demo", lambda: call_command("seed_demo", stdout=open("/dev/null", "w")))
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def demo(demo_world, db):
    return None
