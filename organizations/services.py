"""Writes on organisations. Keyword-only, one transaction each, audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from .audit import audit_record
from .models import Authority, Enterprise, EnterpriseGroup, Licence, LicenceStatus, Membership
from .validators import normalize_credit_code


def _snapshot(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


@transaction.atomic
def authority_upsert(*, actor: User | None = None, code: str, name: str, level: str, parent: Authority | None, name_en: str = "") -> Authority:
    """Create or update an authority by its division code (used by seeding and support staff)."""
    auth = Authority.objects.filter(code=code).first()
    before = _snapshot(auth, ["name", "level", "parent_id"]) if auth else None
    if auth is None:
        auth = Authority(code=code)
    auth.name, auth.level, auth.parent, auth.name_en = name, level, parent, name_en
    if before != _snapshot(auth, ["name", "level", "parent_id"]) or auth.pk is None:
        auth.save()  # full_clean enforces the level order
        audit_record(actor=actor, action="authority.upsert", obj=auth, org=auth, before=before,
                     after=_snapshot(auth, ["name", "level", "parent_id"]))
    return auth


@transaction.atomic
def group_upsert(*, actor: User | None = None, credit_code: str, name: str, short_name: str = "", name_en: str = "") -> EnterpriseGroup:
    code = normalize_credit_code(credit_code)
    group, created = EnterpriseGroup.objects.get_or_create(
        credit_code=code, defaults={"name": name, "short_name": short_name, "name_en": name_en}
    )
    if created:
        group.full_clean()
        audit_record(actor=actor, action="group.create", obj=group, org=group, after={"name": name})
    return group


@transaction.atomic
def enterprise_upsert(
    *,
    actor=None,
    credit_code: str,
    name: str,
    county: Authority,
    group: EnterpriseGroup | None = None,
    smelting_capacity_t: Decimal | None = None,
    name_en: str = "",
) -> Enterprise:
    code = normalize_credit_code(credit_code)
    ent = Enterprise.objects.filter(credit_code=code).first()
    fields = ["name", "county_id", "group_id", "smelting_capacity_t"]
    before = _snapshot(ent, fields) if ent else None
    if ent is None:
        ent = Enterprise(credit_code=code)
    ent.name, ent.county, ent.group, ent.smelting_capacity_t, ent.name_en = name, county, group, smelting_capacity_t, name_en
    after = _snapshot(ent, fields)
    if before != after:
        ent.full_clean()
        ent.save()
        audit_record(actor=actor, action="enterprise.upsert", obj=ent, org=ent, before=before, after=after)
    return ent


@transaction.atomic
def licence_upsert(
    *,
    actor=None,
    enterprise: Enterprise,
    activity: str,
    number: str,
    valid_from: dt.date,
    valid_to: dt.date,
    status: str = LicenceStatus.DESIGNATED,
) -> Licence:
    lic = Licence.objects.filter(number=number).first()
    fields = ["enterprise_id", "activity", "valid_from", "valid_to", "status"]
    before = _snapshot(lic, fields) if lic else None
    if lic is None:
        lic = Licence(number=number)
    lic.enterprise, lic.activity, lic.valid_from, lic.valid_to, lic.status = enterprise, activity, valid_from, valid_to, status
    after = _snapshot(lic, fields)
    if before != after:
        lic.full_clean()
        lic.save()
        audit_record(actor=actor, action="licence.upsert", obj=lic, org=enterprise, before=before, after=after)
    return lic


@transaction.atomic
def enterprise_set_stop_rectify(*, actor: User | None = None, enterprise: Enterprise, ordered: bool, reason: str = "") -> Enterprise:
    """Record or lift a stop-and-rectify order (used by enforcement; makes the enterprise ineligible)."""
    ent = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if ent.stop_rectify_ordered != ordered:
        before = {"stop_rectify_ordered": ent.stop_rectify_ordered}
        ent.stop_rectify_ordered = ordered
        ent.save(update_fields=["stop_rectify_ordered"])
        audit_record(actor=actor, action="enterprise.stop_rectify", obj=ent, org=ent, before=before,
                     after={"stop_rectify_ordered": ordered, "reason": reason})
    return ent


@transaction.atomic
def user_with_membership_upsert(
    *,
    actor=None,
    username: str,
    password: str | None,
    role: str,
    authority: Authority | None = None,
    enterprise: Enterprise | None = None,
    group: EnterpriseGroup | None = None,
    full_name: str = "",
    email: str = "",
):
    """Create a user with their one membership, or bring an existing one in line (idempotent)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": email, "first_name": full_name})
    if created and password:
        user.set_password(password)
        user.save(update_fields=["password"])
    m = Membership.objects.filter(user=user).first() or Membership(user=user)
    before = {"role": m.role, "authority": m.authority_id, "enterprise": m.enterprise_id, "group": m.group_id} if m.pk else None
    m.role, m.authority, m.enterprise, m.group = role, authority, enterprise, group
    after = {"role": role, "authority": m.authority_id, "enterprise": m.enterprise_id, "group": m.group_id}
    if before != after:
        m.full_clean()
        m.save()
        audit_record(actor=actor, action="membership.set", obj=m, org=authority or enterprise or group,
                     before=before, after=after)
    return user
