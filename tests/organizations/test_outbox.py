"""The transactional outbox: follow-up work is recorded with the change and published after commit."""

import pytest
from django.db import transaction

from organizations.models import OutboxMessage
from organizations.outbox import enqueue, sweep

pytestmark = pytest.mark.django_db

TASK = "organizations.tasks.outbox_sweep"


def test_message_published_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        msg = enqueue(TASK, {})
        assert OutboxMessage.objects.get(pk=msg.pk).dispatched_at is None  # not before commit
    assert OutboxMessage.objects.get(pk=msg.pk).dispatched_at is not None


def test_rolled_back_change_leaves_no_work():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(TASK, {})
        raise RuntimeError("the service failed")
    assert OutboxMessage.objects.count() == 0


def test_pending_work_with_the_same_key_coalesces():
    enqueue(TASK, {}, dedup_key="scan:2026")
    assert enqueue(TASK, {}, dedup_key="scan:2026") is None
    assert OutboxMessage.objects.filter(dedup_key="scan:2026").count() == 1


def test_refused_publication_stays_pending_for_the_sweep(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        msg = enqueue("no.such.task", {"x": 1})
    msg.refresh_from_db()
    assert msg.dispatched_at is None and "no.such.task" in msg.last_error and msg.attempts == 1
    assert sweep() == 0  # still refused: still pending, tried again
    msg.refresh_from_db()
    assert msg.dispatched_at is None and msg.attempts == 2
