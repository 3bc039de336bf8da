"""Helpers for the allocations tests: data built through the real services, acting as the demo users."""


import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from organizations.models import Role
from organizations.services import user_with_membership_upsert
from tests.builders import approved_plan, issue_batch


@pytest.fixture(autouse=True)
def _english(settings):
    """Assert on the English messages (the portal defaults to Simplified Chinese)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def ministry(demo_orgs):
    """The demo ministry users plus a second approver (four eyes needs two)."""
    User = get_user_model()
    user_with_membership_upsert(username="miit_approver2", password=None, role=Role.MINISTRY_APPROVER,
                                authority=demo_orgs["ministry"])
    return {u: User.objects.get(username=u) for u in ("miit_official", "miit_official2", "miit_approver",
                                                        "miit_approver2")}


@pytest.fixture
def plan(ministry):
    """plan(year, type, total, reserve=0) → an approved national plan."""

    def make(year, indicator_type, total, reserve=0):
        return approved_plan(year, indicator_type, total, reserve)

    return make


@pytest.fixture
def issue(ministry):
    """issue(year, lines, **kw) → a batch drafted by miit_official, submitted and approved by miit_approver."""

    def make(year, lines, *, title="Batch", document_no="", issued_at=None):
        return issue_batch(year, lines, title=title, document_no=document_no, issued_at=issued_at)

    return make
