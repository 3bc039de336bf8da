"""Audit chain contention: one global chain lock (before) vs one chain per organisation (now).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quota_bench_audit .venv/bin/python bench/audit_chain.py

Each worker thread runs transactions that write one audit entry and then hold the transaction open for
BENCH_TX_MS milliseconds of server-side work (``pg_sleep``: the rest of a submission — lines, triggers, outbox —
during which the chain lock is held until commit), each worker for its own organisation. "global" takes the old
single advisory lock first; "per-chain" is ``audit_record`` as it is now. Prints transactions per second.
The database name must contain "bench"; it is migrated, not recreated, and its audit table is left as is.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quota_portal.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

from organizations.audit import audit_check, audit_record  # noqa: E402
from organizations.models import Authority  # noqa: E402

TX_MS = float(os.environ.get("BENCH_TX_MS", "5"))
PER_WORKER = int(os.environ.get("BENCH_TX_PER_WORKER", "100"))
OLD_GLOBAL_LOCK_KEY = 7_316_001


def run(mode: str, workers: int) -> float:
    def work(i: int) -> None:
        org = Authority(path=f"bench{i}/", name=f"bench {i}")
        try:
            for _ in range(PER_WORKER):
                with transaction.atomic():
                    with connection.cursor() as cur:
                        if mode == "global":
                            cur.execute("SELECT pg_advisory_xact_lock(%s)", [OLD_GLOBAL_LOCK_KEY])
                    audit_record(actor=None, action="bench.write", obj=org, org=org)
                    with connection.cursor() as cur:
                        cur.execute("SELECT pg_sleep(%s)", [TX_MS / 1000])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return workers * PER_WORKER / (time.perf_counter() - started)


def main() -> None:
    if "bench" not in connection.settings_dict["NAME"]:
        sys.exit("DATABASE_URL must name a database containing 'bench'.")
    call_command("migrate", verbosity=0)
    print(f"audit chain contention: {PER_WORKER} transactions per worker, {TX_MS:g} ms held after the audit write")
    print(f"{'workers':>8} {'global lock tx/s':>18} {'per-chain tx/s':>16} {'ratio':>6}")
    for workers in (1, 4, 8, 16):
        g = run("global", workers)
        p = run("per-chain", workers)
        print(f"{workers:>8} {g:>18.0f} {p:>16.0f} {p / g:>6.1f}")
    check = audit_check()
    print(f"verify: {check.entries} entries in {check.chains} chains, ok={not any('broken' in x for x in check.problems)}")


if __name__ == "__main__":
    main()
