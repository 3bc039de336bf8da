"""The ``FlagTotal`` roll-up (PostgreSQL): flags counted per status and kind, kept from ``enforcement_flag`` by
statement-level triggers that append deltas (``quota_portal.delta_rollups``: a scan inserting 50,000 flags adds a
dozen rows, resolving a flag −1 open / +1 resolved; no shared row is updated) and folded by
``flag_totals_compact`` (a beat job). Bulk loads that bypass triggers call ``flag_totals_rebuild``."""

from __future__ import annotations

from django.db import connection, connections

from quota_portal.delta_rollups import DeltaRollup, maintained

from .models import Flag, FlagTotal

ROLLUP = DeltaRollup(table=FlagTotal._meta.db_table, source=Flag._meta.db_table,
                     keys=(("status", "status"), ("kind", "kind")), measures=(("n", "1"),))
triggers_sql = ROLLUP.triggers_sql
flag_totals_rebuild = ROLLUP.rebuild
flag_totals_compact = ROLLUP.compact
__all__ = ["flag_totals", "flag_totals_compact", "flag_totals_rebuild", "maintained", "triggers_sql"]


def flag_totals(*, status: str, using: str | None = None) -> dict[str, int]:
    """kind → number of flags in ``status`` (every flag, nationwide), deltas summed; kinds without any left out."""
    t = FlagTotal._meta.db_table
    with (connections[using] if using else connection).cursor() as cur:
        cur.execute(f"SELECT kind, SUM(n) FROM {t} WHERE status = %s GROUP BY kind HAVING SUM(n) <> 0", [status])
        return {kind: int(n) for kind, n in cur.fetchall()}
