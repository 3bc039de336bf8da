"""What may this user see? The one place that answers it, for API and pages alike.

A ministry user sees everything; an authority user its subtree (by the authorities' materialised path);
a group user its group's enterprises; an enterprise user only its own enterprise. Objects out of scope
are simply absent from the querysets, so lookups answer 404.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import (
    AUTHORITY_ROLES,
    ENTERPRISE_ROLES,
    MINISTRY_ROLES,
    AuditEntry,
    Authority,
    Enterprise,
    Level,
    Membership,
    Role,
)

NOTHING = Q(pk__in=[])


def membership_of(user) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_membership_cache", None)
    if cached is None:
        cached = (
            Membership.objects.select_related("authority", "enterprise__county", "group")
            .filter(user_id=user.pk)
            .first()
        ) or False
        user._membership_cache = cached
    return cached if isinstance(cached, Membership) else None


def role_of(user) -> str | None:
    m = membership_of(user)
    return m.role if m else None


def is_ministry(user) -> bool:
    m = membership_of(user)
    return bool(m and m.role in MINISTRY_ROLES)


def is_authority(user) -> bool:
    m = membership_of(user)
    return bool(m and m.role in AUTHORITY_ROLES)


def is_enterprise_side(user) -> bool:
    m = membership_of(user)
    return bool(m and m.role in ENTERPRISE_ROLES)


def enterprise_q(user, field: str = "") -> Q:
    """A Q over enterprises in the user's scope; ``field`` is the path to the enterprise (e.g. "enterprise")."""
    prefix = f"{field}__" if field else ""
    m = membership_of(user)
    if m is None:
        return NOTHING
    if m.role in MINISTRY_ROLES:
        return Q()
    if m.authority_id:
        return Q(**{f"{prefix}county__path__startswith": m.authority.path})
    if m.enterprise_id:
        return Q(**{f"{prefix}pk" if not field else f"{field}_id": m.enterprise_id})
    if m.group_id:
        return Q(**{f"{prefix}group_id": m.group_id})
    return NOTHING


def enterprise_list(*, user, search: str = "") -> QuerySet[Enterprise]:
    qs = Enterprise.objects.filter(enterprise_q(user)).select_related("county", "group")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(credit_code__icontains=search.upper()))
    return qs


def enterprise_get(*, user, pk) -> Enterprise:
    """The enterprise if it is in scope; ``Enterprise.DoesNotExist`` (→ 404) otherwise."""
    return enterprise_list(user=user).get(pk=pk)


def scope_queryset(user, qs: QuerySet, *, enterprise_field: str = "enterprise") -> QuerySet:
    """Restrict any queryset whose rows belong to an enterprise to the user's scope."""
    return qs.filter(enterprise_q(user, enterprise_field))


def authority_list(*, user) -> QuerySet[Authority]:
    m = membership_of(user)
    if m is None:
        return Authority.objects.none()
    if m.role in MINISTRY_ROLES:
        return Authority.objects.all()
    if m.authority_id:
        return Authority.objects.filter(path__startswith=m.authority.path)
    if m.enterprise_id:
        # An enterprise sees the chain of authorities above it (its county, city, province), nothing else.
        codes = m.enterprise.county.path.strip("/").split("/")
        return Authority.objects.filter(code__in=codes)
    return Authority.objects.none()


def audit_entry_list(*, user) -> QuerySet[AuditEntry]:
    """Authorities read the audit trail of their subtree; the ministry reads all of it."""
    m = membership_of(user)
    if m is None or not m.authority_id:
        return AuditEntry.objects.none()
    if m.role in MINISTRY_ROLES:
        return AuditEntry.objects.all()
    return AuditEntry.objects.filter(scope_path__startswith=m.authority.path)


def ministry_authority() -> Authority | None:
    return Authority.objects.filter(level=Level.MINISTRY).first()


def provinces_of_enterprises(enterprise_ids) -> QuerySet[Authority]:
    """Provincial authorities whose region holds any of these enterprises (the "notified" rule)."""
    codes = {
        path.split("/")[1]
        for path in Enterprise.objects.filter(pk__in=enterprise_ids).values_list("county__path", flat=True)
        if path.count("/") >= 2
    }
    return Authority.objects.filter(level=Level.PROVINCE, code__in=codes)


__all__ = ["Role"]
