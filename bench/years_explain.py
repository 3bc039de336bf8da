"""Load-independent measure of the last year's reconciliation: EXPLAIN (ANALYZE, BUFFERS) of every statement.

The machine the benchmarks run on is shared, so times alone say little; the shared buffers a statement touches
(hit + read, 8 kB pages) and the rows its scans read do not depend on the load. Run it on a database loaded with
one year and on one loaded with several (``bench/generate.py --years 3``): if the last year's statements read
the older years' rows as well, they grow with the number of years.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quota_bench BENCH_LABEL=3y python bench/years_explain.py

What is explained: the statements ``enforcement.services.flag_scan_flows(year=BENCH_YEAR)`` sends (captured
while it runs, after a first run has stored its flags, i.e. the normal night) that read the report, line or
ledger tables, and the hand-written statements of bench/scan.py. Each is run once to warm the cache, then
BENCH_SCAN_REPEAT (3) times (``ms``: the fastest, the least disturbed by other work on the machine), then once
under EXPLAIN (ANALYZE, BUFFERS) (``buffers``: shared hit + read; ``rows_scanned``: rows the scans of each table
read, filtered ones included, times their loops). Adds the result under BENCH_LABEL to bench/results/years-explain-<scale>.json.
"""

# ruff: noqa: E402, PLC0415
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quota_portal.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
RESULTS = ROOT / "bench" / "results"
YEAR = int(os.environ.get("BENCH_YEAR", "2025"))
REPEAT = int(os.environ.get("BENCH_SCAN_REPEAT", "3"))
FINDERS = ("_balance_rows", "unconfirmed_rows", "quantity_mismatch_rows", "undeclared_receipt_rows",
           "unlicensed_rows", "yield_rows")
TABLES = ("reporting_monthlyreport", "reporting_productionline", "reporting_inputline", "reporting_flowline",
          "reporting_inventoryline", "reporting_shipment", "reporting_receipt")


def _walk(node: dict, scanned: dict[str, int]) -> None:
    rel = node.get("Relation Name")
    if rel:
        # Parent tables of partitions are reported by their partitions' names: fold them back to the table.
        base = next((t for t in TABLES if rel == t or rel.startswith(t + "_y")), rel)
        rows = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
                + node.get("Rows Removed by Index Recheck", 0)) * node.get("Actual Loops", 1)
        scanned[base] = scanned.get(base, 0) + int(rows)
    for child in node.get("Plans", []):
        _walk(child, scanned)


def explain(sql: str, params) -> dict:
    from django.db import connection

    times = []
    with connection.cursor() as cur:
        for _ in range(1 + REPEAT):  # the first run warms the cache: every statement is measured warm
            t0 = time.perf_counter()
            cur.execute(sql, params)
            cur.fetchall()
            times.append(time.perf_counter() - t0)
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        plan = cur.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    top = plan["Plan"]
    scanned: dict[str, int] = {}
    _walk(top, scanned)
    return {"ms": round(min(times[1:]) * 1000, 1), "explain_ms": round(plan["Execution Time"], 1),
            "rows_out": top.get("Actual Rows", 0),
            "shared_hit": top.get("Shared Hit Blocks", 0), "shared_read": top.get("Shared Read Blocks", 0),
            "buffers": top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0),
            "temp_blocks": top.get("Temp Read Blocks", 0) + top.get("Temp Written Blocks", 0),
            "rows_scanned": dict(sorted(scanned.items())), "rows_scanned_total": sum(scanned.values())}


def service_statements(today: dt.date) -> list[tuple[str, str, object]]:
    """The statements flag_scan_flows sends that read the report/line/ledger tables, named by their finder."""
    from django.db import connection

    from enforcement import services

    services.flag_scan_flows(year=YEAR, today=today)  # stores this night's flags: the run below is a normal night
    captured: list[tuple[str, str, object]] = []

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(("SELECT", "WITH")) and any(t in sql for t in TABLES):
            name = next((f.name for f in traceback.extract_stack() if f.name in FINDERS), "other")
            n = sum(1 for c in captured if c[0].startswith(name))
            captured.append((f"{name}#{n + 1}", sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        services.flag_scan_flows(year=YEAR, today=today)
    return captured


def main() -> dict:
    import django

    django.setup()
    from django.db import connection

    from bench import scan

    label = os.environ.get("BENCH_LABEL") or "run"
    scale = os.environ.get("BENCH_SCALE", "reduced").strip().lower() or "reduced"
    today, params = scan.SCAN_DAY, scan.raw_params()
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(DISTINCT year), COUNT(*) FROM reporting_monthlyreport")
        years, reports = cur.fetchone()
        cur.execute("SELECT (SELECT COUNT(*) FROM reporting_productionline) + (SELECT COUNT(*) FROM "
                    "reporting_inputline) + (SELECT COUNT(*) FROM reporting_flowline) + "
                    "(SELECT COUNT(*) FROM reporting_inventoryline), (SELECT COUNT(*) FROM reporting_shipment)")
        lines, shipments = cur.fetchone()
        cur.execute("SELECT relname FROM pg_class WHERE relkind = 'p' AND relname LIKE 'reporting%%'")
        partitioned = sorted(r[0] for r in cur.fetchall())
    out: dict = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"), "year": YEAR, "years_loaded": years,
                 "reports": reports, "report_lines": lines, "shipments": shipments, "partitioned": partitioned,
                 "load_average": [round(x, 2) for x in os.getloadavg()], "service": {}, "raw": {}}
    for name, sql, p in service_statements(today):
        out["service"][name] = explain(sql, p)
    for name, sql in (("balance", scan.RAW_BALANCE), ("unconfirmed_shipment", scan.RAW_UNCONFIRMED),
                      ("quantity_mismatch", scan.RAW_MISMATCH), ("undeclared_receipt", scan.RAW_UNDECLARED),
                      ("unlicensed", scan.RAW_UNLICENSED), ("yield_implausible", scan.RAW_YIELD)):
        out["raw"][name] = explain(sql, params)
    for part in ("service", "raw"):
        stmts = out[part].values()
        out[f"{part}_total"] = {k: round(sum(s[k] for s in stmts), 1)
                                for k in ("ms", "buffers", "shared_read", "temp_blocks", "rows_scanned_total")}
    path = RESULTS / f"years-explain-{scale}.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[label] = out
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    print(f"bench/years_explain.py [{label}] {years} year(s), {lines:,} lines, {shipments:,} shipments")
    for part in ("service", "raw"):
        for name, s in out[part].items():
            print(f"  {part:7s} {name:28s} {s['ms']:9.1f} ms  buffers {s['buffers']:8,}  "
                  f"rows scanned {s['rows_scanned_total']:10,}  out {s['rows_out']:7,}")
        t = out[f"{part}_total"]
        print(f"  {part:7s} {'TOTAL':28s} {t['ms']:9.1f} ms  buffers {int(t['buffers']):8,}  "
              f"rows scanned {int(t['rows_scanned_total']):10,}")
    return out


if __name__ == "__main__":
    main()
