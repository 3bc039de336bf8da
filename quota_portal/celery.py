"""The Celery app and its queues.

Three queue groups, so that a national scan never delays an e-mail (one worker per group in
docker-compose.yml, scaled independently):

- ``scans``: the scans and the reconciliation (long, CPU- and database-heavy);
- ``notifications``: e-mail and the reminder jobs that send messages;
- ``celery``: everything else (outbox sweep, deductions).

``CELERY_QUEUE_PREFIX`` (default empty) prefixes every queue name, so that several deployments — or parallel
test runs — can share one broker without taking each other's tasks.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quota_portal.settings")

app = Celery("quota_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

SCANS, NOTIFICATIONS, DEFAULT = "scans", "notifications", "celery"
QUEUE_GROUPS = (SCANS, NOTIFICATIONS, DEFAULT)
TASK_GROUPS = {
    "enforcement.tasks.scan_quota_usage": SCANS,
    "enforcement.tasks.reconcile_flows": SCANS,
    "enforcement.tasks.flag_late_reports": SCANS,
    "organizations.tasks.send_notification_emails": NOTIFICATIONS,
    "enforcement.tasks.send_deadline_reminders": NOTIFICATIONS,
    "enforcement.tasks.remind_returned_reports": NOTIFICATIONS,
}


def queue_name(group: str) -> str:
    return f"{app.conf.get('queue_prefix') or ''}{group}"


def queue_for(task_name: str) -> str:
    """The queue a task is published to (its group's, prefixed)."""
    return queue_name(TASK_GROUPS.get(task_name, DEFAULT))


def route_task(name, args, kwargs, options, task=None, **kw) -> dict:
    """``task_routes`` entry (settings.CELERY_TASK_ROUTES)."""
    return {"queue": queue_for(name)}
