"""A REAL Celery worker (not eager mode) for integration tests, one per test module.

The worker is a subprocess (`celery -A quota_portal worker --pool=solo`) pointed at pytest-django's test
database (test_<name>) and at whatever broker the environment gives (CELERY_BROKER_URL; CI uses
redis://127.0.0.1:6379/0). It consumes a private queue so that parallel runs sharing a Redis database never
steal each other's tasks. Tests using it must be ``django_db(transaction=True)`` so the worker sees
committed data.
"""

from __future__ import annotations

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
from quota_portal.celery import app

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


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker):
    if connection.vendor != "postgresql":
        pytest.skip("the worker integration tests need PostgreSQL")
    broker = _broker_url()
    if not _redis_reachable(broker):
        pytest.skip(f"no broker at {broker}")
    queue = f"enf-it-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_RESULT_BACKEND": "cache+memory://",
        "DB_CONN_MAX_AGE": "0",
        "AXES_ENABLED": "0",
        "PYTHONUNBUFFERED": "1",
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "quota_portal", "worker", "--pool=solo", "-Q", queue,
         "-n", f"{queue}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=BASE, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    saved = {k: app.conf.get(k) for k in ("task_always_eager", "task_default_queue", "broker_url")}
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    if app.conf.broker_url != broker:
        app.conf.broker_url = broker
        app.pool.force_close_all()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = Path(log.name).read_text(errors="replace")
            if " ready." in text:
                break
            if proc.poll() is not None:
                pytest.fail(f"the Celery worker exited:\n{text[-4000:]}")
            time.sleep(0.2)
        else:
            pytest.fail("the Celery worker did not start within 60 s:\n" + Path(log.name).read_text()[-4000:])
        yield {"queue": queue, "log": log.name, "proc": proc}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        for k, v in saved.items():
            app.conf[k] = v
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
        except Exception:
            pass


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
