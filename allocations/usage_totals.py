"""The ``MonthlyUsageTotal`` roll-up (PostgreSQL): the national monthly production per indicator type, kept from
``MonthlyUsage`` by statement-level triggers that append deltas (``quota_portal.delta_rollups``: no row updated, so
concurrent acceptances never wait for each other) and folded by ``usage_totals_compact`` (the roll-up beat job).
Bulk loads that bypass triggers call ``usage_totals_rebuild``."""

from __future__ import annotations

from django.db import connection, connections

from quota_portal.delta_rollups import DeltaRollup, maintained

from .models import MonthlyUsage, MonthlyUsageTotal

ROLLUP = DeltaRollup(
    table=MonthlyUsageTotal._meta.db_table, source=MonthlyUsage._meta.db_table,
    keys=(("year", "year"), ("indicator_type", "indicator_type"), ("month", "month")),
    measures=(("used_t", "used_t"), ("n", "1")))
triggers_sql = ROLLUP.triggers_sql
usage_totals_rebuild = ROLLUP.rebuild
usage_totals_compact = ROLLUP.compact
__all__ = ["maintained", "triggers_sql", "usage_totals", "usage_totals_compact", "usage_totals_rebuild"]


def usage_totals(*, year: int, using: str | None = None) -> list[tuple]:
    """(indicator_type, month, used) of the year, deltas summed: a (type, month) with MonthlyUsage rows — even
    rows of zero tonnes, as ``MonthlyUsage`` grouped gives them — and only those."""
    t = MonthlyUsageTotal._meta.db_table
    with (connections[using] if using else connection).cursor() as cur:
        cur.execute(f"SELECT indicator_type, month, SUM(used_t) FROM {t} WHERE year = %s "
                    f"GROUP BY indicator_type, month HAVING SUM(n) > 0", [year])
        return cur.fetchall()
