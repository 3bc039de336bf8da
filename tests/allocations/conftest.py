"""Helpers for the allocations tests: data built through the real services, acting as the demo users."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from allocations import services
from organizations.models import Role
from organizations.services import user_with_membership_upsert


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
        p = services.plan_create(actor=ministry["miit_official"], year=year, indicator_type=indicator_type,
                                 total_t=Decimal(total), reserve_t=Decimal(reserve))
        return services.plan_approve(actor=ministry["miit_approver"], plan=p)

    return make


@pytest.fixture
def issue(ministry):
    """issue(year, lines, **kw) → a batch drafted by miit_official, submitted and approved by miit_approver."""

    def make(year, lines, *, title="Batch", document_no="", issued_at=None):
        batch = services.batch_create(actor=ministry["miit_official"], year=year, title=title,
                                      document_no=document_no, lines=lines)
        services.batch_submit(actor=ministry["miit_official"], batch=batch)
        return services.batch_approve(actor=ministry["miit_approver"], batch=batch, issued_at=issued_at)

    return make
