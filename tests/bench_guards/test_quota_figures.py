"""The QuotaFigure roll-up (maintained by the allocation and acceptance services in their transactions) equals the
row-by-row path — the five sources summed from their tables, and the last month of the monthly usage — after the
whole demo was built through the services, and again after more writes of every kind."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Max

from allocations import services
from allocations.figures import figures_rebuild, sources_sql
from allocations.models import MonthlyUsage, QuotaFigure
from organizations.models import Authority, Enterprise, Level, Role
from organizations.services import user_with_membership_upsert

pytestmark = pytest.mark.django_db
D = Decimal


def _from_sources() -> dict:
    years = set(QuotaFigure.objects.values_list("year", flat=True)) | {2024, 2025, 2026, 2027}
    out = {}
    for year in sorted(years):
        sql, params = sources_sql(year=year)
        with connection.cursor() as cur:
            cur.execute(sql, params)
            for ent, itype, *values in cur.fetchall():
                out[(ent, year, itype)] = tuple(D(v or 0).quantize(D("0.001")) for v in values)
    last = {(e, y, t): m for e, y, t, m in MonthlyUsage.objects.values_list("enterprise_id", "year", "indicator_type")
            .annotate(m=Max("month")).values_list("enterprise_id", "year", "indicator_type", "m")}
    return {k: (*v, last.get(k)) for k, v in out.items()}


def _figures() -> dict:
    return {(f.enterprise_id, f.year, f.indicator_type): (f.issued_t, f.received_t, f.adjustments_t, f.deductions_t,
                                                           f.used_t, f.last_month)
            for f in QuotaFigure.objects.all()}


def test_the_roll_up_equals_the_sources(demo):
    maintained = _figures()
    assert maintained, "the demo issues quotas and accepts reports"
    assert maintained == _from_sources()
    assert any(v[1] for v in maintained.values()), "group breakdowns are counted"
    assert any(v[4] for v in maintained.values()) and any(v[5] for v in maintained.values()), "usage is counted"

    # more writes of every kind, through the services
    U = get_user_model().objects
    official, approver = U.get(username="miit_official"), U.get(username="miit_approver")
    approver2 = user_with_membership_upsert(username="figures_approver2", password=None, role=Role.MINISTRY_APPROVER,
                                            authority=Authority.objects.get(level=Level.MINISTRY))
    ents = list(Enterprise.objects.order_by("pk")[:3])
    year = max(k[1] for k in maintained)
    itype = next(k[2] for k in maintained if k[0] == ents[0].pk) if any(k[0] == ents[0].pk for k in maintained) \
        else "smelting_separation"
    minus = services.adjustment_propose(actor=official, enterprise=ents[0], year=year, indicator_type=itype,
                                        tonnes=D("-0.5"), reason="Correction")
    services.adjustment_approve(actor=approver, adjustment=minus)
    plus = services.adjustment_propose(actor=approver, enterprise=ents[1], year=year, indicator_type=itype,
                                       tonnes=D("1.25"), reason="Expansion")
    services.adjustment_approve(actor=approver2, adjustment=plus)
    services.record_deduction(actor=None, enterprise=ents[2], year=year + 1, indicator_type=itype, tonnes=D("3"),
                              penalty_id=987654)
    services.record_deduction(actor=None, enterprise=ents[2], year=year + 1, indicator_type=itype, tonnes=D("3"),
                              penalty_id=987654)  # idempotent: counted once
    services.quota_usage_set(enterprise_id=ents[1].pk, year=year, indicator_type=itype, used=D("7.5"))
    services.monthly_usage_replace(enterprise_id=ents[1].pk, year=year, totals={(4, itype): D("7.5")})
    after = _figures()
    assert after == _from_sources()
    assert after[(ents[2].pk, year + 1, itype)][3] == D("3.000")
    assert after[(ents[1].pk, year, itype)][4:] == (D("7.500"), 4)

    # and the rebuild from the sources (bulk loads, the migration) gives the same rows
    figures_rebuild()
    assert _figures() == after
