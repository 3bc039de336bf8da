"""The ``MonthlyUsageTotal`` roll-up (PostgreSQL): the national monthly production per indicator type, kept from
``MonthlyUsage`` by statement-level triggers that append deltas (from the statement's transition tables: one
INSERT … SELECT per statement, no row updated, so concurrent acceptances never wait for each other) and folded by
``usage_totals_compact`` (the roll-up beat job). Bulk loads that bypass triggers call ``usage_totals_rebuild``."""

from __future__ import annotations

from django.db import connection, connections, transaction

from .models import MonthlyUsage, MonthlyUsageTotal

KEY = "year, indicator_type, month"


def triggers_sql() -> tuple[str, str]:
    t, s = MonthlyUsageTotal._meta.db_table, MonthlyUsage._meta.db_table
    create = f"""
        CREATE FUNCTION {t}_delta() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO {t} ({KEY}, used_t, n) SELECT {KEY}, SUM(used_t), COUNT(*) FROM new_rows GROUP BY {KEY};
          ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO {t} ({KEY}, used_t, n) SELECT {KEY}, -SUM(used_t), -COUNT(*) FROM old_rows GROUP BY {KEY};
          ELSE
            INSERT INTO {t} ({KEY}, used_t, n)
            SELECT {KEY}, SUM(used_t), SUM(n) FROM (SELECT {KEY}, -used_t AS used_t, -1 AS n FROM old_rows
                                                    UNION ALL SELECT {KEY}, used_t, 1 FROM new_rows) d
             GROUP BY {KEY} HAVING SUM(used_t) <> 0 OR SUM(n) <> 0;
          END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER {t}_ins AFTER INSERT ON {s} REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {t}_delta();
        CREATE TRIGGER {t}_upd AFTER UPDATE ON {s} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {t}_delta();
        CREATE TRIGGER {t}_del AFTER DELETE ON {s} REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {t}_delta();
    """
    drop = f"""
        DROP TRIGGER IF EXISTS {t}_ins ON {s}; DROP TRIGGER IF EXISTS {t}_upd ON {s};
        DROP TRIGGER IF EXISTS {t}_del ON {s}; DROP FUNCTION IF EXISTS {t}_delta();
    """
    return create, drop


def maintained() -> bool:
    return connection.vendor == "postgresql"


def usage_totals_rebuild() -> int:
    """Recompute the roll-up from ``MonthlyUsage`` (after a bulk load that bypassed the triggers)."""
    if not maintained():
        return 0
    t, s = MonthlyUsageTotal._meta.db_table, MonthlyUsage._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"LOCK TABLE {s} IN SHARE MODE")
        cur.execute(f"DELETE FROM {t}")
        cur.execute(f"INSERT INTO {t} ({KEY}, used_t, n) SELECT {KEY}, SUM(used_t), COUNT(*) FROM {s} "
                    f"GROUP BY {KEY}")
        return cur.rowcount


def usage_totals_compact() -> int:
    """Fold the deltas into one row per key, in one statement (readers see before or after, never half)."""
    if not maintained():
        return 0
    t = MonthlyUsageTotal._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"""WITH gone AS (DELETE FROM {t} RETURNING {KEY}, used_t, n)
                        INSERT INTO {t} ({KEY}, used_t, n) SELECT {KEY}, SUM(used_t), SUM(n) FROM gone GROUP BY {KEY}
                        HAVING SUM(used_t) <> 0 OR SUM(n) <> 0""")
        return cur.rowcount


def usage_totals(*, year: int, using: str | None = None) -> list[tuple]:
    """(indicator_type, month, used) of the year, deltas summed: a (type, month) with MonthlyUsage rows — even
    rows of zero tonnes, as ``MonthlyUsage`` grouped gives them — and only those."""
    t = MonthlyUsageTotal._meta.db_table
    with (connections[using] if using else connection).cursor() as cur:
        cur.execute(f"SELECT indicator_type, month, SUM(used_t) FROM {t} WHERE year = %s "
                    f"GROUP BY indicator_type, month HAVING SUM(n) > 0", [year])
        return cur.fetchall()
