"""CPU per page view, in-process: the Django side (``time.process_time``) and the PostgreSQL backend serving it
(its utime + stime from ``/proc/<pid>/stat``), over N requests after two warm-ups. What a shared machine does not
inflate as much as latencies; run it on the bench database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quota_bench BENCH_SCALE=full \\
        nice -n 19 .venv/bin/python bench/pages_cpu.py [N] [--profile]

Parallel query workers are switched off in this session (``max_parallel_workers_per_gather = 0``) so that all of a
query's CPU is in the one backend measured; ``--profile`` writes a pyinstrument text report per page to
bench/results/profile-<scale>-cpu-<page>.txt.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("OTP_REQUIRED", "0")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15")

YEAR = int(os.environ.get("BENCH_YEAR", "2025"))
TICK = os.sysconf("SC_CLK_TCK")


def _ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    n = int(next((a for a in sys.argv[1:] if a.isdigit()), "30"))
    profile = "--profile" in sys.argv
    with connection.cursor() as cur:
        cur.execute("SET max_parallel_workers_per_gather = 0")
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
        cur.execute("""SELECT a.code FROM organizations_enterprise e JOIN organizations_authority a ON a.id = e.county_id
                       GROUP BY a.code, e.county_id ORDER BY COUNT(*) DESC, e.county_id LIMIT 1""")
        reviewer = f"bench_rev_{cur.fetchone()[0]}"
    users = get_user_model().objects
    pages = [
        ("baseline", "/bench/baseline/", None, {}),  # the bare view: CPU ratios to it travel between machines
        ("national_dashboard", "/", "bench_ministry", {}),
        ("review_queue", "/reports/?status=submitted", reviewer, {}),
        ("quotas_api", f"/api/v1/quotas/?year={YEAR}", None,
         {"HTTP_AUTHORIZATION": f"Token {Token.objects.get(user__username='bench_ministry').key}"}),
        ("quotas_page", f"/allocations/quotas/?year={YEAR}", "bench_ministry", {}),
    ]
    only = [a for a in sys.argv[1:] if not a.isdigit() and not a.startswith("--")]
    print(f"load average {os.getloadavg()[0]:.2f}; {n} requests per page")
    for name, url, username, headers in pages:
        if only and name not in only:
            continue
        c = Client()
        if username:
            c.force_login(users.get(username=username))
        for _ in range(2):
            assert c.get(url, **headers).status_code == 200
        py0, pg0, w0 = time.process_time(), _ticks(backend), time.perf_counter()
        for _ in range(n):
            c.get(url, **headers)
        py = (time.process_time() - py0) * 1000 / n
        pg = (_ticks(backend) - pg0) * 1000 / TICK / n
        wall = (time.perf_counter() - w0) * 1000 / n
        print(f"{name:20s} python {py:6.1f} ms + postgres {pg:6.1f} ms = {py + pg:6.1f} ms CPU/view "
              f"(wall {wall:6.1f} ms)")
        if profile:
            from pyinstrument import Profiler

            prof = Profiler(interval=0.0005)
            prof.start()
            c.get(url, **headers)
            prof.stop()
            scale = os.environ.get("BENCH_SCALE", "reduced").strip().lower() or "reduced"
            (ROOT / "bench" / "results" / f"profile-{scale}-cpu-{name}.txt").write_text(
                prof.output_text(unicode=True, color=False, show_all=False))
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
