"""The README shows each role's main pages: every screenshot it links exists, and every main page the browser walk
photographs (tests/e2e/test_pages.py, SAVE_SCREENSHOTS=1) is linked from it."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from tests.e2e.test_pages import ROLES

ROOT = Path(settings.BASE_DIR)


def test_readme_links_an_existing_screenshot_of_every_main_page_of_every_role():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = re.findall(r"\]\((docs/screenshots/[^)]+)\)", readme)
    assert linked, "the README links no screenshot"
    missing = [p for p in linked if not (ROOT / p).is_file()]
    assert not missing, f"the README links screenshots that do not exist: {missing}"
    expected = {f"docs/screenshots/{role}-{name}.png" for role, (_user, shots) in ROLES.items() for name, _p in shots}
    expected.add("docs/screenshots/enterprise-filer-dashboard-390px.png")
    assert expected <= set(linked), f"main pages without a screenshot in the README: {sorted(expected - set(linked))}"
