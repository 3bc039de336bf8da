"""HTTP load against gunicorn (2 workers) on the bench database, driven from this process over loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quota_bench python bench/http.py

Scenarios (each BENCH_HTTP_SECONDS, default 15; BENCH_HTTP_CONCURRENCY connections, default 4):
- ``baseline``: ``GET /bench/baseline/`` — a bare Django JSON view on the same server (bench/urls.py, mounted only
  by bench/settings.py): the framework's own cost per request, through the full middleware stack;
- ``submission``: a monthly report with 50 lines through the API as an enterprise filer (token):
  ``POST /api/v1/reports/`` (draft with its lines) then ``POST /api/v1/reports/{id}/submit/`` — one submission
  is the pair; each enterprise files one 2026 month per request, never the same twice;
- ``submission_lean``: the same reports filed and submitted in ONE request (``"submit": true``) with
  ``Prefer: return=minimal`` — the lean write path (issue 15); the target applies to it;
- ``review_queue``: the county review queue page ``/reports/?status=submitted`` as the reviewer of the
  county with most enterprises (after the submissions, so it has content);
- ``national_dashboard``: ``/`` as a ministry official (session; OTP_REQUIRED=0 for the bench);
- ``quotas_api``: ``GET /api/v1/quotas/?year=2025`` as the ministry (every enterprise in scope);
- ``quotas_page``: ``/allocations/quotas/?year=2025`` as the ministry.

Prints req/s, p50 and p95 per scenario and the ratios to the baseline; writes nothing itself (bench/run.py does).
Targets at full scale: submission ≥ 100/s; national dashboard p95 ≤ 150 ms; every other page p95 ≤ 200 ms.
BENCH_PROFILE=1 also profiles one request of each page scenario in-process with pyinstrument
(bench/results/profile-<scenario>.txt).
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py: keep its folder off sys.path so the standard library's ``http`` stays importable.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import asyncio
import datetime as dt
import os
import random
import signal
import socket
import statistics
import subprocess
import time
from decimal import Decimal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("OTP_REQUIRED", "0")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15")  # never the real one

YEAR = int(os.environ.get("BENCH_YEAR", "2025"))
FILE_YEAR = YEAR + 1
SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "15"))
CONCURRENCY = int(os.environ.get("BENCH_HTTP_CONCURRENCY", "4"))
PORT = int(os.environ.get("BENCH_HTTP_PORT", "18765"))
RESULTS = ROOT / "bench" / "results"


def _scale() -> str:
    return os.environ.get("BENCH_SCALE", "reduced").strip().lower() or "reduced"


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def start_gunicorn() -> subprocess.Popen:
    if not _free(PORT):
        raise SystemExit(f"port {PORT} is busy; set BENCH_HTTP_PORT")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "OTP_REQUIRED": "0",
           # a real deployment has a worker: post-commit jobs are queued to a broker database nobody else uses
           "CELERY_TASK_ALWAYS_EAGER": "0", "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
           "AXES_ENABLED": "1", "DJANGO_DEBUG": "0"}
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "quota_portal.wsgi:application", "--workers", "2",
         "--bind", f"127.0.0.1:{PORT}", "--access-logfile", "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
         "--log-level", "warning", "--timeout", "120"],
        cwd=ROOT, env=env, start_new_session=True)
    for _ in range(100):
        if not _free(PORT):
            break
        time.sleep(0.1)
    time.sleep(1.0)
    return proc


def stop_gunicorn(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


# --- server CPU: what the requests cost, whatever else runs on the machine --------------------------------


def _self_ticks() -> int:
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime of the load driver itself


def server_cpu_seconds() -> float:
    """CPU used so far by the whole machine, less this load driver's own (Linux /proc/stat): the gunicorn workers,
    the PostgreSQL backends and their parallel workers, whatever connections come and go. The difference over a
    scenario divided by its requests is the server's CPU per request — meaningful when nothing else runs (the load
    average before and after is recorded with it)."""
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in cpu[:8])
    return (user + nice + system + irq + softirq + steal - _self_ticks()) / os.sysconf("SC_CLK_TCK")


def _ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return int(fields[11]) + int(fields[12])


class ProcessCpu:
    """CPU of the server's own processes only — the gunicorn master and workers and the PostgreSQL backends (and
    parallel workers) connected to the bench database — read per process from /proc/<pid>/stat. Unlike
    ``server_cpu_seconds`` it is not inflated by what other users run on a shared machine; it misses the CPU of
    a backend or parallel worker that exited during the scenario (CONN_MAX_AGE keeps the backends alive)."""

    def __init__(self, gunicorn_pid: int):
        self.master = gunicorn_pid
        self.seen: dict[int, int] = {}

    def _pids(self) -> set[int]:
        pids = {self.master}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.master:
                    pids.add(int(stat.parent.name))
            except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
                continue
        import psycopg2  # noqa: PLC0415 — this script imports Django only after configuring it
        from django.db import connection  # noqa: PLC0415

        sd = connection.settings_dict
        with psycopg2.connect(host=sd["HOST"] or "127.0.0.1", port=sd["PORT"] or 5432, user=sd["USER"],
                              password=sd["PASSWORD"] or None, dbname=sd["NAME"]) as c, c.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()")
            pids |= {r[0] for r in cur.fetchall()}
        c.close()
        return pids

    def __call__(self) -> float:
        """Cumulative CPU seconds of every server process seen so far (exited ones keep their last reading)."""
        for pid in self._pids():
            t = _ticks(pid)
            if t is not None:
                self.seen[pid] = t
        return sum(self.seen.values()) / os.sysconf("SC_CLK_TCK")


# --- fixtures: users, sessions, payloads -------------------------------------------------------------------


def session_cookie(username: str) -> str:
    from django.contrib.auth import get_user_model
    from django.test import Client

    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c.cookies["sessionid"].value


def token_of(username: str) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get(user__username=username).key


def submission_payloads(limit: int) -> list[tuple[str, dict]]:
    """(token, report JSON) for up to ``limit`` distinct (enterprise, 2026 month) pairs, balanced per product."""
    from django.db import connection

    rng = random.Random(7)
    with connection.cursor() as cur:
        cur.execute("""SELECT e.id, e.credit_code, t.key, l.indicator_type,
                              ARRAY(SELECT DISTINCT p.product_id FROM reporting_productionline p
                                    WHERE p.report_id = (SELECT MAX(r.id) FROM reporting_monthlyreport r
                                                         WHERE r.enterprise_id = e.id))
                       FROM organizations_enterprise e
                       JOIN organizations_membership m ON m.enterprise_id = e.id
                       JOIN authtoken_token t ON t.user_id = m.user_id
                       JOIN allocations_allocationline l ON l.enterprise_id = e.id
                       WHERE NOT EXISTS (SELECT 1 FROM reporting_monthlyreport r WHERE r.enterprise_id = e.id
                                         AND r.year = %s)
                       -- the busiest county's enterprises file first: its review queue then has a realistic length
                       ORDER BY e.county_id = (SELECT county_id FROM organizations_enterprise GROUP BY county_id
                                               ORDER BY COUNT(*) DESC, county_id LIMIT 1) DESC, e.id""", [FILE_YEAR])
        ents = cur.fetchall()
        cur.execute("SELECT code FROM reporting_product WHERE stage = 'mineral' ORDER BY code")
        minerals = [r[0] for r in cur.fetchall()]
    codes = [e[1] for e in ents]
    out = []
    for month in range(2, 11):  # no accepted 2026 report yet: opening stock is not tied to a previous month
        for ent_id, code, key, itype, products in ents:  # (busiest county first, see above)
            if len(out) >= limit:
                return out
            last = (dt.date(FILE_YEAR + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
            moves: dict[str, list[Decimal]] = {}

            def mv(p, moves=moves):
                return moves.setdefault(p, [Decimal(0)] * 4)

            production = []
            for p in products:
                t = Decimal(rng.randint(2000, 9000)) / 1000
                production.append({"indicator_type": itype, "product": p, "tonnes": f"{t:.3f}"})
                mv(p)[0] += t
            shipments = []
            for k in range(38):
                other = rng.choice(codes)
                if other == code:
                    continue
                direction = "out" if k % 2 == 0 else "in"
                p = rng.choice(products) if direction == "out" else rng.choice(products + minerals[:2])
                t = Decimal(rng.randint(100, 900)) / 1000
                shipments.append({"direction": direction, "counterparty_credit_code": other, "product": p,
                                  "tonnes": f"{t:.3f}", "date": f"{FILE_YEAR}-{month:02d}-{rng.randint(1, last):02d}",
                                  "document_no": f"B{ent_id}-{month}-{k}"})
                mv(p)[1 if direction == "in" else 2] += t
            inputs = []
            for p in list(moves)[:3]:
                t = Decimal(rng.randint(100, 500)) / 1000
                inputs.append({"source": "domestic_mined", "country": "", "product": p, "tonnes": f"{t:.3f}"})
                mv(p)[3] += t
            inventory = []
            for p, (prod, rec, ship, cons) in moves.items():
                opening = Decimal(50)
                inventory.append({"product": p, "opening": f"{opening:.3f}",
                                  "closing": f"{opening + prod + rec - ship - cons:.3f}"})
            body = {"enterprise": ent_id, "year": FILE_YEAR, "month": month, "nil": False, "comment": "",
                    "production": production, "inputs": inputs, "shipments": shipments, "inventory": inventory}
            out.append((key, body))
    return out


def busiest_county_reviewer() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""SELECT a.code FROM organizations_enterprise e JOIN organizations_authority a ON a.id = e.county_id
                       GROUP BY a.code, e.county_id ORDER BY COUNT(*) DESC, e.county_id LIMIT 1""")
        return f"bench_rev_{cur.fetchone()[0]}"


# --- load -----------------------------------------------------------------------------------------------


def summarise(name: str, latencies: list[float], elapsed: float, errors: int, extra: dict | None = None) -> dict:
    lat = sorted(latencies)
    n = len(lat)

    def pct(p):
        return round(lat[min(n - 1, int(p * n))] * 1000, 1) if n else None

    return {"scenario": name, "requests": n, "errors": errors, "seconds": round(elapsed, 2),
            "req_per_s": round(n / elapsed, 1) if elapsed else 0, "p50_ms": pct(0.50), "p95_ms": pct(0.95),
            "mean_ms": round(statistics.mean(lat) * 1000, 1) if n else None, **(extra or {})}


async def run_get(client, name: str, url: str, headers: dict, seconds: float, concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker():
        nonlocal errors
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            r = await client.get(url, headers=headers)
            dt_ = time.perf_counter() - t0
            if r.status_code == 200:
                latencies.append(dt_)
            else:
                errors += 1
                if errors <= 3:
                    print(f"    {name}: HTTP {r.status_code} {r.text[:200]!r}")

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return summarise(name, latencies, time.perf_counter() - t0, errors, {"url": url})


async def run_lean_submissions(client, payloads: list[tuple[str, dict]], seconds: float, concurrency: int) -> dict:
    """The lean write path: one ``POST /api/v1/reports/`` with ``"submit": true`` and ``Prefer: return=minimal``
    (files and submits in one request; answers id, status, version, due_at, late, warnings only)."""
    latencies: list[float] = []
    errors = 0
    queue = list(reversed(payloads))
    deadline = time.perf_counter() + seconds

    async def worker():
        nonlocal errors
        while queue and time.perf_counter() < deadline:
            key, body = queue.pop()
            h = {"Authorization": f"Token {key}", "Prefer": "return=minimal"}
            t0 = time.perf_counter()
            r = await client.post("/api/v1/reports/", headers=h, json={
                **body, "submit": True, "attest": True, "confirm_warnings": True, "warnings_explanation": "bench"})
            if r.status_code != 201 or r.json().get("status") != "submitted":
                errors += 1
                if errors <= 3:
                    print(f"    lean submission: HTTP {r.status_code} {r.text[:300]!r}")
                continue
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    lines = sum(len(b[k]) for _key, b in payloads[:1] for k in ("production", "inputs", "shipments", "inventory"))
    return summarise("submission_lean", latencies, time.perf_counter() - t0, errors,
                     {"lines_per_report": lines, "url": 'POST /api/v1/reports/ {"submit": true} + Prefer: return=minimal',
                      "payloads_left": len(queue)})


async def run_submissions(client, payloads: list[tuple[str, dict]], seconds: float, concurrency: int) -> dict:
    latencies: list[float] = []
    create_lat: list[float] = []
    submit_lat: list[float] = []
    errors = 0
    queue = list(reversed(payloads))
    deadline = time.perf_counter() + seconds

    async def worker():
        nonlocal errors
        while queue and time.perf_counter() < deadline:
            key, body = queue.pop()
            h = {"Authorization": f"Token {key}"}
            t0 = time.perf_counter()
            r = await client.post("/api/v1/reports/", json=body, headers=h)
            t1 = time.perf_counter()
            if r.status_code != 201:
                errors += 1
                if errors <= 3:
                    print(f"    submission create: HTTP {r.status_code} {r.text[:300]!r}")
                continue
            rid = r.json()["id"]
            r2 = await client.post(f"/api/v1/reports/{rid}/submit/",
                                   json={"confirm_warnings": True, "warnings_explanation": "bench", "attest": True}, headers=h)
            t2 = time.perf_counter()
            if r2.status_code != 200:
                errors += 1
                if errors <= 3:
                    print(f"    submission submit: HTTP {r2.status_code} {r2.text[:300]!r}")
                continue
            latencies.append(t2 - t0)
            create_lat.append(t1 - t0)
            submit_lat.append(t2 - t1)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    lines = sum(len(b[k]) for _key, b in payloads[:1] for k in ("production", "inputs", "shipments", "inventory"))
    res = summarise("submission", latencies, time.perf_counter() - t0, errors,
                    {"lines_per_report": lines, "url": "POST /api/v1/reports/ + /submit/",
                     "create_p50_ms": round(statistics.median(create_lat) * 1000, 1) if create_lat else None,
                     "submit_p50_ms": round(statistics.median(submit_lat) * 1000, 1) if submit_lat else None,
                     "payloads_left": len(queue)})
    return res


def profile_pages(pages: list[tuple[str, str, str]]) -> dict:
    """One request of each page in-process under pyinstrument; the text reports go to bench/results/."""
    from django.test import Client
    from pyinstrument import Profiler

    out = {}
    for name, url, username in pages:
        from django.contrib.auth import get_user_model

        c = Client()
        if username:
            c.force_login(get_user_model().objects.get(username=username))
        c.get(url)  # warm
        prof = Profiler(interval=0.0005)
        prof.start()
        c.get(url)
        prof.stop()
        text = prof.output_text(unicode=True, color=False, show_all=False)
        path = RESULTS / f"profile-{_scale()}-{name}.txt"
        path.write_text(text)
        out[name] = str(path.relative_to(ROOT))
    return out


def profile_lean_submission(warm: tuple[str, dict], measured: tuple[str, dict]) -> str:
    """The lean submission (one request, minimal answer) in-process under pyinstrument, after one unprofiled."""
    from pyinstrument import Profiler
    from rest_framework.test import APIClient

    extra = {"submit": True, "attest": True, "confirm_warnings": True, "warnings_explanation": "bench"}
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {warm[0]}")
    c.post("/api/v1/reports/", {**warm[1], **extra}, format="json", HTTP_PREFER="return=minimal")
    key, body = measured
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    prof = Profiler(interval=0.0005)
    prof.start()
    r = c.post("/api/v1/reports/", {**body, **extra}, format="json", HTTP_PREFER="return=minimal")
    prof.stop()
    assert r.status_code == 201, r.content
    path = RESULTS / f"profile-{_scale()}-submission_lean.txt"
    path.write_text(prof.output_text(unicode=True, color=False, show_all=False))
    return str(path.relative_to(ROOT))


def profile_submission(warm: tuple[str, dict], measured: tuple[str, dict]) -> str:
    """Create + submit one report in-process under pyinstrument (token auth, as the API clients do), after one
    unprofiled submission so that one-off costs (imports, the broker connection) are out of the picture."""
    from pyinstrument import Profiler
    from rest_framework.test import APIClient

    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {warm[0]}")
    r = c.post("/api/v1/reports/", warm[1], format="json")
    c.post(f"/api/v1/reports/{r.json()['id']}/submit/", {"confirm_warnings": True, "warnings_explanation": "bench", "attest": True},
           format="json")
    key, body = measured
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    prof = Profiler(interval=0.0005)
    prof.start()
    r = c.post("/api/v1/reports/", body, format="json")
    c.post(f"/api/v1/reports/{r.json()['id']}/submit/", {"confirm_warnings": True, "warnings_explanation": "bench", "attest": True},
           format="json")
    prof.stop()
    path = RESULTS / f"profile-{_scale()}-submission.txt"
    path.write_text(prof.output_text(unicode=True, color=False, show_all=False))
    return str(path.relative_to(ROOT))


def prepare() -> dict:
    ministry = "bench_ministry"
    reviewer = busiest_county_reviewer()
    payload_limit = int(os.environ.get("BENCH_HTTP_SUBMISSIONS", str(int(SECONDS * 300))))
    return {"ministry": ministry, "reviewer": reviewer,
            "cookies": {u: session_cookie(u) for u in (ministry, reviewer)},
            "ministry_token": token_of(ministry), "payloads": submission_payloads(payload_limit)}


async def drive(prep: dict, cpu=lambda: 0.0, proc_cpu=lambda: 0.0) -> dict:
    import httpx

    ministry, reviewer, cookies = prep["ministry"], prep["reviewer"], prep["cookies"]
    ministry_token, payloads = prep["ministry_token"], prep["payloads"]
    limits = httpx.Limits(max_connections=CONCURRENCY * 2, max_keepalive_connections=CONCURRENCY * 2)
    results = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=60, limits=limits) as client:
        # warm every worker and every page once
        for url, h in (("/bench/baseline/", {}), ("/", {"Cookie": f"sessionid={cookies[ministry]}"})):
            for _ in range(4):
                await client.get(url, headers=h)
        async def timed(coro):
            c0, p0 = cpu(), proc_cpu()
            r = await coro
            used = cpu() - c0
            own = proc_cpu() - p0
            r["server_process_cpu_ms_per_request"] = round(own * 1000 / max(r["requests"], 1), 1)
            n = r["requests"] * (2 if r["scenario"] == "submission" else 1) + r["errors"]  # lean: one request
            r["server_cpu_ms_per_request"] = round(used * 1000 / max(r["requests"], 1), 1)
            r["server_cpu_ms_per_http_request"] = round(used * 1000 / max(n, 1), 1)
            # what 2 cores doing nothing else would sustain at that CPU cost
            r["capacity_per_s_on_2_dedicated_cores"] = round(2 / (used / r["requests"]), 1) if used and r["requests"] \
                else None
            return r

        results.append(await timed(run_get(client, "baseline", "/bench/baseline/", {}, SECONDS, CONCURRENCY)))
        half = len(payloads) // 2  # distinct (enterprise, month) payloads for each of the two write scenarios
        results.append(await timed(run_submissions(client, payloads[:half], SECONDS, CONCURRENCY)))
        results.append(await timed(run_lean_submissions(client, payloads[half:], SECONDS, CONCURRENCY)))
        pages = [
            ("review_queue", "/reports/?status=submitted", {"Cookie": f"sessionid={cookies[reviewer]}"}),
            ("national_dashboard", "/", {"Cookie": f"sessionid={cookies[ministry]}"}),
            ("quotas_api", f"/api/v1/quotas/?year={YEAR}", {"Authorization": f"Token {ministry_token}"}),
            ("quotas_page", f"/allocations/quotas/?year={YEAR}", {"Cookie": f"sessionid={cookies[ministry]}"}),
        ]
        for name, url, h in pages:
            await client.get(url, headers=h)
            results.append(await timed(run_get(client, name, url, h, SECONDS, CONCURRENCY)))
    base = results[0]
    for r in results:
        r["p50_ratio_to_baseline"] = round(r["p50_ms"] / base["p50_ms"], 1) if r["p50_ms"] and base["p50_ms"] else None
        r["throughput_ratio_to_baseline"] = round(r["req_per_s"] / base["req_per_s"], 3) if base["req_per_s"] else None
    return {"concurrency": CONCURRENCY, "seconds_per_scenario": SECONDS, "workers": 2, "reviewer": reviewer,
            "submissions_prepared": len(payloads), "scenarios": results}


def check_targets(out: dict) -> dict:
    by = {r["scenario"]: r for r in out["scenarios"]}
    t = {"submission_per_s>=100": by["submission_lean"]["req_per_s"] >= 100,
         "national_dashboard_p95<=150ms": (by["national_dashboard"]["p95_ms"] or 1e9) <= 150}
    for name in ("review_queue", "quotas_api", "quotas_page"):
        t[f"{name}_p95<=200ms"] = (by[name]["p95_ms"] or 1e9) <= 200
    return t


def main() -> dict:
    import django

    django.setup()
    prep = prepare()
    load_before = [round(x, 2) for x in os.getloadavg()]
    proc = start_gunicorn()
    try:
        out = asyncio.run(drive(prep, cpu=server_cpu_seconds, proc_cpu=ProcessCpu(proc.pid)))
        out["load_average_before"] = load_before
        out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        stop_gunicorn(proc)
    if os.environ.get("BENCH_PROFILE") == "1":
        out["profiles"] = profile_pages([("national_dashboard", "/", prep["ministry"]),
                                         ("review_queue", "/reports/?status=submitted", prep["reviewer"]),
                                         ("quotas_api", f"/api/v1/quotas/?year={YEAR}", prep["ministry"])])
        spare = submission_payloads(4)
        if len(spare) >= 2:
            out["profiles"]["submission"] = profile_submission(spare[0], spare[1])
        if len(spare) == 4:
            out["profiles"]["submission_lean"] = profile_lean_submission(spare[2], spare[3])
    try:  # the jobs queued by the submissions: nobody consumes the bench's broker database
        import redis

        redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()
    except Exception as exc:  # noqa: BLE001 - cleaning up is best effort
        print(f"  (could not empty the bench broker database: {exc})")
    out["targets_met"] = check_targets(out)
    print(f"bench/http.py: gunicorn 2 workers, {CONCURRENCY} connections, {SECONDS:g} s per scenario")
    print(f"  {'scenario':20s} {'req/s':>8s} {'p50 ms':>8s} {'p95 ms':>8s} {'p50/base':>9s} {'errors':>7s} "
          f"{'CPU ms/req':>11s} {'2-core cap/s':>13s} {'own CPU ms':>11s}")
    for r in out["scenarios"]:
        print(f"  {r['scenario']:20s} {r['req_per_s']:8.1f} {r['p50_ms'] or 0:8.1f} {r['p95_ms'] or 0:8.1f} "
              f"{r['p50_ratio_to_baseline'] or 0:9.1f} {r['errors']:7d} {r.get('server_cpu_ms_per_request') or 0:11.1f} "
              f"{r.get('capacity_per_s_on_2_dedicated_cores') or 0:13.1f} "
              f"{r.get('server_process_cpu_ms_per_request') or 0:11.1f}")
    print("  (CPU ms/req: the machine's CPU less the load driver's, per request — a submission is two requests; "
          "2-core cap/s: 2 s of CPU per second divided by it; own CPU ms: gunicorn + its PostgreSQL backends only, "
          "read per process — what a shared machine does not inflate)")
    print("  targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in out["targets_met"].items()))
    return out


if __name__ == "__main__":
    main()
