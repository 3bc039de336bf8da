"""seed_demo loads the real national figures and the 2024 first batch by group, broken down; idempotently."""

from decimal import Decimal

import pytest

from allocations import demo
from allocations.models import BreakdownShare, GroupBreakdown, IssuanceBatch, NationalPlan
from allocations.selectors import national_balance, quota_get
from organizations.demo import seed
from organizations.models import Enterprise

pytestmark = pytest.mark.django_db


def _state():
    return (NationalPlan.objects.count(), IssuanceBatch.objects.count(), GroupBreakdown.objects.count(),
            BreakdownShare.objects.count())


def _seed():
    context = seed({})
    context.update(demo.seed(context))
    return context


def test_seed_demo_real_figures_and_idempotent():
    _seed()
    first = _state()
    _seed()
    assert _state() == first

    totals = {(p.year, p.indicator_type): p.total_t for p in NationalPlan.objects.filter(status="approved")}
    assert totals[(2021, "mining_rock")] == Decimal("148850") and totals[(2021, "mining_ion")] == Decimal("19150")
    assert totals[(2021, "smelting_separation")] == Decimal("162000")
    for year, mining, smelting in ((2022, 210000, 202000), (2023, 255000, 243850), (2024, 270000, 254000)):
        assert totals[(year, "mining_rock")] + totals[(year, "mining_ion")] == Decimal(mining)
        assert totals[(year, "smelting_separation")] == Decimal(smelting)

    batch = IssuanceBatch.objects.get(year=2024, sequence=1)
    assert batch.status == "issued" and batch.document_no == "工信部联原〔2024〕25号"
    by_group = {(ln.group.short_name, ln.indicator_type): ln.tonnes for ln in batch.lines.select_related("group")}
    assert by_group == {
        ("北方稀土", "mining_rock"): Decimal("94580"), ("北方稀土", "smelting_separation"): Decimal("88010"),
        ("中国稀土", "mining_rock"): Decimal("30280"), ("中国稀土", "mining_ion"): Decimal("10140"),
        ("中国稀土", "smelting_separation"): Decimal("38990"),
    }
    # Issued just before the 2024 Spring Festival: the 10 working days end on 26 February.
    assert str(batch.breakdown_due) == "2024-02-26"
    balance = {r.indicator_type: r for r in national_balance(year=2024)}
    assert balance["mining_rock"].issued + balance["mining_ion"].issued == Decimal("135000")
    assert balance["smelting_separation"].issued == Decimal("127000")

    # Every group line of the first batches is broken down exactly; subsidiaries have 2026 quotas.
    for bd in GroupBreakdown.objects.select_related("line"):
        assert sum(s.tonnes for s in bd.shares.all()) == bd.line.tonnes

    huamei = Enterprise.objects.get(name="包头华美稀土高科有限公司")
    row = quota_get(enterprise=huamei, year=2026, indicator_type="smelting_separation")
    assert row.breakdown_received == Decimal("40000") and row.effective == Decimal("40000")
