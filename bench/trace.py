"""Chain-of-custody trace over HTTP: ``GET /api/v1/shipments/{id}/trace/?direction=up&depth=5`` as the ministry,
for shipments out of smelters (the deepest chains), one request at a time through gunicorn; p50/p95 latency and
the size of the traces. Target: p95 ≤ 200 ms at full scale. Before the HTTP part, the same traces in-process
(``BENCH_TRACE_INPROCESS``, default 50 of them): CPU ms of this process per trace (Python only: the database's time is
not in it), wall ms and queries per trace.

    DATABASE_URL=postgres://…/quota_bench python bench/trace.py        (after bench/generate.py)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/http.py must not shadow the standard library's http (urllib imports it): keep bench/ off sys.path first.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("OTP_REQUIRED", "0")
os.environ.setdefault("CELERY_BROKER_URL", os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15"))

REQUESTS = int(os.environ.get("BENCH_TRACE_REQUESTS", "200"))
INPROCESS = int(os.environ.get("BENCH_TRACE_INPROCESS", "50"))


def trace_ids() -> list[int]:
    from django.db import connection

    from bench import http as bench_http

    with connection.cursor() as cur:
        cur.execute("""SELECT s.id FROM reporting_shipment s JOIN organizations_licence l ON l.enterprise_id = s.seller_id
                       WHERE l.activity = 'smelting_separation' AND s.dispatch_date >= %s
                       ORDER BY s.id""", [f"{bench_http.YEAR}-06-01"])
        return [r[0] for r in cur.fetchall()]


def inprocess(picks: list[int], trace_fn=None) -> dict:
    """The upstream 5-step traces of ``picks`` in this process, as the ministry: CPU (this process only) and wall
    ms per trace (median, p95), queries per trace. The first 5 warm the caches and are not counted."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reporting.models import Shipment
    from reporting.trace import shipment_trace

    fn = trace_fn or shipment_trace
    user = User.objects.get(username="bench_ministry")
    cpu, wall, queries = [], [], []
    for i, pk in enumerate(picks):
        with CaptureQueriesContext(connection) as ctx:
            c0, w0 = time.process_time(), time.perf_counter()
            fn(user=user, shipment=Shipment.objects.get(pk=pk), direction="up", depth=5).as_data()
            c1, w1 = time.process_time(), time.perf_counter()
        if i >= 5:
            cpu.append((c1 - c0) * 1000)
            wall.append((w1 - w0) * 1000)
            queries.append(len(ctx.captured_queries))
    cpu.sort()
    wall.sort()

    def p(xs, q):
        return round(xs[min(len(xs) - 1, int(q * len(xs)))], 1) if xs else 0.0

    return {"traces": len(cpu), "cpu_ms_p50": p(cpu, 0.5), "cpu_ms_p95": p(cpu, 0.95),
            "cpu_ms_mean": round(statistics.mean(cpu), 1) if cpu else 0.0, "wall_ms_p50": p(wall, 0.5),
            "wall_ms_p95": p(wall, 0.95), "queries_mean": round(statistics.mean(queries), 1) if queries else 0}


def main() -> dict:
    import django

    django.setup()
    from django.db import connection

    from bench import http as bench_http

    ids = trace_ids()
    rng = random.Random(7)
    picks = [rng.choice(ids) for _ in range(REQUESTS + 10)]
    in_proc = inprocess(picks[:INPROCESS + 5]) if INPROCESS else {}
    if in_proc:
        print(f"  in-process: {in_proc['traces']} traces, CPU {in_proc['cpu_ms_p50']} ms p50 / {in_proc['cpu_ms_p95']} ms "
              f"p95 per trace, wall {in_proc['wall_ms_p50']} / {in_proc['wall_ms_p95']} ms, "
              f"{in_proc['queries_mean']} queries")
    token = bench_http.token_of("bench_ministry")
    connection.close()
    proc = bench_http.start_gunicorn()
    lat, nodes, rows, steps, errors = [], [], [], [], 0
    try:
        for i, pk in enumerate(picks):
            req = urllib.request.Request(
                f"http://127.0.0.1:{bench_http.PORT}/api/v1/shipments/{pk}/trace/?direction=up&depth=5",
                headers={"Authorization": f"Token {token}"})
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:
                    body = json.loads(resp.read())
            except Exception:  # noqa: BLE001 — counted, the figures say how many failed
                errors += 1
                continue
            dt_ = time.perf_counter() - t0
            if i >= 10:  # the first requests warm the workers
                lat.append(dt_)
                nodes.append(len(body["nodes"]))
                rows.append(len(body["rows"]))
                steps.append(max(r["step"] for r in body["rows"]))
    finally:
        bench_http.stop_gunicorn(proc)
    lat.sort()

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else 0.0

    out: dict = {"requests": len(lat), "errors": errors, "p50_ms": pct(0.50), "p95_ms": pct(0.95), "max_ms": pct(1.0),
           "mean_nodes": round(statistics.mean(nodes), 1) if nodes else 0,
           "mean_rows": round(statistics.mean(rows), 1) if rows else 0, "target_p95_ms": 200,
           "mean_steps_reached": round(statistics.mean(steps), 2) if steps else 0,
           "load_average": [round(x, 2) for x in os.getloadavg()], "in_process": in_proc}
    out["target_met"] = bool(lat) and pct(0.95) <= 200 and not errors
    print(f"bench/trace.py: {out['requests']} upstream traces, depth 5: p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms "
          f"(target ≤ 200), max {out['max_ms']} ms; {out['mean_nodes']} nodes / {out['mean_rows']} rows / {out['mean_steps_reached']} steps on average; "
          f"errors {errors}; load average {out['load_average']}")
    return out


if __name__ == "__main__":
    main()
