"""Reads of the allocations app: scoped querysets and set-based aggregates (no per-row queries)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Q, QuerySet

from organizations.models import Enterprise, IndicatorType
from organizations.selectors import enterprise_q

from .models import (
    Adjustment,
    AdjustmentStatus,
    AllocationLine,
    BatchStatus,
    BreakdownShare,
    Deduction,
    GroupBreakdown,
    IssuanceBatch,
    QuotaUsage,
)

ZERO = Decimal("0.000")
Q3 = Decimal("0.001")
TYPE_ORDER = {t.value: i for i, t in enumerate(IndicatorType)}


def _dec(value) -> Decimal:
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(Q3)


# --- Effective quotas -------------------------------------------------------------------------------


@dataclass
class QuotaRow:
    """One enterprise's indicator for a year and type.

    effective = issued + breakdown_received + adjustments − deductions; remaining = effective − used.
    """

    enterprise: Enterprise
    year: int
    indicator_type: str
    issued: Decimal = ZERO
    breakdown_received: Decimal = ZERO
    adjustments: Decimal = ZERO
    deductions: Decimal = ZERO
    used: Decimal = ZERO
    effective: Decimal = field(init=False)
    remaining: Decimal = field(init=False)

    def __post_init__(self) -> None:
        self.effective = self.issued + self.breakdown_received + self.adjustments - self.deductions
        self.remaining = self.effective - self.used

    @property
    def enterprise_id(self) -> int:
        return self.enterprise.pk

    @property
    def allocated(self) -> Decimal:
        """What was issued to the enterprise, directly or through its group's breakdown."""
        return self.issued + self.breakdown_received

    @property
    def usage_ratio(self) -> Decimal | None:
        if self.effective <= 0:
            return None
        return self.used / self.effective

    @property
    def usage_percent(self) -> int:
        ratio = self.usage_ratio
        if ratio is None:
            return 100 if self.used > 0 else 0
        return int(min(ratio * 100, Decimal(999)))

    def get_indicator_type_display(self) -> str:
        return str(IndicatorType(self.indicator_type).label)


def _quota_sums(*, year: int, enterprise_qs: QuerySet, indicator_type: str | None) -> list[tuple]:
    """One SQL statement: the five sources summed per (enterprise, type) for the enterprises of ``enterprise_qs``."""
    t = {m.__name__: m._meta.db_table for m in (AllocationLine, IssuanceBatch, BreakdownShare, GroupBreakdown,
                                                 Adjustment, Deduction, QuotaUsage)}
    scope_sql, scope_params = enterprise_qs.values("pk").query.sql_with_params()
    type_sql = " AND k.indicator_type = %s" if indicator_type else ""
    sql = f"""
        SELECT k.enterprise_id, k.indicator_type, SUM(k.issued), SUM(k.received), SUM(k.adj), SUM(k.ded), SUM(k.used)
        FROM (
            SELECT l.enterprise_id AS enterprise_id, l.indicator_type AS indicator_type, l.tonnes AS issued,
                   0 AS received, 0 AS adj, 0 AS ded, 0 AS used
              FROM {t['AllocationLine']} l JOIN {t['IssuanceBatch']} b ON b.id = l.batch_id
             WHERE b.status = %s AND b.year = %s AND l.enterprise_id IS NOT NULL
            UNION ALL
            SELECT s.enterprise_id, l.indicator_type, 0, s.tonnes, 0, 0, 0
              FROM {t['BreakdownShare']} s
              JOIN {t['GroupBreakdown']} g ON g.id = s.breakdown_id
              JOIN {t['AllocationLine']} l ON l.id = g.line_id
              JOIN {t['IssuanceBatch']} b ON b.id = l.batch_id
             WHERE b.status = %s AND b.year = %s
            UNION ALL
            SELECT a.enterprise_id, a.indicator_type, 0, 0, a.tonnes, 0, 0
              FROM {t['Adjustment']} a WHERE a.status = %s AND a.year = %s
            UNION ALL
            SELECT d.enterprise_id, d.indicator_type, 0, 0, 0, d.tonnes, 0
              FROM {t['Deduction']} d WHERE d.year = %s
            UNION ALL
            SELECT u.enterprise_id, u.indicator_type, 0, 0, 0, 0, u.used_t
              FROM {t['QuotaUsage']} u WHERE u.year = %s
        ) k
        WHERE k.enterprise_id IN ({scope_sql}){type_sql}
        GROUP BY k.enterprise_id, k.indicator_type
    """
    params = [BatchStatus.ISSUED, year, BatchStatus.ISSUED, year, AdjustmentStatus.APPROVED, year, year, year,
              *scope_params]
    if indicator_type:
        params.append(indicator_type)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _quota_rows(*, year: int, enterprise_qs: QuerySet, indicator_type: str | None) -> list[QuotaRow]:
    sums = _quota_sums(year=year, enterprise_qs=enterprise_qs, indicator_type=indicator_type)
    if not sums:
        return []
    enterprises = Enterprise.objects.select_related("county", "group").in_bulk({r[0] for r in sums})
    rows = [
        QuotaRow(enterprise=enterprises[ent_id], year=year, indicator_type=itype, issued=_dec(issued),
                 breakdown_received=_dec(received), adjustments=_dec(adj), deductions=_dec(ded), used=_dec(used))
        for ent_id, itype, issued, received, adj, ded, used in sums
    ]
    rows.sort(key=lambda r: (r.enterprise.name, r.enterprise.pk, TYPE_ORDER.get(r.indicator_type, 9)))
    return rows


def quota_list(*, user, year: int, indicator_type: str | None = None, enterprise_ids: Iterable[int] | None = None,
               search: str = "") -> list[QuotaRow]:
    """Effective quotas of the enterprises in the user's scope for a year: two queries for any number of them.

    One row per (enterprise, indicator type) that has anything issued, broken down, adjusted, deducted or used.
    """
    qs = Enterprise.objects.filter(enterprise_q(user))
    if enterprise_ids is not None:
        qs = qs.filter(pk__in=list(enterprise_ids))
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(credit_code__icontains=search.upper()))
    return _quota_rows(year=year, enterprise_qs=qs, indicator_type=indicator_type)


def quota_get(*, enterprise: Enterprise, year: int, indicator_type: str) -> QuotaRow:
    """One enterprise's quota without user scoping (for services of higher apps); zeros when nothing exists."""
    rows = _quota_rows(year=year, enterprise_qs=Enterprise.objects.filter(pk=enterprise.pk),
                       indicator_type=indicator_type)
    if rows:
        return rows[0]
    return QuotaRow(enterprise=enterprise, year=year, indicator_type=indicator_type)
