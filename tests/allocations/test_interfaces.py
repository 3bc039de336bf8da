"""The interfaces other apps build on: usage upsert, idempotent deductions, effective quota rows."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from allocations.models import Deduction, QuotaUsage
from allocations.selectors import quota_get, quota_list
from allocations.services import quota_usage_set, record_deduction

pytestmark = pytest.mark.django_db


def test_usage_upsert_and_quota_get_zero(demo_orgs):
    huamei = demo_orgs["enterprises"]["huamei"]
    row = quota_get(enterprise=huamei, year=2026, indicator_type="smelting_separation")
    assert (row.issued, row.effective, row.used, row.remaining) == (0, 0, 0, 0)
    quota_usage_set(enterprise_id=huamei.pk, year=2026, indicator_type="smelting_separation", used=Decimal("12.5"))
    quota_usage_set(enterprise_id=huamei.pk, year=2026, indicator_type="smelting_separation", used=Decimal("20"))
    assert QuotaUsage.objects.get(enterprise=huamei, year=2026).used_t == Decimal("20.000")
    row = quota_get(enterprise=huamei, year=2026, indicator_type="smelting_separation")
    assert row.used == Decimal("20.000") and row.remaining == Decimal("-20.000")


def test_record_deduction_is_idempotent(demo_orgs, user):
    hefa = demo_orgs["enterprises"]["hefa"]
    actor = user("miit_official")
    d1 = record_deduction(actor=actor, enterprise=hefa, year=2027, indicator_type="smelting_separation",
                          tonnes=Decimal("100"), penalty_id=7, reason="penalty 7")
    d2 = record_deduction(actor=actor, enterprise=hefa, year=2027, indicator_type="smelting_separation",
                          tonnes=Decimal("100"), penalty_id=7, reason="penalty 7")
    assert d1.pk == d2.pk
    assert Deduction.objects.filter(penalty_id=7).count() == 1
    rows = quota_list(user=actor, year=2027)
    assert [(r.enterprise.pk, r.deductions, r.effective) for r in rows] == [(hefa.pk, Decimal("100.000"),
                                                                             Decimal("-100.000"))]


def test_quota_list_for_nobody_or_no_enterprise(demo_orgs, user):
    stranger = get_user_model().objects.create_user("stranger", password=None)
    assert quota_list(user=stranger, year=2026) == []
    assert quota_list(user=user("miit_official"), year=2026, enterprise_ids=[]) == []
