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


def notify_many(messages: list[dict], *, email: bool = True) -> int:
    """``notify`` for many messages at once, in a constant number of queries whatever their number (scans that
    raise thousands of flags use it). Each message: ``kind``, ``subject``, ``body``, ``url``, ``orgs``,
    ``dedup_key``. Returns the number of inbox entries created."""
    if not messages:
        return 0
    auth_ids, ent_ids, grp_ids = set(), set(), set()
    for m in messages:
        for o in m.get("orgs") or ():
            (auth_ids if isinstance(o, Authority) else ent_ids if isinstance(o, Enterprise) else grp_ids).add(o.pk)
    members: dict[tuple[str, int], list[int]] = {}
    emails: dict[int, str] = {}
    for uid, a, e, g, address in Membership.objects.filter(
        Q(authority_id__in=auth_ids) | Q(enterprise_id__in=ent_ids) | Q(group_id__in=grp_ids), user__is_active=True,
    ).values_list("user_id", "authority_id", "enterprise_id", "group_id", "user__email"):
        key = ("a", a) if a else ("e", e) if e else ("g", g)
        members.setdefault(key, []).append(uid)
        emails[uid] = address
    rows = []
    for m in messages:
        uids = set()
        for o in m.get("orgs") or ():
            kind = "a" if isinstance(o, Authority) else "e" if isinstance(o, Enterprise) else "g"
            uids.update(members.get((kind, o.pk), ()))
        rows += [Notification(user_id=uid, kind=m["kind"], subject=str(m["subject"])[:200], body=str(m.get("body", "")),
                              url=m.get("url", ""), dedup_key=m.get("dedup_key", "")) for uid in sorted(uids)]
    created = Notification.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    with_address = sorted(uid for uid, address in emails.items() if address)
    if email and with_address:
        keys = sorted({m.get("dedup_key", "") for m in messages} - {""})
        ids = list(Notification.objects.filter(user_id__in=with_address, dedup_key__in=keys, emailed_at__isnull=True)
                   .values_list("pk", flat=True).order_by("pk"))
        for start in range(0, len(ids), 500):
            enqueue("organizations.tasks.send_notification_emails", {"ids": ids[start:start + 500]})
    return len(created)


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
