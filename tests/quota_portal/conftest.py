import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Assert on the English messages (the portal defaults to Simplified Chinese)."""
    with translation.override("en"):
        yield
