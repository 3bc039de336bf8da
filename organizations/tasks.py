from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from . import audit, outbox, register_services
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
@shared_task(name="organizations.tasks.send_account_email", bind=True, acks_late=True,
             autoretry_for=(OSError,), retry_backoff=30, max_retries=10, ignore_result=True)
def send_account_email(self, to: str, subject: str, body: str) -> int:
    """Invitation and password-reset e-mails (written to the outbox by organizations.accounts)."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


@shared_task(name="organizations.tasks.permit_expiry_reminders", ignore_result=True)
def permit_expiry_reminders() -> int:
    return register_services.permit_expiry_reminders()
