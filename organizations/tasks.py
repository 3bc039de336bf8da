from celery import shared_task

from . import audit, outbox
from .notifications import notification_emails_send


@shared_task(name="organizations.tasks.outbox_sweep", ignore_result=True)
def outbox_sweep() -> int:
    return outbox.sweep(older_than_seconds=10)


@shared_task(name="organizations.tasks.send_notification_emails", bind=True, acks_late=True,
             autoretry_for=(OSError,), retry_backoff=30, max_retries=10, ignore_result=True)
def send_notification_emails(self, ids: list[int]) -> int:
    return notification_emails_send(ids=ids)


@shared_task(name="organizations.tasks.audit_seal", ignore_result=True)
def audit_seal() -> int:
    return audit.audit_seal().number
