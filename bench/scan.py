"""Time the real nightly scans against hand-written SQL over the same data (run bench/generate.py first).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quota_bench python bench/scan.py

For each scan:
- ``cold``: the first run on fresh data — computes the evidence, inserts every flag and notifies the
  enterprises and counties (what a night with many new findings costs);
- ``warm``: the following runs (median of BENCH_SCAN_REPEAT, default 3) — same evidence, nothing new to insert
  (the normal night);
- ``raw``: one hand-written SQL statement computing the same result (median of the same number of runs),
  the lower bound for any implementation that computes it. For the usage scan that statement computes the
  year-to-date sums from the report lines (``raw``); a second statement reading the QuotaUsage roll-up the
  service reads (``raw_from_rollup``) is shown as well: it is what is left once the sums are maintained on
  acceptance.

The raw statements are also checked to find exactly the flags the service stored. Targets: scan ≤ 1.5× raw,
reconcile ≤ 2× raw (warm runs).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/http.py must not shadow the standard library's http: keep bench/ itself off sys.path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quota_portal.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")

YEAR = int(os.environ.get("BENCH_YEAR", "2025"))
REPEAT = int(os.environ.get("BENCH_SCAN_REPEAT", "3"))

# Year-to-date accepted production per (enterprise, type) from the lines, against the effective quota.
RAW_USAGE_FROM_LINES = """
WITH used AS (
    SELECT r.enterprise_id, p.indicator_type, SUM(p.tonnes) AS used
    FROM reporting_productionline p JOIN reporting_monthlyreport r ON r.id = p.report_id
    WHERE r.status = 'accepted' AND r.year = %(year)s
    GROUP BY r.enterprise_id, p.indicator_type
), eff AS (
    SELECT enterprise_id, indicator_type, SUM(t) AS effective FROM (
        SELECT l.enterprise_id, l.indicator_type, l.tonnes AS t
          FROM allocations_allocationline l JOIN allocations_issuancebatch b ON b.id = l.batch_id
         WHERE b.status = 'issued' AND b.year = %(year)s AND l.enterprise_id IS NOT NULL
        UNION ALL
        SELECT s.enterprise_id, l.indicator_type, s.tonnes FROM allocations_breakdownshare s
          JOIN allocations_groupbreakdown g ON g.id = s.breakdown_id
          JOIN allocations_allocationline l ON l.id = g.line_id
          JOIN allocations_issuancebatch b ON b.id = l.batch_id WHERE b.status = 'issued' AND b.year = %(year)s
        UNION ALL
        SELECT enterprise_id, indicator_type, tonnes FROM allocations_adjustment
         WHERE status = 'approved' AND year = %(year)s
        UNION ALL
        SELECT enterprise_id, indicator_type, -tonnes FROM allocations_deduction WHERE year = %(year)s
    ) x GROUP BY enterprise_id, indicator_type
)
SELECT u.enterprise_id, u.indicator_type, u.used, COALESCE(e.effective, 0),
       CASE WHEN COALESCE(e.effective, 0) <= 0 THEN 'production_without_indicator'
            WHEN u.used > e.effective THEN 'overrun' ELSE 'usage_warning' END
FROM used u LEFT JOIN eff e USING (enterprise_id, indicator_type)
WHERE u.used > 0 AND (COALESCE(e.effective, 0) <= 0 OR u.used >= e.effective * %(ratio)s)
"""
RAW_USAGE_FROM_ROLLUP = RAW_USAGE_FROM_LINES.replace(
    """SELECT r.enterprise_id, p.indicator_type, SUM(p.tonnes) AS used
    FROM reporting_productionline p JOIN reporting_monthlyreport r ON r.id = p.report_id
    WHERE r.status = 'accepted' AND r.year = %(year)s
    GROUP BY r.enterprise_id, p.indicator_type""",
    """SELECT enterprise_id, indicator_type, used_t AS used FROM allocations_quotausage WHERE year = %(year)s""")

# Mass balance per accepted report and product; shipments vs the buyer's receipts; mineral trade with
# non-designated parties. Three statements, one pass each, the same rules as the service.
RAW_BALANCE = """
SELECT r.enterprise_id, r.month, k.product_id
FROM reporting_monthlyreport r JOIN (
    SELECT report_id, product_id, opening - closing AS d FROM reporting_inventoryline
     WHERE report_id BETWEEN %(lo)s AND %(hi)s
    UNION ALL SELECT report_id, product_id, tonnes FROM reporting_productionline WHERE report_id BETWEEN %(lo)s AND %(hi)s
    UNION ALL SELECT report_id, product_id, CASE WHEN direction = 'in' THEN tonnes ELSE -tonnes END
              FROM reporting_flowline WHERE report_id BETWEEN %(lo)s AND %(hi)s
    UNION ALL SELECT report_id, product_id, -tonnes FROM reporting_inputline WHERE report_id BETWEEN %(lo)s AND %(hi)s
) k ON k.report_id = r.id
WHERE r.status = 'accepted' AND r.year = %(year)s
GROUP BY r.enterprise_id, r.month, k.product_id
HAVING ABS(SUM(k.d)) > %(tol)s
"""
# The balance and yield statements read the lines in the band of the year's accepted report ids (%(lo)s–%(hi)s),
# as the service does since issue 15 (enforcement.services.scans.accepted_report_ids): with several years loaded
# the BRIN indexes on report_id then read that year's lines only (bench/years_explain.py).
# Line-level reconciliation on the ledger, hand-written (one statement each): what enforcement/services/ledger.py
# computes, to compare its time with (same run, same data). The yield statement reads the feedstock of reports with
# separated production only, as the service does since it learnt that (without it: ≈ 2× slower at 2,000 enterprises).
RAW_UNCONFIRMED = """
SELECT s.id FROM reporting_shipment s
WHERE s.status IN ('declared', 'in_transit') AND s.buyer_id IS NOT NULL
  AND s.dispatch_date BETWEEN %(first)s AND %(last)s AND s.dispatch_date < %(cutoff)s
"""
RAW_MISMATCH = """
SELECT s.id FROM reporting_shipment s JOIN reporting_receipt r ON r.shipment_id = s.id
WHERE s.origin = 'declared' AND s.seller_id IS NOT NULL AND s.dispatch_date BETWEEN %(first)s AND %(last)s
  AND ABS(r.tonnes - s.tonnes) > %(ftol)s * GREATEST(r.tonnes, s.tonnes)
"""
RAW_UNDECLARED = """
SELECT s.id FROM reporting_shipment s JOIN reporting_receipt r ON r.shipment_id = s.id
WHERE s.origin = 'receipt' AND s.seller_id IS NOT NULL AND r.received_date BETWEEN %(first)s AND %(last)s
  AND EXISTS (SELECT 1 FROM organizations_licence l WHERE l.enterprise_id = s.seller_id AND l.status = 'designated'
              AND l.valid_from <= s.dispatch_date AND l.valid_to >= s.dispatch_date)
"""
RAW_UNLICENSED = """
SELECT s.buyer_id, date_trunc('month', s.dispatch_date), 'in', s.product_id,
       COALESCE(NULLIF(s.seller_credit_code, ''), s.seller_name)
FROM reporting_shipment s JOIN reporting_product p ON p.code = s.product_id
WHERE s.buyer_id IS NOT NULL AND s.seller_country = 'CN' AND s.status IN ('received', 'disputed')
  AND (p.stage = 'mineral' OR p.indicator_type <> '') AND s.dispatch_date BETWEEN %(first)s AND %(last)s
  AND NOT EXISTS (SELECT 1 FROM organizations_licence l WHERE l.enterprise_id = s.seller_id AND l.status = 'designated'
                  AND l.valid_from <= s.dispatch_date AND l.valid_to >= s.dispatch_date
                  AND l.activity = CASE WHEN p.stage = 'mineral' THEN 'mining' ELSE 'smelting_separation' END)
GROUP BY 1, 2, 3, 4, 5
UNION ALL
SELECT s.seller_id, date_trunc('month', s.dispatch_date), 'out', s.product_id,
       COALESCE(NULLIF(s.buyer_credit_code, ''), s.buyer_name)
FROM reporting_shipment s JOIN reporting_product p ON p.code = s.product_id AND p.stage = 'mineral'
WHERE s.seller_id IS NOT NULL AND s.buyer_country = 'CN' AND s.dispatch_date BETWEEN %(first)s AND %(last)s
  AND NOT EXISTS (SELECT 1 FROM organizations_licence l WHERE l.enterprise_id = s.buyer_id AND l.status = 'designated'
                  AND l.valid_from <= s.dispatch_date AND l.valid_to >= s.dispatch_date
                  AND l.activity = 'smelting_separation')
GROUP BY 1, 2, 3, 4, 5
"""
RAW_YIELD = """
WITH need AS (
    SELECT r.enterprise_id AS e, r.month AS m, ep.element AS el, SUM(pl.tonnes * ep.share) AS n
    FROM reporting_monthlyreport r JOIN reporting_productionline pl ON pl.report_id = r.id
    JOIN reporting_elementprofile ep ON ep.product_id = pl.product_id AND ep.valid_from <= %(last)s
    WHERE r.status = 'accepted' AND r.year = %(year)s AND pl.indicator_type = 'smelting_separation'
      AND pl.report_id BETWEEN %(lo)s AND %(hi)s
    GROUP BY 1, 2, 3
), have AS (
    SELECT r.enterprise_id AS e, r.month AS m, ep.element AS el, SUM(il.tonnes * ep.share) AS h
    FROM reporting_monthlyreport r JOIN reporting_inputline il ON il.report_id = r.id
    JOIN reporting_elementprofile ep ON ep.product_id = il.product_id AND ep.valid_from <= %(last)s
    WHERE r.status = 'accepted' AND r.year = %(year)s AND il.report_id BETWEEN %(lo)s AND %(hi)s
      AND EXISTS (SELECT 1 FROM reporting_productionline s WHERE s.report_id = r.id
                  AND s.indicator_type = 'smelting_separation')
    GROUP BY 1, 2, 3
)
SELECT need.e, need.m, need.el FROM need LEFT JOIN have ON have.e = need.e AND have.m = need.m AND have.el = need.el
WHERE need.n - COALESCE(have.h, 0) * (1 + %(ytol)s) > 0.001
"""


def _median_time(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def _sql(sql: str, params: dict):
    from django.db import connection

    def run():
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    return run


SCAN_DAY = dt.date(YEAR + 1, 1, 20)  # the scans run as of this day (as the generator's "now")
RAW_RECONCILE = (("balance", "RAW_BALANCE"), ("unconfirmed shipments", "RAW_UNCONFIRMED"),
                 ("quantity mismatch", "RAW_MISMATCH"), ("undeclared receipts", "RAW_UNDECLARED"),
                 ("unlicensed counterparties", "RAW_UNLICENSED"), ("feedstock yield", "RAW_YIELD"))


def raw_params() -> dict:
    """The parameters of the raw statements above for YEAR (after django.setup()): tolerances from the settings,
    the year's dates, the transit cut-off as of the scans' day, and the band of the year's accepted report ids."""
    from django.conf import settings  # noqa: PLC0415 — after django.setup()
    from django.db import connection  # noqa: PLC0415

    today = SCAN_DAY
    params = {"year": YEAR, "ratio": settings.USAGE_WARNING_RATIO, "tol": settings.BALANCE_TOLERANCE_T,
              "ftol": settings.FLOW_MATCH_TOLERANCE, "ytol": settings.YIELD_TOLERANCE,
              "first": dt.date(YEAR, 1, 1), "last": dt.date(YEAR, 12, 31),
              "cutoff": today - dt.timedelta(days=settings.SHIPMENT_TRANSIT_DAYS)}
    with connection.cursor() as cur:
        cur.execute("SELECT MIN(id), MAX(id) FROM reporting_monthlyreport WHERE year = %s AND status = 'accepted'",
                    [YEAR])
        params["lo"], params["hi"] = cur.fetchone()
    return params


def main() -> dict:
    import django

    django.setup()
    from django.db import connection

    from enforcement import services
    from enforcement.models import Flag

    params, today = raw_params(), SCAN_DAY
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM reporting_monthlyreport WHERE year = %s AND status = 'accepted'", [YEAR])
        reports = cur.fetchone()[0]
        cur.execute("SELECT (SELECT COUNT(*) FROM reporting_productionline) + (SELECT COUNT(*) FROM "
                    "reporting_inputline) + (SELECT COUNT(*) FROM reporting_flowline) + "
                    "(SELECT COUNT(*) FROM reporting_inventoryline)")
        lines = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM enforcement_flag")
        if cur.fetchone()[0]:
            print("  (flags already present: the cold runs below are not cold)")
    print(f"bench/scan.py: {reports:,} accepted reports, {lines:,} lines, year {YEAR}")
    out: dict = {"year": YEAR, "reports": reports, "lines": lines, "repeat": REPEAT}

    # --- scan_quota_usage ---
    _sql(RAW_USAGE_FROM_LINES, params)()  # warm the cache for everybody
    raw_lines_t, raw_rows = _median_time(_sql(RAW_USAGE_FROM_LINES, params), REPEAT)
    raw_roll_t, raw_roll_rows = _median_time(_sql(RAW_USAGE_FROM_ROLLUP, params), REPEAT)
    t0 = time.perf_counter()
    created = services.flag_scan_quota_usage(year=YEAR)
    cold = time.perf_counter() - t0
    warm, created_again = _median_time(lambda: services.flag_scan_quota_usage(year=YEAR), REPEAT)
    stored = set(Flag.objects.filter(year=YEAR, month=0, kind__in=["usage_warning", "overrun",
                                                                     "production_without_indicator"])
                 .values_list("enterprise_id", "indicator_type", "kind"))
    expected = {(e, t, k) for e, t, _u, _eff, k in raw_rows}
    out["scan_quota_usage"] = {
        "service_cold_s": round(cold, 4), "service_warm_s": round(warm, 4), "raw_s": round(raw_lines_t, 4),
        "raw_from_rollup_s": round(raw_roll_t, 4), "flags_created": created, "created_on_rerun": created_again,
        "flags_match_raw": stored == expected and len(raw_roll_rows) == len(raw_rows),
        "ratio_warm_to_raw": round(warm / raw_lines_t, 2), "ratio_warm_to_raw_from_rollup": round(warm / raw_roll_t, 2),
        "ratio_cold_to_raw": round(cold / raw_lines_t, 2), "target_ratio": 1.5,
    }

    # --- reconcile_flows: balances + the ledger line by line (enforcement/services/ledger.py) ---
    raw_parts = {}
    raw_total = 0.0
    raw_results = {}
    for name, sql in (("balance", RAW_BALANCE), ("unconfirmed_shipment", RAW_UNCONFIRMED),
                      ("quantity_mismatch", RAW_MISMATCH), ("undeclared_receipt", RAW_UNDECLARED),
                      ("unlicensed", RAW_UNLICENSED), ("yield_implausible", RAW_YIELD)):
        _sql(sql, params)()
        t, rows = _median_time(_sql(sql, params), REPEAT)
        raw_parts[name] = round(t, 4)
        raw_total += t
        raw_results[name] = rows
    t0 = time.perf_counter()
    created_r = services.flag_scan_flows(year=YEAR, today=today)
    cold_r = time.perf_counter() - t0
    warm_r, created_r_again = _median_time(lambda: services.flag_scan_flows(year=YEAR, today=today), REPEAT)
    # where a warm run spends its time: each finder of the service (computing the rows + storing nothing new)
    from enforcement.services import ledger as ledger_service
    from enforcement.services.scans import _balance_rows, _store_flags

    service_parts = {}
    for finder in (_balance_rows, *ledger_service.LEDGER_FINDERS):
        t0 = time.perf_counter()
        rows = finder(YEAR, None, today=today) if finder is ledger_service.unconfirmed_rows else finder(YEAR, None)
        _store_flags(rows)
        service_parts[finder.__name__] = round(time.perf_counter() - t0, 4)
    counts = {k: Flag.objects.filter(year=YEAR, kind=k).count()
              for k in ("balance", "unconfirmed_shipment", "quantity_mismatch", "undeclared_receipt",
                        "unlicensed_counterparty", "yield_implausible")}
    match = (counts["balance"] == len(raw_results["balance"])
             and counts["unconfirmed_shipment"] == 2 * len(raw_results["unconfirmed_shipment"])
             and counts["quantity_mismatch"] == 2 * len(raw_results["quantity_mismatch"])
             and counts["undeclared_receipt"] == 2 * len(raw_results["undeclared_receipt"])
             and counts["unlicensed_counterparty"] == len(raw_results["unlicensed"])
             and counts["yield_implausible"] == len(raw_results["yield_implausible"]))
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM reporting_shipment")
        shipments = cur.fetchone()[0]
    out["reconcile_flows"] = {
        "shipments": shipments,
        "service_cold_s": round(cold_r, 4), "service_warm_s": round(warm_r, 4), "raw_s": round(raw_total, 4),
        "raw_parts_s": raw_parts, "service_parts_s": service_parts, "flags_created": created_r, "created_on_rerun": created_r_again,
        "flags": counts, "raw_rows": {k: len(v) for k, v in raw_results.items()}, "flags_match_raw": match,
        "ratio_warm_to_raw": round(warm_r / raw_total, 2), "ratio_cold_to_raw": round(cold_r / raw_total, 2),
        "target_ratio": 2.0,
    }
    for name, r in (("scan_quota_usage", out["scan_quota_usage"]), ("reconcile_flows", out["reconcile_flows"])):
        print(f"  {name:17s} service warm {r['service_warm_s'] * 1000:8.1f} ms, cold {r['service_cold_s'] * 1000:8.1f}"
              f" ms ({r['flags_created']} flags) | raw SQL {r['raw_s'] * 1000:8.1f} ms | ratio warm {r['ratio_warm_to_raw']}"
              f" (target ≤ {r['target_ratio']}) | results match raw: {r['flags_match_raw']}")
    su = out["scan_quota_usage"]
    print(f"  {'':17s} (raw SQL reading the QuotaUsage roll-up instead of the lines: {su['raw_from_rollup_s'] * 1000:.1f}"
          f" ms; the service warm is {su['ratio_warm_to_raw_from_rollup']}× that)")
    print("  " + json.dumps(out["reconcile_flows"]["raw_rows"]) + " " + json.dumps(out["reconcile_flows"]["flags"]))
    print("  raw parts " + json.dumps(raw_parts) + "\n  service parts " + json.dumps(service_parts))
    return out


if __name__ == "__main__":
    main()
