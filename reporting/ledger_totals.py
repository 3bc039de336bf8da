"""The ``ShipmentTotal`` roll-up of the shipment ledger (PostgreSQL): statement-level triggers on
``reporting_shipment`` append one delta row per (year, status, origin, import country, exported product) that a
statement changed — from its transition tables, so a filing that declares a dozen shipments adds one or two rows,
and a confirmation moves one shipment from "in transit" to "received" as −1 / +1 — and ``ledger_totals_compact``
folds the deltas into one row per key (a Celery beat job, every few minutes). Readers sum the rows of a year: the
same figures as the shipments themselves at every commit, whether compacted or not.

Bulk loads that bypass triggers (``session_replication_role = replica``, bench/generate.py) call
``ledger_totals_rebuild``."""

from __future__ import annotations

from django.db import connection, connections, transaction

from .models import Shipment, ShipmentTotal

KEY = ("year", "status", "origin", "origin_country", "export_product")


def _key_sql(alias: str = "") -> str:
    a = f"{alias}." if alias else ""
    return (f"CAST(EXTRACT(YEAR FROM {a}dispatch_date) AS INTEGER) AS year, {a}status AS status, {a}origin AS origin, "
            f"CASE WHEN {a}origin = 'import' THEN {a}origin_country ELSE '' END AS origin_country, "
            f"CASE WHEN {a}seller_id IS NOT NULL AND {a}buyer_country <> 'CN' THEN {a}product_id ELSE '' END "
            f"AS export_product")


def _cols() -> str:
    return ", ".join(KEY)


def triggers_sql() -> tuple[str, str]:
    """(create, drop) statements of the trigger function and its three triggers."""
    t, s = ShipmentTotal._meta.db_table, Shipment._meta.db_table
    delta = f"""
        INSERT INTO {t} ({_cols()}, n, t)
        SELECT {_cols()}, SUM(n), SUM(t) FROM (
            SELECT {_key_sql()}, -1 AS n, -tonnes AS t FROM old_rows WHERE TG_OP <> 'INSERT'
            UNION ALL
            SELECT {_key_sql()}, 1, tonnes FROM new_rows WHERE TG_OP <> 'DELETE'
        ) d GROUP BY {_cols()} HAVING SUM(n) <> 0 OR SUM(t) <> 0;"""
    create = f"""
        CREATE FUNCTION {t}_delta() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO {t} ({_cols()}, n, t)
            SELECT {_cols()}, COUNT(*), SUM(t) FROM (SELECT {_key_sql()}, tonnes AS t FROM new_rows) d
             GROUP BY {_cols()};
          ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO {t} ({_cols()}, n, t)
            SELECT {_cols()}, -COUNT(*), -SUM(t) FROM (SELECT {_key_sql()}, tonnes AS t FROM old_rows) d
             GROUP BY {_cols()};
          ELSE
            {delta}
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
    """Whether the roll-up is kept (PostgreSQL) — else readers sum the shipments."""
    return connection.vendor == "postgresql"


def ledger_totals_rebuild() -> int:
    """Recompute the roll-up from the shipments (after a bulk load that bypassed the triggers)."""
    if not maintained():
        return 0
    t, s = ShipmentTotal._meta.db_table, Shipment._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"LOCK TABLE {s} IN SHARE MODE")  # no shipment changes between the delete and the insert
        cur.execute(f"DELETE FROM {t}")
        cur.execute(f"INSERT INTO {t} ({_cols()}, n, t) SELECT {_cols()}, COUNT(*), SUM(t) FROM "
                    f"(SELECT {_key_sql()}, tonnes AS t FROM {s}) d GROUP BY {_cols()}")
        return cur.rowcount


def ledger_totals_compact() -> int:
    """Fold the delta rows into one per key (keys whose sum is zero disappear); one statement, so a reader sees
    the rows before or after, never half. Deltas committed meanwhile are not in its snapshot and stay as they
    are. Returns the number of rows left."""
    if not maintained():
        return 0
    t = ShipmentTotal._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"""
            WITH gone AS (DELETE FROM {t} RETURNING {_cols()}, n, t)
            INSERT INTO {t} ({_cols()}, n, t)
            SELECT {_cols()}, SUM(n), SUM(t) FROM gone GROUP BY {_cols()} HAVING SUM(n) <> 0 OR SUM(t) <> 0
        """)
        return cur.rowcount


def ledger_totals(*, year: int, using: str | None = None) -> list[tuple]:
    """(status, origin, origin_country, export_product, n, t) of the year, deltas summed."""
    conn = connections[using] if using else connection
    t = ShipmentTotal._meta.db_table
    with conn.cursor() as cur:
        cur.execute(f"SELECT status, origin, origin_country, export_product, SUM(n), SUM(t) FROM {t} WHERE year = %s "
                    f"GROUP BY status, origin, origin_country, export_product HAVING SUM(n) <> 0", [year])
        return cur.fetchall()
