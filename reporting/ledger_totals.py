"""The ``ShipmentTotal`` roll-up of the shipment ledger (PostgreSQL): statement-level triggers on
``reporting_shipment`` append one delta row per (year, status, origin, import country, exported product) that a
statement changed — from its transition tables, so a filing that declares a dozen shipments adds one or two rows,
and a confirmation moves one shipment from "in transit" to "received" as −1 / +1 — and ``ledger_totals_compact``
folds the deltas into one row per key (a Celery beat job, every few minutes). Readers sum the rows of a year: the
same figures as the shipments themselves at every commit, whether compacted or not.

Bulk loads that bypass triggers (``session_replication_role = replica``, bench/generate.py) call
``ledger_totals_rebuild``."""

from __future__ import annotations

from django.db import connection, connections

from quota_portal.delta_rollups import DeltaRollup, maintained

from .models import Shipment, ShipmentTotal

ROLLUP = DeltaRollup(
    table=ShipmentTotal._meta.db_table, source=Shipment._meta.db_table,
    keys=(("year", "CAST(EXTRACT(YEAR FROM dispatch_date) AS INTEGER)"), ("status", "status"), ("origin", "origin"),
          ("origin_country", "CASE WHEN origin = 'import' THEN origin_country ELSE '' END"),
          ("export_product", "CASE WHEN seller_id IS NOT NULL AND buyer_country <> 'CN' THEN product_id ELSE '' END")),
    measures=(("n", "1"), ("t", "tonnes")))
triggers_sql = ROLLUP.triggers_sql
ledger_totals_rebuild = ROLLUP.rebuild
ledger_totals_compact = ROLLUP.compact
__all__ = ["ledger_totals", "ledger_totals_compact", "ledger_totals_rebuild", "maintained", "triggers_sql"]


def ledger_totals(*, year: int, using: str | None = None) -> list[tuple]:
    """(status, origin, origin_country, export_product, n, t) of the year, deltas summed."""
    conn = connections[using] if using else connection
    t = ShipmentTotal._meta.db_table
    with conn.cursor() as cur:
        cur.execute(f"SELECT status, origin, origin_country, export_product, SUM(n), SUM(t) FROM {t} WHERE year = %s "
                    f"GROUP BY status, origin, origin_country, export_product HAVING SUM(n) <> 0", [year])
        return cur.fetchall()
