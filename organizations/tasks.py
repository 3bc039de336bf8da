from celery import shared_task

from . import outbox


@shared_task(name="organizations.tasks.outbox_sweep", ignore_result=True)
def outbox_sweep() -> int:
    return outbox.sweep(older_than_seconds=10)
