"""Durable dispatch with the broker really down (issue 7): reports are filed while Redis is stopped, nothing is
lost, and once Redis is back every follow-up job (here: the reviewer's e-mail for each submission) runs once.

The test runs its own Redis server on a free port, so stopping it does not disturb anything else on the machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from organizations.models import Notification, OutboxMessage
from organizations.outbox import sweep
from quota_portal.celery import QUEUE_GROUPS, app, queue_name
from reporting.models import MonthlyReport
from reporting.services import report_file_nil

from .conftest import BASE, _database_url, wait_for

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.integration]

REDIS = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(self.up, timeout=10, message="redis to start")

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        assert not self.up()

    def up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def redis_server():
    if REDIS is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis()
    server.start()
    yield server
    if server.proc and server.proc.poll() is None:
        server.stop()


def _use_broker(url: str) -> None:
    # a fresh connection pool for the new URL (kombu keeps pools per URL; the old one stays usable)
    app.conf.broker_url = app.conf.broker_write_url = app.conf.broker_read_url = url
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None


def _start_worker(broker: str, mail_dir: str, log_path: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict), "CELERY_BROKER_URL": broker,
           "CELERY_TASK_ALWAYS_EAGER": "0", "CELERY_RESULT_BACKEND": "cache+memory://", "DB_CONN_MAX_AGE": "0",
           "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": mail_dir}
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "quota_portal", "worker", "--pool=solo", "--without-heartbeat",
         "-Q", ",".join(queue_name(g) for g in QUEUE_GROUPS),  # every queue group: this one worker does all
         "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=BASE, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
    )
    wait_for(lambda: " ready." in Path(log_path).read_text(errors="replace") or proc.poll() is not None,
             timeout=60, message="the worker to start")
    assert proc.poll() is None, Path(log_path).read_text()[-3000:]
    return proc


def _sent_subjects(mail_dir: str) -> list[str]:
    return [line for f in Path(mail_dir).glob("*.log") for line in f.read_text().splitlines()
            if line.startswith("Subject:")]


def test_hundred_submissions_while_redis_is_down_lose_nothing(demo_orgs, user, redis_server):
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    reviewer = user("jiuyuan_reviewer")
    reviewer.email = "reviewer@jiuyuan.example.cn"
    reviewer.save()
    enterprises = [demo_orgs["enterprises"]["huamei"], demo_orgs["enterprises"]["hefa"]]
    filers = {enterprises[0].pk: user("huamei_filer"), enterprises[1].pk: user("hefa_filer")}
    periods = [(y, m) for y in range(2021, 2026) for m in range(1, 13)][:50]
    mail_dir = tempfile.mkdtemp(prefix="quota-mail-")
    log = tempfile.NamedTemporaryFile(prefix="worker-", suffix=".log", delete=False).name
    worker = None
    try:
        _use_broker(redis_server.url)
        redis_server.stop()  # the broker is really down

        started = time.monotonic()
        for ent in enterprises:
            for y, m in periods:
                report_file_nil(attest=True, actor=filers[ent.pk], enterprise=ent, year=y, month=m)
        elapsed = time.monotonic() - started
        assert MonthlyReport.objects.filter(status="submitted").count() == 100
        assert elapsed < 60, f"submissions stalled on the dead broker ({elapsed:.1f}s)"
        jobs = OutboxMessage.objects.filter(task_name="organizations.tasks.send_notification_emails")
        assert jobs.count() == 100 and not jobs.filter(dispatched_at__isnull=False).exists()
        assert jobs.exclude(last_error="").exists()  # tried once, refused; the rest wait behind the breaker

        redis_server.start()
        worker = _start_worker(redis_server.url, mail_dir, log)
        pending = OutboxMessage.objects.filter(dispatched_at__isnull=True).count()  # 100 e-mails + late-flag scan
        assert pending >= 100
        assert sweep() == pending
        assert sweep() == 0  # nothing left to publish; nothing published twice

        to_email = Notification.objects.filter(user=reviewer, kind="report_submitted")
        unsent = Notification.objects.filter(emailed_at__isnull=True).exclude(user__email="")
        wait_for(lambda: not unsent.exists() and not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists(),
                 timeout=90, message="every e-mail to be sent")
        assert to_email.count() == 100 and not to_email.filter(emailed_at__isnull=True).exists()
        time.sleep(1)  # let a duplicate, if there were one, reach the mailbox
        # every e-mailed notification (the 100 submissions, plus the late-report flags raised meanwhile)
        # reached the mailbox exactly once
        emailed = Notification.objects.filter(emailed_at__isnull=False).count()
        assert emailed >= 100
        assert len(_sent_subjects(mail_dir)) == emailed
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=15)
        _use_broker(saved[0])
        app.conf.task_always_eager = saved[1]
        shutil.rmtree(mail_dir, ignore_errors=True)
