"""The national monthly usage roll-up (``MonthlyUsageTotal``, kept by triggers on ``MonthlyUsage``, PostgreSQL)
equals ``MonthlyUsage`` summed per indicator type and month after inserts, updates and deletes — a month whose rows
are all zero is still there, as the trend needs — before and after its deltas are folded."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from allocations.models import MonthlyUsage, MonthlyUsageTotal
from allocations.usage_totals import usage_totals, usage_totals_compact, usage_totals_rebuild
from organizations.models import Enterprise

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="the roll-up is kept on PostgreSQL")]
YEAR = 2031


def _direct():
    return {(t, m): u for t, m, u in MonthlyUsage.objects.filter(year=YEAR).values_list("indicator_type", "month")
            .annotate(u=Sum("used_t")).values_list("indicator_type", "month", "u")}


def _rolled():
    return {(t, m): u for t, m, u in usage_totals(year=YEAR)}


def test_the_roll_up_equals_monthly_usage(demo_orgs):
    ents = list(Enterprise.objects.order_by("pk")[:4])
    MonthlyUsage.objects.bulk_create([
        MonthlyUsage(enterprise=e, year=YEAR, month=m, indicator_type=t, used_t=Decimal(i + m) / 8)
        for i, e in enumerate(ents) for m in (1, 2, 3) for t in ("mining_rock", "smelting_separation")])
    MonthlyUsage.objects.create(enterprise=ents[0], year=YEAR, month=4, indicator_type="mining_ion", used_t=0)
    assert _rolled() == _direct() and _rolled()[("mining_ion", 4)] == 0
    MonthlyUsage.objects.filter(year=YEAR, month=2, enterprise=ents[1]).update(used_t=Decimal("7.125"))
    MonthlyUsage.objects.filter(year=YEAR, month=3, enterprise__in=ents[:2]).delete()
    MonthlyUsage.objects.filter(year=YEAR, month=1, indicator_type="mining_rock").update(month=5)
    assert _rolled() == _direct()
    rows = MonthlyUsageTotal.objects.count()
    usage_totals_compact()
    assert MonthlyUsageTotal.objects.count() < rows
    assert _rolled() == _direct()
    MonthlyUsage.objects.filter(year=YEAR, month=4).delete()
    usage_totals_compact()
    assert ("mining_ion", 4) not in _rolled() and _rolled() == _direct()
    usage_totals_rebuild()
    assert _rolled() == _direct()
