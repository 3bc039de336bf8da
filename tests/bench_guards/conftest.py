# The full demo data of every app, once for the package (the fixture of tests/portal, reused as it is).
from tests.portal.conftest import demo, demo_world  # noqa: F401
