import pytest
from django.core import mail

from organizations.models import Notification
from organizations.notifications import notification_emails_send, notify

pytestmark = pytest.mark.django_db


def test_notify_writes_inbox_and_emails_once_after_commit(demo_orgs, user, django_capture_on_commit_callbacks):
    filer = user("huamei_filer")
    filer.email = "filer@huamei.example.cn"
    filer.save()
    ent = demo_orgs["enterprises"]["huamei"]
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="test", subject="Indicator issued", body="2026 batch 1", orgs=[ent], dedup_key="t:1")
        assert len(mail.outbox) == 0  # nothing leaves before the commit
    inbox = Notification.objects.filter(user=filer, kind="test")
    assert inbox.count() == 1 and inbox.get().emailed_at is not None
    assert [m.to for m in mail.outbox] == [["filer@huamei.example.cn"]]
    # the same event again (a job run twice) neither adds an inbox entry nor sends again
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="test", subject="Indicator issued", orgs=[ent], dedup_key="t:1")
    assert inbox.count() == 1 and len(mail.outbox) == 1
    assert notification_emails_send(ids=[inbox.get().pk]) == 0
    # the manager (no e-mail address) still has the inbox entry
    assert Notification.objects.filter(user=user("huamei_manager"), kind="test").count() == 1
