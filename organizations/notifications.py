"""Notify people: an inbox entry per user plus an e-mail copy, sent after the surrounding commit.

Every app notifies through ``notify(...)``; recipients are given as organisations (all their members)
or users. ``dedup_key`` makes a repeated job harmless: one entry per (user, key).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Authority, Enterprise, EnterpriseGroup, Membership, Notification
from .outbox import enqueue


def members_of(orgs: Iterable) -> list:
    """The active users belonging to these organisations."""
    q_auth = [o.pk for o in orgs if isinstance(o, Authority)]
    q_ent = [o.pk for o in orgs if isinstance(o, Enterprise)]
    q_grp = [o.pk for o in orgs if isinstance(o, EnterpriseGroup)]
    user_ids = Membership.objects.filter(
        Q(authority_id__in=q_auth) | Q(enterprise_id__in=q_ent) | Q(group_id__in=q_grp)
    ).values_list("user_id", flat=True)
    return list(get_user_model().objects.filter(pk__in=user_ids, is_active=True))


def notify(
    *,
    kind: str,
    subject: str,
    body: str = "",
    url: str = "",
    users: Iterable | None = None,
    orgs: Iterable | None = None,
    dedup_key: str = "",
    email: bool = True,
) -> list[Notification]:
    recipients = {u.pk: u for u in (users or [])}
    if orgs:
        recipients.update({u.pk: u for u in members_of(list(orgs))})
    if not recipients:
        return []
    existing = set()
    if dedup_key:
        existing = set(
            Notification.objects.filter(user_id__in=recipients, dedup_key=dedup_key).values_list("user_id", flat=True)
        )
    new = [
        Notification(user_id=uid, kind=kind, subject=str(subject)[:200], body=str(body), url=url, dedup_key=dedup_key)
        for uid in recipients
        if uid not in existing
    ]
    created = Notification.objects.bulk_create(new, ignore_conflicts=bool(dedup_key))
    if email:
        with_address = [uid for uid in recipients if recipients[uid].email and uid not in existing]
        if dedup_key:  # ignore_conflicts leaves the new rows without ids: find them by their key
            ids = list(Notification.objects.filter(user_id__in=with_address, dedup_key=dedup_key,
                                                   emailed_at__isnull=True).values_list("pk", flat=True))
        else:
            ids = [n.pk for n in created if n.user_id in with_address]
        if ids:
            # durable: the e-mail job is written with the notification and survives a broker outage
            enqueue("organizations.tasks.send_notification_emails", {"ids": ids})
    return created


def notification_emails_send(*, ids: list[int]) -> int:
    """Send the e-mail copy of these notifications, each at most once (rows are claimed, then marked)."""
    sent = 0
    for start in range(0, len(ids), 200):
        with transaction.atomic():
            batch = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(pk__in=ids[start:start + 200], emailed_at__isnull=True)
                .exclude(user__email="")
            )
            if not batch:
                continue
            send_mass_mail(
                [(n.subject, f"{n.body}\n\n{n.url}".strip(), settings.DEFAULT_FROM_EMAIL, [n.user.email])
                 for n in batch],
                fail_silently=False,
            )
            Notification.objects.filter(pk__in=[n.pk for n in batch]).update(emailed_at=timezone.now())
            sent += len(batch)
    return sent


def notification_list(*, user):
    return Notification.objects.filter(user=user)


def notification_mark_read(*, user, pk: int | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    return qs.update(read_at=timezone.now())
