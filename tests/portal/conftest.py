import pytest
from django.core.management import call_command


@pytest.fixture
def demo(db):
    """The full demo data of every app (seed_demo), built through the apps' services."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))
