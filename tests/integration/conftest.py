"""A REAL Celery worker (not eager mode) for integration tests, one per test module.

The worker is a subprocess (`celery -A quota_portal worker --pool=solo`) pointed at pytest-django's test
database (test_<name>) and at whatever broker the environment gives (CELERY_BROKER_URL; CI uses
redis://127.0.0.1:6379/0). It consumes private queues (a per-run prefix on the three queue groups of
quota_portal/celery.py) so that parallel runs sharing a Redis database never
steal each other's tasks. Tests using it must be ``django_db(transaction=True)`` so the worker sees
committed data.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from enforcement.models import JobRun
from enforcement.tasks import apply_deductions
from quota_portal.celery import QUEUE_GROUPS, app

BASE = Path(__file__).resolve().parents[2]


def _database_url(settings_dict) -> str:
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def _broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url or url.startswith("memory"):
        url = "redis://127.0.0.1:6379/0"
    return url


def _redis_reachable(url: str) -> bool:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        return True
    except Exception:
        return False


def worker_env(connection, broker: str, prefix: str, **extra) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_RESULT_BACKEND": "cache+memory://",
        "CELERY_QUEUE_PREFIX": prefix,
        "DB_CONN_MAX_AGE": "0",
        "AXES_ENABLED": "0",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start_worker(*, name: str, queues: list[str], env: dict) -> tuple[subprocess.Popen, str]:
    """Start ``celery worker --pool=solo`` on ``queues``; wait until it is ready. Returns (process, log path)."""
    log = tempfile.NamedTemporaryFile(prefix=f"celery-{name}-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "quota_portal", "worker", "--pool=solo", "-Q", ",".join(queues),
         "-n", f"{name}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=BASE, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = Path(log.name).read_text(errors="replace")
        if " ready." in text:
            return proc, log.name
        if proc.poll() is not None:
            pytest.fail(f"the Celery worker exited:\n{text[-4000:]}")
        time.sleep(0.2)
    stop_worker(proc)
    pytest.fail("the Celery worker did not start within 60 s:\n" + Path(log.name).read_text()[-4000:])


def stop_worker(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextlib.contextmanager
def private_queues(prefix: str, broker: str):
    """Route this process's tasks to queues named ``<prefix><group>`` (parallel runs never share a queue);
    restore the app's configuration and delete the queues afterwards."""

    saved = {k: app.conf.get(k) for k in ("task_always_eager", "task_default_queue", "broker_url", "queue_prefix")}
    app.conf.task_always_eager = False
    app.conf.queue_prefix = prefix
    app.conf.task_default_queue = f"{prefix}celery"
    if app.conf.broker_url != broker:
        app.conf.broker_url = broker
        app.pool.force_close_all()
    try:
        yield [f"{prefix}{g}" for g in QUEUE_GROUPS]
    finally:
        for k, v in saved.items():
            app.conf[k] = v
        try:
            with app.connection_for_write() as conn:
                for g in QUEUE_GROUPS:
                    conn.default_channel.queue_delete(f"{prefix}{g}")
        except Exception:
            pass


def broker_or_skip() -> str:
    if connection.vendor != "postgresql":
        pytest.skip("the worker integration tests need PostgreSQL")
    broker = _broker_url()
    if not _redis_reachable(broker):
        pytest.skip(f"no broker at {broker}")
    return broker


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker):
    """One worker consuming this run's three private queues (celery, scans, notifications)."""
    broker = broker_or_skip()
    prefix = f"enf-it-{uuid.uuid4().hex[:8]}-"
    with private_queues(prefix, broker) as queues:
        proc, log = start_worker(name=f"{prefix}all", queues=queues, env=worker_env(connection, broker, prefix))
        try:
            yield {"queue": f"{prefix}celery", "queues": queues, "log": log, "proc": proc}
        finally:
            stop_worker(proc)


def wait_for(predicate, *, timeout=30.0, interval=0.2, message="condition"):
    """Poll until ``predicate()`` is truthy (the worker works in its own process and transaction)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def drain_worker(timeout=30.0) -> None:
    """Wait until the worker has run everything queued so far: it works FIFO with one slot, so once a sentinel
    sent now has finished, every earlier task has too. The sentinel is a no-op deduction run for year 1900."""
    before = JobRun.objects.filter(job="apply_deductions", params__year=1900).count()
    apply_deductions.delay(year=1900)
    wait_for(lambda: JobRun.objects.filter(job="apply_deductions", params__year=1900, status="done").count() > before,
             timeout=timeout, message="the worker to drain its queue")


@pytest.fixture(autouse=True)
def _drain_after_test(request):
    """Nothing a test queued may run after its data were flushed (it would leak rows into later tests)."""
    yield
    if "celery_worker" in request.fixturenames:
        drain_worker()
