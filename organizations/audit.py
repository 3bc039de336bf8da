"""Audit trail: every state change made by a service writes one append-only, hash-chained entry."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from quota_portal.middleware import current_request_id

from .models import AuditEntry, Authority, Enterprise, EnterpriseGroup

# Any constant: the key of the PostgreSQL advisory lock that serialises the hash chain.
_CHAIN_LOCK_KEY = 7_316_001


def _plain(value: Any) -> Any:
    """JSON-safe copy (Decimals and dates as strings) so that what is hashed is exactly what is stored."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def scope_path_of(org: Any) -> str:
    """The scope path of the organisation an entry concerns (see selectors.audit_entry_list)."""
    if isinstance(org, Enterprise):
        return f"{org.county.path}e{org.pk}/"
    if isinstance(org, Authority):
        return org.path
    if isinstance(org, EnterpriseGroup):
        return f"g{org.pk}/"
    return ""


def audit_record(
    *,
    actor,
    action: str,
    obj: Any,
    org: Any = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Append an audit entry in the caller's transaction (call it inside the service's atomic block)."""
    membership = getattr(actor, "membership", None) if actor is not None and actor.is_authenticated else None
    actor_org = membership.organisation if membership else None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or ""
        entry = AuditEntry(
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_username=actor.get_username() if actor is not None and actor.is_authenticated else "system",
            organisation=str(actor_org) if actor_org else "",
            action=action,
            object_type=obj._meta.label if hasattr(obj, "_meta") else type(obj).__name__,
            object_id=str(getattr(obj, "pk", "") or ""),
            before=_plain(before),
            after=_plain(after),
            request_id=current_request_id(),
            scope_path=scope_path_of(org if org is not None else actor_org),
            prev_hash=last,
        )
        entry.hash = entry.content_digest()
        entry.save()
    return entry


def audit_verify() -> tuple[int, AuditEntry | None]:
    """Walk the chain in id order; return (entries checked, first broken entry or None)."""
    prev = ""
    n = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        n += 1
        if entry.prev_hash != prev or entry.content_digest() != entry.hash:
            return n, entry
        prev = entry.hash
    return n, None
