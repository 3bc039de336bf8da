"""Transactional outbox: follow-up jobs survive a broker outage.

``enqueue("enforcement.tasks.scan_quota_usage", {"year": 2025})`` inside a service writes an
OutboxMessage in the caller's transaction and, after commit, publishes it to Celery. If the broker is
down the message stays pending and ``outbox_sweep`` (a periodic task) publishes it later. Tasks must be
idempotent: a message can be published twice if a crash falls between publishing and marking it.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from quota_portal.celery import app

from .models import OutboxMessage

log = logging.getLogger(__name__)

# Circuit breaker: after the broker refused a publish, requests stop trying it for a while (their messages
# stay pending for the sweep) so that an outage costs one slow publish, not one per request.
BROKER_RETRY_AFTER_SECONDS = 10.0
_broker_down_until = 0.0


def enqueue(task_name: str, kwargs: dict | None = None, *, dedup_key: str = "") -> OutboxMessage | None:
    """Record a task to run after the current transaction commits (or now, outside a transaction)."""
    try:
        with transaction.atomic():
            msg = OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs or {}, dedup_key=dedup_key)
    except IntegrityError:
        # the same work is already pending: it will see this transaction's data when it runs
        return None
    transaction.on_commit(lambda: dispatch([msg.pk]))
    return msg


def _publish(msg: OutboxMessage) -> None:
    if msg.task_name not in app.tasks:
        app.loader.import_default_modules()  # autodiscovery of the apps' tasks modules is lazy
    task = app.tasks[msg.task_name]
    task.apply_async(kwargs=msg.kwargs, task_id=f"outbox-{msg.pk}-{msg.attempts}")


def dispatch(ids, *, force: bool = False) -> int:
    """Publish pending messages; returns how many were published. Broker errors leave them pending."""
    global _broker_down_until
    if not force and time.monotonic() < _broker_down_until:
        return 0
    sent = 0
    for msg in OutboxMessage.objects.filter(pk__in=list(ids), dispatched_at__isnull=True).order_by("pk"):
        claimed = OutboxMessage.objects.filter(pk=msg.pk, dispatched_at__isnull=True).update(
            dispatched_at=timezone.now(), attempts=msg.attempts + 1
        )
        if not claimed:
            continue  # another dispatcher took it
        try:
            _publish(msg)
            sent += 1
            _broker_down_until = 0.0
        except Exception as exc:  # broker down or refused: hand it back to the sweep
            log.warning("outbox: could not publish #%s %s: %s", msg.pk, msg.task_name, exc)
            OutboxMessage.objects.filter(pk=msg.pk).update(dispatched_at=None, last_error=str(exc)[:2000])
            if isinstance(exc, (KombuOperationalError, OSError, ConnectionError)):
                _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
                break
    return sent


def sweep(*, older_than_seconds: int = 0, limit: int = 1000) -> int:
    """Publish what is still pending (called periodically by ``organizations.tasks.outbox_sweep``)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        OutboxMessage.objects.filter(dispatched_at__isnull=True, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return dispatch(ids, force=True)
