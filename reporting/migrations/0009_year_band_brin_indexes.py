"""Block-range (BRIN) indexes on the line tables' ``report_id`` and the shipments' ``dispatch_date``, PostgreSQL only.

A report's lines are written together, when the report is, so the lines of one year lie in a narrow band of each
line table. The year-bound reconciliation (enforcement.services.scans._balance_rows, ledger.yield_rows) bounds its
line reads by the period's report ids (``report_id BETWEEN lo AND hi``); with these indexes PostgreSQL reads that
band only instead of every year's lines (bench/README.md, "Several years": with three years loaded the statements
read about a third of the pages they read before). A BRIN index is a few pages and costs next to nothing on insert;
``autosummarize`` keeps the newest block ranges summarised. Plus a partial index on the shipments recorded from
a receipt (the undeclared-receipt check). Partitioning the line tables by year was measured
against this and not done (same README paragraph). SQLite (``make run``) needs nothing: this is a planner aid.
"""

from django.db import migrations

# (table, column): the line tables by report, the shipment ledger by dispatch date (shipments are declared when
# they are dispatched, so a year's shipments lie in a band of the table too; the ledger statements bound
# shipments by ``dispatch_date BETWEEN`` the period's first and last day).
INDEXES = [("reporting_productionline", "report_id"), ("reporting_inputline", "report_id"),
           ("reporting_flowline", "report_id"), ("reporting_inventoryline", "report_id"),
           ("reporting_shipment", "dispatch_date")]


def _name(table: str, column: str) -> str:
    return f"{table}_{column.removesuffix('_id')}_brin"


# The undeclared-receipt check looks for the rare shipments recorded from a receipt (origin = 'receipt'); without
# this partial index it scans every year's shipments to find them.
RECEIPT_ORIGIN = "reporting_shipment_receipt_origin_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        for table, column in INDEXES:
            cur.execute(f"CREATE INDEX IF NOT EXISTS {_name(table, column)} ON {table} USING brin ({column}) "
                        f"WITH (pages_per_range = 16, autosummarize = on)")
        cur.execute(f"CREATE INDEX IF NOT EXISTS {RECEIPT_ORIGIN} ON reporting_shipment (dispatch_date) "
                    f"WHERE origin = 'receipt'")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        for table, column in INDEXES:
            cur.execute(f"DROP INDEX IF EXISTS {_name(table, column)}")
        cur.execute(f"DROP INDEX IF EXISTS {RECEIPT_ORIGIN}")


class Migration(migrations.Migration):
    dependencies = [("reporting", "0008_merge_ledger_annual")]
    operations = [migrations.RunPython(forwards, backwards)]
