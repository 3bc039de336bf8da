"""Queues that keep e-mail fast: scans and reconciliation on ``scans``, e-mail and reminders on ``notifications``,
the rest on ``celery`` — with two REAL workers (one per queue group, as in docker-compose.yml), an e-mail is
delivered within seconds while a national scan is still running.

The scan is made long for real: this test holds an ACCESS EXCLUSIVE lock on the quota roll-up (QuotaFigure) the scan
reads, from its own connection, so the scan's query waits inside the scans worker for as long as the test wants.
Queue names carry a per-run prefix (parallel runs on one Redis never take each other's tasks).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from allocations.models import QuotaFigure
from enforcement.models import JobRun, JobStatus
from organizations.models import Notification
from organizations.notifications import notify
from organizations.outbox import enqueue
from quota_portal.celery import app, queue_for

from .conftest import broker_or_skip, private_queues, start_worker, stop_worker, wait_for, worker_env

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_task_routes():
    assert queue_for("enforcement.tasks.scan_quota_usage") == f"{app.conf.get('queue_prefix') or ''}scans"
    assert queue_for("enforcement.tasks.reconcile_flows").endswith("scans")
    assert queue_for("enforcement.tasks.flag_late_reports").endswith("scans")
    assert queue_for("organizations.tasks.send_notification_emails").endswith("notifications")
    assert queue_for("enforcement.tasks.send_deadline_reminders").endswith("notifications")
    assert queue_for("enforcement.tasks.remind_returned_reports").endswith("notifications")
    assert queue_for("enforcement.tasks.apply_deductions").endswith("celery")
    assert queue_for("organizations.tasks.outbox_sweep").endswith("celery")
    # and Celery itself applies them (task_routes in the settings)
    route = app.amqp.router.route({}, "organizations.tasks.send_notification_emails", (), {})
    assert route["queue"].name == queue_for("organizations.tasks.send_notification_emails")


@pytest.fixture
def two_workers(tmp_path):
    broker = broker_or_skip()
    prefix = f"q-it-{uuid.uuid4().hex[:8]}-"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = worker_env(connection, broker, prefix, EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                     EMAIL_FILE_PATH=str(mail_dir))
    with private_queues(prefix, broker):
        scans, _ = start_worker(name=f"{prefix}scans", queues=[f"{prefix}scans"], env=env)
        try:
            other, _ = start_worker(name=f"{prefix}other", queues=[f"{prefix}notifications", f"{prefix}celery"],
                                    env=env)
            try:
                yield {"mail_dir": mail_dir}
            finally:
                stop_worker(other)
        finally:
            stop_worker(scans)


def _lock_usage_table():
    s = connection.settings_dict
    conn = psycopg2.connect(dbname=s["NAME"], user=s["USER"] or None, password=s["PASSWORD"] or None,
                            host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432)
    cur = conn.cursor()
    cur.execute(f'LOCK TABLE "{QuotaFigure._meta.db_table}" IN ACCESS EXCLUSIVE MODE')
    return conn


def test_an_email_is_not_delayed_by_a_running_scan(two_workers):
    user = get_user_model().objects.create_user("queue_mail", email="queue-mail@example.gov.cn", password=None)
    lock = _lock_usage_table()
    try:
        enqueue("enforcement.tasks.scan_quota_usage", {"year": 2025})
        scan = wait_for(lambda: JobRun.objects.filter(job="scan_quota_usage", status=JobStatus.RUNNING).first(),
                        message="the scans worker to start the scan")
        time.sleep(1.0)  # the scan is now blocked inside its query on the locked roll-up
        started = time.monotonic()
        [note] = notify(kind="test", subject="Queue test", body="Delivered while a scan runs.", users=[user])
        wait_for(lambda: Notification.objects.filter(pk=note.pk, emailed_at__isnull=False).exists(), timeout=10,
                 message="the e-mail to be sent by the notifications worker")
        delivered_in = time.monotonic() - started
        print(f"e-mail delivered {delivered_in:.2f} s after it was queued, while the scan was running")
        assert any("Queue test" in p.read_text(errors="replace") for p in Path(two_workers["mail_dir"]).iterdir())
        scan.refresh_from_db()
        assert scan.status == JobStatus.RUNNING  # the scan had not finished: the e-mail did not wait for it
    finally:
        lock.rollback()
        lock.close()
    wait_for(lambda: JobRun.objects.filter(pk=scan.pk, status=JobStatus.DONE).exists(), timeout=30,
             message="the scan to finish once the lock is released")
