"""EXPLAIN ANALYZE of the hot queries on the bench database: the slowest queries of each measured page and the
scan statements. Writes bench/results/explain-<scale>.txt (bench/README.md quotes it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quota_bench python bench/explain.py [scale-name]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("OTP_REQUIRED", "0")

YEAR = int(os.environ.get("BENCH_YEAR", "2025"))


def main(scale: str = "reduced") -> Path:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.http import busiest_county_reviewer

    pages = [("national dashboard", "bench_ministry", "/"),
             ("quotas API", "bench_ministry", f"/api/v1/quotas/?year={YEAR}"),
             ("county review queue", busiest_county_reviewer(), "/reports/?status=submitted")]
    out = []
    for title, username, url in pages:
        c = Client()
        c.force_login(get_user_model().objects.get(username=username))
        c.get(url)
        with CaptureQueriesContext(connection) as q:
            c.get(url)
        reads = [x for x in q.captured_queries if x["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
        slow = sorted(reads, key=lambda x: -float(x["time"]))[:2]
        for n, x in enumerate(slow, 1):
            out.append(f"### {title} ({url}) — query {n} of its {len(q.captured_queries)}, {float(x['time']) * 1000:.0f} ms")
            out.append(x["sql"][:600] + (" …" if len(x["sql"]) > 600 else ""))
            try:
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, COSTS off, TIMING on) " + x["sql"])
                    out += [r[0] for r in cur.fetchall()]
            except Exception as exc:  # noqa: BLE001 - a plan we cannot get is reported, not fatal
                out.append(f"(no plan: {exc})")
            out.append("")
    from bench import scan

    params = scan.raw_params()
    statements = [("raw year-to-date usage from the lines", scan.RAW_USAGE_FROM_LINES)]
    statements += [(f"raw reconcile: {title}", getattr(scan, name)) for title, name in scan.RAW_RECONCILE]
    for title, sql in statements:
        out.append(f"### {title}")
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, COSTS off) " + sql, params)
            out += [r[0] for r in cur.fetchall()]
        out.append("")
    path = ROOT / "bench" / "results" / f"explain-{scale}.txt"
    path.write_text("\n".join(out) + "\n")
    print(f"bench/explain.py: {path.relative_to(ROOT)}")
    return path


if __name__ == "__main__":
    main(*(sys.argv[1:2] or ["reduced"]))
