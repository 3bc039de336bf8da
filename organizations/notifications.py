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

from .models import Authority, Enterprise, EnterpriseGroup, Membership, Notification


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
        messages = [
            (str(subject), f"{body}\n\n{url}".strip(), settings.DEFAULT_FROM_EMAIL, [recipients[n.user_id].email])
            for n in new
            if recipients[n.user_id].email
        ]
        if messages:
            transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    return created


def notification_list(*, user):
    return Notification.objects.filter(user=user)


def notification_mark_read(*, user, pk: int | None = None) -> int:
    from django.utils import timezone

    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    return qs.update(read_at=timezone.now())
