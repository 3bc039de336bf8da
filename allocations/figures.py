"""The ``QuotaFigure`` roll-up: per enterprise, year and indicator type, the five sources of the effective quota and
the year-to-date usage, maintained by the services that change them, inside their transactions.

Increments (``figures_add``) are applied with one ``INSERT … ON CONFLICT DO UPDATE SET col = col + excluded.col``,
so concurrent writers (two approvals, an approval and an acceptance) never lose each other's change: the row lock
serialises them and each adds to the latest value. Usage is set absolutely by the acceptance, which already
serialises per enterprise. ``figures_rebuild`` recomputes rows from the sources (migration, bulk loads, the
consistency test). Portable SQL (PostgreSQL and SQLite ≥ 3.24).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection

from .models import (
    Adjustment,
    AdjustmentStatus,
    AllocationLine,
    BatchStatus,
    BreakdownShare,
    Deduction,
    GroupBreakdown,
    IssuanceBatch,
    MonthlyUsage,
    QuotaFigure,
    QuotaUsage,
)

Q3 = Decimal("0.001")
SOURCES = ("issued_t", "received_t", "adjustments_t", "deductions_t")
CHUNK = 500


def _table() -> str:
    return QuotaFigure._meta.db_table


def figures_add(deltas: Iterable[tuple[int, int, str, str, Decimal]]) -> None:
    """Add to the source columns: ``(enterprise_id, year, indicator_type, column, tonnes)`` for ``column`` in
    issued_t, received_t, adjustments_t, deductions_t (rows are created as needed)."""
    summed: dict[tuple[int, int, str], dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(SOURCES, Decimal(0)))
    for ent_id, year, itype, column, tonnes in deltas:
        if column not in SOURCES:
            raise ValueError(column)
        summed[(ent_id, year, itype)][column] += Decimal(tonnes)
    if not summed:
        return
    t = _table()
    cols = ", ".join(SOURCES)
    updates = ", ".join(f"{c} = {t}.{c} + excluded.{c}" for c in SOURCES)
    items = sorted(summed.items())  # a stable order: concurrent writers lock rows in the same order
    with connection.cursor() as cur:
        for start in range(0, len(items), CHUNK):
            chunk = items[start:start + CHUNK]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, 0)"] * len(chunk))
            params: list = []
            for (ent_id, year, itype), d in chunk:
                params += [ent_id, year, itype, *(d[c].quantize(Q3) for c in SOURCES)]
            cur.execute(f"INSERT INTO {t} (enterprise_id, year, indicator_type, {cols}, used_t) VALUES {values} "
                        f"ON CONFLICT (enterprise_id, year, indicator_type) DO UPDATE SET {updates}", params)


def figures_set_usage(*, enterprise_id: int, year: int, indicator_type: str, used: Decimal) -> None:
    t = _table()
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {t} (enterprise_id, year, indicator_type, {', '.join(SOURCES)}, used_t) "
                    f"VALUES (%s, %s, %s, 0, 0, 0, 0, %s) "
                    f"ON CONFLICT (enterprise_id, year, indicator_type) DO UPDATE SET used_t = excluded.used_t",
                    [enterprise_id, year, indicator_type, Decimal(used).quantize(Q3)])


def figures_set_last_months(*, enterprise_id: int, year: int, last_months: dict[str, int]) -> None:
    """The last month with accepted production per indicator type (from the monthly roll-up just rewritten)."""
    QuotaFigure.objects.filter(enterprise_id=enterprise_id, year=year).exclude(
        indicator_type__in=list(last_months)).update(last_month=None)
    for itype, month in sorted(last_months.items()):
        updated = QuotaFigure.objects.filter(enterprise_id=enterprise_id, year=year, indicator_type=itype).update(
            last_month=month)
        if not updated:
            t = _table()
            with connection.cursor() as cur:
                cur.execute(f"INSERT INTO {t} (enterprise_id, year, indicator_type, {', '.join(SOURCES)}, used_t, "
                            f"last_month) VALUES (%s, %s, %s, 0, 0, 0, 0, 0, %s) "
                            f"ON CONFLICT (enterprise_id, year, indicator_type) DO UPDATE SET last_month = "
                            f"excluded.last_month", [enterprise_id, year, itype, month])


def sources_sql(*, year: int, scope_sql: str = "", scope_params: Iterable = (),
                indicator_type: str | None = None) -> tuple[str, list]:
    """The row-by-row path: the five sources summed per (enterprise, type) straight from their tables — what the
    roll-up must equal. Columns: enterprise_id, indicator_type, issued, received, adj, ded, used."""
    t = {m.__name__: m._meta.db_table for m in (AllocationLine, IssuanceBatch, BreakdownShare, GroupBreakdown,
                                                 Adjustment, Deduction, QuotaUsage)}
    where = []
    params = [BatchStatus.ISSUED, year, BatchStatus.ISSUED, year, AdjustmentStatus.APPROVED, year, year, year]
    if scope_sql:
        where.append(f"k.enterprise_id IN ({scope_sql})")
        params += list(scope_params)
    if indicator_type:
        where.append("k.indicator_type = %s")
        params.append(indicator_type)
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
        {"WHERE " + " AND ".join(where) if where else ""}
        GROUP BY k.enterprise_id, k.indicator_type
    """
    return sql, params


def figures_rebuild(*, year: int | None = None) -> int:
    """Recompute the roll-up from the sources (every year, or one): after a bulk load that bypassed the services,
    and in the migration that created it. Returns the number of rows written."""
    t, mu = _table(), MonthlyUsage._meta.db_table
    years = [year] if year is not None else sorted(
        set(IssuanceBatch.objects.values_list("year", flat=True)) | set(Adjustment.objects.values_list("year", flat=True))
        | set(Deduction.objects.values_list("year", flat=True)) | set(QuotaUsage.objects.values_list("year", flat=True)))
    written = 0
    with connection.cursor() as cur:
        for y in years:
            cur.execute(f"DELETE FROM {t} WHERE year = %s", [y])
            sql, params = sources_sql(year=y)
            cur.execute(f"""
                INSERT INTO {t} (enterprise_id, year, indicator_type, issued_t, received_t, adjustments_t,
                                 deductions_t, used_t, last_month)
                SELECT s.enterprise_id, %s, s.indicator_type, COALESCE(s.issued, 0), COALESCE(s.received, 0),
                       COALESCE(s.adj, 0), COALESCE(s.ded, 0), COALESCE(s.used, 0),
                       (SELECT MAX(m.month) FROM {mu} m WHERE m.enterprise_id = s.enterprise_id AND m.year = %s
                           AND m.indicator_type = s.indicator_type)
                  FROM ({sql}) s(enterprise_id, indicator_type, issued, received, adj, ded, used)
            """ if connection.vendor == "postgresql" else f"""
                INSERT INTO {t} (enterprise_id, year, indicator_type, issued_t, received_t, adjustments_t,
                                 deductions_t, used_t, last_month)
                SELECT s.e, %s, s.i, COALESCE(s.a1, 0), COALESCE(s.a2, 0), COALESCE(s.a3, 0), COALESCE(s.a4, 0),
                       COALESCE(s.a5, 0),
                       (SELECT MAX(m.month) FROM {mu} m WHERE m.enterprise_id = s.e AND m.year = %s
                           AND m.indicator_type = s.i)
                  FROM (SELECT * FROM (SELECT 0 AS e, '' AS i, 0 AS a1, 0 AS a2, 0 AS a3, 0 AS a4, 0 AS a5
                                       WHERE 0 UNION ALL {sql})) s
            """, [y, y, *params])
            written += cur.rowcount
    return written
