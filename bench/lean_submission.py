"""The lean submission in-process: server CPU per submission (Django + its PostgreSQL backend) and queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quota_bench python bench/lean_submission.py [N]

Files and submits N (default 40) reports of ``bench/http.py``'s submission payloads (50 lines: production,
inputs, 38 shipments to real counterparties, inventory that balances) one after another through the API
(``POST /api/v1/reports/`` with ``"submit": true``, ``"attest": true``, ``Prefer: return=minimal``), in this
process with DRF's test client, after 3 unmeasured ones. Measures, per submission:
- the framework baseline first: the CPU of 300 requests of the bare JSON view (``/bench/baseline/``, bench/urls.py)
  through the same client and middleware, so that the submission is also given as a multiple of it (what a shared
  machine inflates, it inflates in both: bench/README.md projects with the quiet machine's 2.7 ms baseline);
- CPU of this process (``time.process_time``: Django, the middleware stack, the serialisers) plus the CPU of
  its PostgreSQL backend (``/proc/<pg_backend_pid()>/stat``) — neither is inflated by other users' processes
  the way wall time is on a shared machine (cache sharing inflates both somewhat: record the load average);
- the number of SQL queries (``CaptureQueriesContext``);
and writes a pyinstrument profile of one more submission to bench/results/profile-<scale>-submission_lean-inproc.txt.
No HTTP server, no gunicorn: the figure is the cost of the request inside Django, not of the socket.
The submissions stay in the database (each uses a fresh (enterprise, month)): regenerate for a clean run.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import json
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("OTP_REQUIRED", "0")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15")  # never the real one

EXTRA = {"submit": True, "attest": True, "confirm_warnings": True, "warnings_explanation": "bench"}


def _backend_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main() -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler
    from rest_framework.test import APIClient

    from bench.http import RESULTS, _scale, submission_payloads

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    warm = 3
    payloads = submission_payloads(n + warm + 1)
    if len(payloads) < n + warm + 1:
        raise SystemExit(f"only {len(payloads)} unused (enterprise, month) payloads left: regenerate the bench data")

    client = APIClient()  # one handler: its middleware (whitenoise scans the static files) loads once, as in a server

    def post(key, body):
        c = client
        c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        r = c.post("/api/v1/reports/", {**body, **EXTRA}, format="json", HTTP_PREFER="return=minimal")
        assert r.status_code == 201 and r.json()["status"] == "submitted", r.content[:500]
        return r

    for key, body in payloads[:warm]:
        post(key, body)
    # the framework baseline in the same process and minute: a bare JSON view through the whole middleware stack
    # (bench/urls.py), so that the submission's cost can be given as a multiple of it, as bench/http.py does
    client.get("/bench/baseline/")
    b_cpu = time.process_time()
    for _i in range(300):
        assert client.get("/bench/baseline/").status_code == 200
    baseline_ms = (time.process_time() - b_cpu) * 1000 / 300
    connection.ensure_connection()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
    tick = os.sysconf("SC_CLK_TCK")
    load_before = [round(x, 2) for x in os.getloadavg()]
    queries: list[int] = []
    own: list[float] = []
    walls: list[float] = []
    b0, c0, w0 = _backend_ticks(backend), time.process_time(), time.perf_counter()
    for key, body in payloads[warm:warm + n]:
        connection.queries_log.clear()  # a full log (9,000 entries) would count 0
        p0, t0 = time.process_time(), time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            post(key, body)
        own.append(time.process_time() - p0)
        walls.append(time.perf_counter() - t0)
        queries.append(len(ctx.captured_queries))
    django_cpu = time.process_time() - c0
    pg_cpu = (_backend_ticks(backend) - b0) / tick
    wall = time.perf_counter() - w0
    # the query log of the last one, for reading
    (RESULTS / f"queries-{_scale()}-submission_lean.txt").write_text(
        "\n".join(f"{i + 1:3d} {q['time']:>6} {q['sql'][:300]}" for i, q in enumerate(ctx.captured_queries)) + "\n")
    key, body = payloads[warm + n]
    prof = Profiler(interval=0.0005)
    prof.start()
    post(key, body)
    prof.stop()
    path = RESULTS / f"profile-{_scale()}-submission_lean-inproc.txt"
    path.write_text(prof.output_text(unicode=True, color=False, show_all=False))
    if os.environ.get("BENCH_CPROFILE"):  # where this process's CPU goes (process time, not wall), over 5 more
        import cProfile
        import io
        import pstats

        cp = cProfile.Profile(time.process_time)
        for key, body in submission_payloads(5):
            cp.runcall(post, key, body)
        buf = io.StringIO()
        st = pstats.Stats(cp, stream=buf)
        st.sort_stats("cumulative").print_stats(90)
        st.print_callees("ledger_sync_report|_report_create|_report_submit|clean_content")
        (RESULTS / f"cprofile-{_scale()}-submission_lean.txt").write_text(buf.getvalue())
        cp.dump_stats(RESULTS / f"cprofile-{_scale()}-submission_lean.pstats")
    lines = sum(len(body[k]) for k in ("production", "inputs", "shipments", "inventory"))
    out = {
        "submissions": n, "lines_per_report": lines,
        "django_cpu_ms_per_submission": round(django_cpu * 1000 / n, 1),
        "postgres_cpu_ms_per_submission": round(pg_cpu * 1000 / n, 1),
        "server_cpu_ms_per_submission": round((django_cpu + pg_cpu) * 1000 / n, 1),
        "baseline_cpu_ms_per_request": round(baseline_ms, 2),
        "submission_over_baseline": round((django_cpu + pg_cpu) * 1000 / n / baseline_ms, 1),
        "django_cpu_ms_median": round(statistics.median(own) * 1000, 1),
        "wall_ms_median": round(statistics.median(walls) * 1000, 1),
        "wall_seconds": round(wall, 2),
        "queries_per_submission": sorted(set(queries)),
        "load_average_before": load_before, "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "profile": str(path.relative_to(ROOT)),
    }
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
