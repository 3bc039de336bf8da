"""Does partitioning the line tables by year pay? The same scale loaded with one year and with three years
(``generate.py --years``), then the year-bound work timed on each: the nightly scans of the last year
(bench/scan.py: usage scan, reconciliation and their raw SQL bounds) and the pages in-process (median of 5).
If the last year's work does not grow with the older years beside it, partitioning by year has nothing to prune.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quota_bench BENCH_SCALE=reduced python bench/years.py

Writes bench/results/years-<scale>.json and prints the comparison.
"""

# ruff: noqa: E402, PLC0415
from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("OTP_REQUIRED", "0")
RESULTS = ROOT / "bench" / "results"


def pages() -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    year = int(os.environ.get("BENCH_YEAR", "2025"))
    c = Client()
    c.force_login(get_user_model().objects.get(username="bench_ministry"))
    out = {}
    for name, url in (("national_dashboard", "/"), ("quotas_api", f"/api/v1/quotas/?year={year}"),
                      ("quotas_page", f"/allocations/quotas/?year={year}")):
        c.get(url)
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            assert c.get(url).status_code == 200
            times.append(time.perf_counter() - t0)
        out[name] = round(statistics.median(times) * 1000, 1)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('reporting_flowline')), "
                    "pg_total_relation_size('reporting_flowline')")
        out["flowline_size"], out["flowline_bytes"] = cur.fetchone()
    return out


def run(years: int) -> dict:
    from bench import generate, scan

    gen = generate.main(years)
    import django

    django.setup()
    from django.db import connection

    connection.close()
    sc = scan.main()
    return {"years": years, "report_lines": gen["report_lines"], "generate_seconds": gen["seconds"],
            "scan_usage_warm_ms": round(sc["scan_quota_usage"]["service_warm_s"] * 1000, 1),
            "scan_usage_raw_ms": round(sc["scan_quota_usage"]["raw_s"] * 1000, 1),
            "reconcile_warm_ms": round(sc["reconcile_flows"]["service_warm_s"] * 1000, 1),
            "reconcile_cold_ms": round(sc["reconcile_flows"]["service_cold_s"] * 1000, 1),
            "reconcile_raw_ms": round(sc["reconcile_flows"]["raw_s"] * 1000, 1),
            "reconcile_raw_parts_ms": {k: round(v * 1000, 1) for k, v in sc["reconcile_flows"]["raw_parts_s"].items()},
            "pages_in_process_median_ms": pages(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def main() -> dict:
    scale = os.environ.get("BENCH_SCALE", "reduced").strip().lower() or "reduced"
    out = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"), "scale": scale,
           "runs": [run(1), run(3)]}
    one, three = out["runs"]
    out["ratios_3_to_1_year"] = {k: round(three[k] / one[k], 2) for k in
                                 ("report_lines", "scan_usage_warm_ms", "scan_usage_raw_ms", "reconcile_warm_ms",
                                  "reconcile_raw_ms") if one[k]}
    out["ratios_3_to_1_year"].update({f"page:{k}": round(three["pages_in_process_median_ms"][k] / v, 2)
                                      for k, v in one["pages_in_process_median_ms"].items()
                                      if isinstance(v, float) and v})
    path = RESULTS / f"years-{scale}.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"bench/years.py ({scale}): 3 years / 1 year: " + json.dumps(out["ratios_3_to_1_year"]))
    return out


if __name__ == "__main__":
    main()
