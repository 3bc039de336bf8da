"""Issue 11: the house rules that a reader can rely on, checked."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import get_commands
from django.db import transaction

from allocations import services as alloc
from allocations.models import NationalPlan
from quota_portal.transactions import durable_boundary

ROOT = Path(__file__).resolve().parents[2]


def test_no_dynamic_wiring_in_the_project_package():
    for path in (ROOT / "quota_portal").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "importlib" not in text and "__import__" not in text, path


def test_enforcement_services_is_a_package_and_seed_demo_lives_in_quota_portal():
    assert not (ROOT / "enforcement" / "services.py").exists()
    assert {p.stem for p in (ROOT / "enforcement" / "services").glob("*.py")} >= {
        "jobs", "scans", "reminders", "cases", "penalties", "deductions"}
    assert get_commands()["seed_demo"] == "quota_portal"


@pytest.mark.django_db
def test_a_top_level_service_is_durable_unless_a_boundary_composes_it(demo_orgs):
    official = get_user_model().objects.get(username="miit_official")
    with pytest.raises(RuntimeError), transaction.atomic():  # an accidental wrapper is refused
        alloc.plan_create(actor=official, year=2033, indicator_type="mining_rock", total_t=Decimal("10"))
    assert not NationalPlan.objects.filter(year=2033).exists()
    with durable_boundary():  # the declared boundary: the service joins it
        alloc.plan_create(actor=official, year=2033, indicator_type="mining_rock", total_t=Decimal("10"))
    assert NationalPlan.objects.filter(year=2033).exists()
