"""``make bench``: generate the data, time the scans, load the HTTP server; write bench/results/ and the README table.

    BENCH_SCALE=reduced|full|<n>  (default reduced = 500 enterprises; full = 10,000, ~6 million lines)
    DATABASE_URL                  the bench database (recreated; its name must contain "bench")
    BENCH_SKIP_GENERATE=1         reuse the data already in the database
    BENCH_HTTP_SECONDS            seconds per HTTP scenario (default 10 reduced, 30 full)
    BENCH_PROFILE=0               skip the pyinstrument profiles (on by default)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds a module named http.py: import the bench modules as a package, never from their folder.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("OTP_REQUIRED", "0")
# Post-commit jobs (e.g. the late-report scan a submission enqueues) go to a broker database nobody consumes, as
# they would to a real worker; bench/http.py empties it at the end.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15")  # never the real one

RESULTS = ROOT / "bench" / "results"
README = ROOT / "bench" / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines()
                          if x.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    try:
        pg = subprocess.run(["psql", os.environ["DATABASE_URL"], "-Atc", "SHOW server_version"], capture_output=True,
                            text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError, KeyError):
        pg = ""
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "postgresql": pg, "kernel": platform.release(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def readme_table() -> str:
    rows = []
    for path in sorted(RESULTS.glob("bench-*.json")):
        try:
            r = json.loads(path.read_text())
        except ValueError:
            continue
        h = {s["scenario"]: s for s in r.get("http", {}).get("scenarios", [])}
        sc = r.get("scan", {})

        def p(name, key, h=h):
            v = h.get(name, {}).get(key)
            return "–" if v is None else f"{v:g}"

        su, rc = sc.get("scan_quota_usage", {}), sc.get("reconcile_flows", {})
        rows.append(
            f"| {r['date']} | {r['scale']} ({r['generate']['enterprises']:,} ent., {r['generate']['report_lines']:,} lines) "
            f"| {r['machine']['cpus']} × {r['machine']['cpu'][:28]}, load {r['machine']['load_average_at_start'][0]} "
            f"| {r['generate']['rows_per_s']:,} "
            f"| {su.get('service_warm_s', 0) * 1000:.0f} / {su.get('raw_s', 0) * 1000:.0f} ms = {su.get('ratio_warm_to_raw')}× "
            f"| {rc.get('service_warm_s', 0) * 1000:.0f} / {rc.get('raw_s', 0) * 1000:.0f} ms = {rc.get('ratio_warm_to_raw')}× "
            f"| {p('baseline', 'req_per_s')} / {p('baseline', 'p95_ms')} / {p('baseline', 'server_cpu_ms_per_request')} "
            f"| {p('submission', 'req_per_s')} / {p('submission', 'p95_ms')} / {p('submission', 'server_cpu_ms_per_request')}"
            f" → {p('submission', 'capacity_per_s_on_2_dedicated_cores')} "
            f"| {p('review_queue', 'p95_ms')} / {p('review_queue', 'server_cpu_ms_per_request')} "
            f"| {p('national_dashboard', 'p95_ms')} / {p('national_dashboard', 'server_cpu_ms_per_request')} "
            f"| {p('quotas_api', 'p95_ms')} / {p('quotas_api', 'server_cpu_ms_per_request')} "
            f"| {p('quotas_page', 'p95_ms')} / {p('quotas_page', 'server_cpu_ms_per_request')} | `{path.name}` |")
    head = ("| date (UTC) | scale | machine | load rows/s | scan usage warm / raw | reconcile warm / raw "
            "| baseline req/s / p95 ms / CPU ms | submission /s / p95 ms / CPU ms → 2-core capacity/s "
            "| review queue p95 / CPU ms | national dashboard p95 / CPU ms "
            "| quotas API p95 / CPU ms | quotas page p95 / CPU ms | file |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    return head + "\n" + "\n".join(rows)


def update_readme() -> None:
    text = README.read_text() if README.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    _old, after = rest.split(END, 1)
    README.write_text(f"{before}{START}\n{readme_table()}\n{END}{after}")


def main() -> int:
    scale_name = os.environ.get("BENCH_SCALE", "reduced").strip().lower() or "reduced"
    os.environ.setdefault("BENCH_HTTP_SECONDS", "30" if scale_name == "full" else "10")
    os.environ.setdefault("BENCH_PROFILE", "1")
    os.environ.setdefault("BENCH_SCAN_REPEAT", "1" if scale_name == "full" else "3")  # a full reconcile takes a minute
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    result: dict = {"date": started.strftime("%Y-%m-%d %H:%M"), "scale": scale_name, "machine": machine()}
    t0 = time.perf_counter()
    from bench import generate

    if os.environ.get("BENCH_SKIP_GENERATE") == "1":
        result["generate"] = json.loads((RESULTS / f"last-generate-{scale_name}.json").read_text())
    else:
        result["generate"] = generate.main()
        (RESULTS / f"last-generate-{scale_name}.json").write_text(json.dumps(result["generate"], indent=1))
    import django

    django.setup()
    from bench import http as bench_http
    from bench import scan

    result["scan"] = scan.main()
    # What autovacuum does after a night's bulk insert of flags and notifications (index-only counts on the
    # dashboards need the visibility map): done here so the HTTP figures do not depend on its timing.
    from django.db import connection

    connection.close()
    with connection.cursor() as cur:
        for table in ("enforcement_flag", "organizations_notification", "enforcement_jobrun"):
            cur.execute(f"VACUUM (ANALYZE) {table}")
    result["http"] = bench_http.main()
    from bench import trace as bench_trace

    result["trace"] = bench_trace.main()
    name = f"bench-{started.strftime('%Y%m%dT%H%M')}-{scale_name}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=1, default=str))  # kept even if the plans fail below
    from bench import explain

    result["explain"] = str(explain.main(scale_name).relative_to(ROOT))
    result["http"]["targets_met"] = result["http"].get("targets_met", {})
    result["targets"] = {
        "scan_quota_usage<=1.5x_raw": result["scan"]["scan_quota_usage"]["ratio_warm_to_raw"] <= 1.5,
        "reconcile_flows<=2x_raw": result["scan"]["reconcile_flows"]["ratio_warm_to_raw"] <= 2.0,
        "trace_p95<=200ms": result["trace"]["target_met"],
        **result["http"]["targets_met"],
    }
    result["total_seconds"] = round(time.perf_counter() - t0, 1)
    name = f"bench-{started.strftime('%Y%m%dT%H%M')}-{scale_name}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=1, default=str))
    update_readme()
    print(f"bench/run.py: {result['total_seconds']} s in all; results in bench/results/{name}; table in bench/README.md")
    print("  targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in result["targets"].items()))
    if scale_name != "full":
        print("  (the HTTP targets are stated for the full scale: BENCH_SCALE=full make bench)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
