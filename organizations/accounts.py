"""Onboarding and accounts: invitations (single use, expiring, e-mailed through the outbox), staff managed by
their own organisation's manager, password reset by e-mail, deactivation that ends sessions and API tokens at
once. Every change is audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from quota_portal.errors import DomainValidationError, NotFound, NotPermitted

from .audit import audit_record
from .models import (
    AUTHORITY_ROLES,
    ENTERPRISE_ROLES,
    Authority,
    Enterprise,
    EnterpriseGroup,
    Invitation,
    Level,
    Membership,
    Role,
)
from .outbox import enqueue
from .selectors import is_ministry, membership_of

UserModel = get_user_model()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def can_manage(actor: User, org: Authority | Enterprise | EnterpriseGroup) -> bool:
    """The ministry manages every organisation's first people; a manager only its own organisation."""
    if is_ministry(actor):
        return True
    m = membership_of(actor)
    if m is None or m.organisation != org:
        return False
    return m.role == Role.ENTERPRISE_MANAGER or (m.authority_id is not None and m.manages_staff)


def roles_for(org: Authority | Enterprise | EnterpriseGroup) -> list[str]:
    if isinstance(org, Authority):
        if org.level == Level.MINISTRY:
            return [Role.MINISTRY_OFFICIAL, Role.MINISTRY_APPROVER]
        return [Role.AUTHORITY_REVIEWER, Role.AUTHORITY_VIEWER] if org.level == Level.COUNTY else [Role.AUTHORITY_VIEWER]
    return [Role.ENTERPRISE_FILER, Role.ENTERPRISE_MANAGER]


def _send_mail(*, to: str, subject: str, body: str) -> None:
    enqueue("organizations.tasks.send_account_email", {"to": to, "subject": subject, "body": body})


@transaction.atomic
def invitation_create(
    *,
    actor: User,
    organisation: Authority | Enterprise | EnterpriseGroup,
    email: str,
    role: str,
    full_name: str = "",
    manages_staff: bool = False,
    base_url: str = "",
) -> tuple[Invitation, str]:
    """Invite a person into ``organisation`` with ``role``. Returns the invitation and its one-time token (the
    e-mail carrying the link is written to the outbox in this transaction)."""
    if not can_manage(actor, organisation):
        raise NotFound(_("Not found."))  # another organisation: not even its existence is confirmed
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email or "")
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    if role not in roles_for(organisation):
        errors["role"] = [_("This role does not exist in this organisation.")]
    if manages_staff and not isinstance(organisation, Authority):
        manages_staff = False  # on the enterprise side the manager role manages staff
    if manages_staff and not is_ministry(actor):
        errors["manages_staff"] = [_("Only the ministry appoints an authority's staff manager.")]
    if errors:
        raise DomainValidationError(errors=errors)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    kwargs = {"authority": organisation} if isinstance(organisation, Authority) else (
        {"enterprise": organisation} if isinstance(organisation, Enterprise) else {"group": organisation})
    inv = Invitation.objects.create(
        email=email.strip(), full_name=full_name.strip(), role=role, manages_staff=manages_staff,
        token_hash=_hash(token), created_by=actor, created_at=now,
        expires_at=now + dt.timedelta(hours=settings.INVITATION_TTL_HOURS), **kwargs)
    audit_record(actor=actor, action="invitation.create", obj=inv, org=organisation,
                 after={"email": inv.email, "role": role, "manages_staff": manages_staff,
                        "expires_at": inv.expires_at})
    link = f"{base_url}{reverse('invitation-accept', args=[token])}"
    _send_mail(to=inv.email, subject=_("Your invitation to the Rare Earth Quota Portal"),
               body=_("You are invited to join %(org)s as %(role)s. Open this link to set your password (valid until "
                      "%(until)s, once):\n\n%(link)s") % {"org": organisation, "role": inv.get_role_display(),
                                                          "until": timezone.localtime(inv.expires_at)
                                                          .strftime("%Y-%m-%d %H:%M"), "link": link})
    return inv, token


def invitation_by_token(token: str) -> Invitation:
    """The open invitation for this token, or a 400 saying why it cannot be used."""
    inv = Invitation.objects.select_related("authority", "enterprise", "group").filter(
        token_hash=_hash(token or "")).first()
    if inv is None:
        raise DomainValidationError(errors={"token": [_("This invitation link is not valid.")]})
    if inv.accepted_at is not None:
        raise DomainValidationError(errors={"token": [_("This invitation has already been used.")]})
    if inv.expires_at <= timezone.now():
        raise DomainValidationError(errors={"token": [_("This invitation has expired; ask for a new one.")]})
    return inv


@transaction.atomic
def invitation_accept(*, token: str, username: str, password: str) -> User:
    """Create the invited person's account (password under the validators) and membership; the link dies."""
    inv = invitation_by_token(token)
    inv = Invitation.objects.select_for_update().get(pk=inv.pk)
    if inv.accepted_at is not None:
        raise DomainValidationError(errors={"token": [_("This invitation has already been used.")]})
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = [_("Choose a user name.")]
    elif UserModel.objects.filter(username=username).exists():
        errors["username"] = [_("This user name is taken.")]
    candidate = UserModel(username=username, email=inv.email)
    try:
        password_validation.validate_password(password or "", candidate)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise DomainValidationError(errors=errors)
    user = UserModel.objects.create_user(username=username, email=inv.email, password=password, first_name=inv.full_name)
    m = Membership(user=user, role=inv.role, authority=inv.authority, enterprise=inv.enterprise, group=inv.group,
                   manages_staff=inv.manages_staff)
    m.full_clean()
    m.save()
    inv.accepted_at, inv.accepted_user = timezone.now(), user
    inv.save(update_fields=["accepted_at", "accepted_user"])
    audit_record(actor=user, action="invitation.accept", obj=inv, org=inv.organisation,
                 after={"user": user.pk, "username": username, "role": inv.role})
    return user


def staff_list(*, actor: User, organisation: Authority | Enterprise | EnterpriseGroup):
    if not can_manage(actor, organisation):
        raise NotFound(_("Not found."))
    field = "authority" if isinstance(organisation, Authority) else (
        "enterprise" if isinstance(organisation, Enterprise) else "group")
    return Membership.objects.filter(**{field: organisation}).select_related("user").order_by("user__username")


def _managed_membership(actor: User, user: User) -> Membership:
    m = Membership.objects.select_related("authority", "enterprise", "group", "user").filter(user=user).first()
    if m is None or not can_manage(actor, m.organisation):
        raise NotFound(_("Not found."))
    return m


@transaction.atomic
def staff_change_role(*, actor: User, user: User, role: str) -> Membership:
    m = _managed_membership(actor, user)
    if role not in roles_for(m.organisation) or (m.authority_id is None and role not in ENTERPRISE_ROLES) or (
            m.authority_id and m.authority.level != Level.MINISTRY and role not in AUTHORITY_ROLES):
        raise DomainValidationError(errors={"role": [_("This role does not exist in this organisation.")]})
    if m.user_id == actor.pk:
        raise NotPermitted(_("You cannot change your own role."))
    before = {"role": m.role}
    m.role = role
    m.full_clean()
    m.save(update_fields=["role"])
    audit_record(actor=actor, action="membership.role", obj=m, org=m.organisation, before=before, after={"role": role})
    return m


def _end_sessions(user_id: int) -> int:
    """Delete the user's live sessions (the session store has no index by user: decode the live ones)."""
    ended = []
    for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500):
        if str(s.get_decoded().get("_auth_user_id")) == str(user_id):
            ended.append(s.pk)
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


@transaction.atomic
def staff_deactivate(*, actor: User, user: User) -> User:
    """Deactivate a member: the account can no longer log in, and its sessions and API token stop working now."""
    m = _managed_membership(actor, user)
    if m.user_id == actor.pk:
        raise NotPermitted(_("You cannot deactivate yourself."))
    target = UserModel.objects.select_for_update().get(pk=m.user_id)
    target.is_active = False
    target.save(update_fields=["is_active"])
    tokens = Token.objects.filter(user=target).delete()[0]
    sessions = _end_sessions(target.pk)
    audit_record(actor=actor, action="user.deactivate", obj=target, org=m.organisation,
                 before={"is_active": True}, after={"is_active": False, "tokens": tokens, "sessions": sessions})
    return target


@transaction.atomic
def password_reset_request(*, email: str, base_url: str = "") -> int:
    """E-mail a reset link to the active accounts with this address (through the outbox). Says nothing about
    whether the address exists: the caller shows the same page either way."""
    sent = 0
    for user in UserModel.objects.filter(email__iexact=(email or "").strip(), is_active=True):
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        link = f"{base_url}{reverse('password-reset-confirm', args=[uid, default_token_generator.make_token(user)])}"
        _send_mail(to=user.email, subject=_("Reset your password for the Rare Earth Quota Portal"),
                   body=_("Open this link to choose a new password for %(user)s:\n\n%(link)s")
                   % {"user": user.get_username(), "link": link})
        audit_record(actor=None, action="password.reset_requested", obj=user, after={"user": user.pk})
        sent += 1
    return sent
