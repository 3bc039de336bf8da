"""Flags resolved by hand and the case workflow (open, order a correction, record it, close)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.audit import audit_record
from organizations.models import Enterprise
from organizations.notifications import notify
from organizations.permissions import require
from organizations.selectors import enterprise_q
from quota_portal.errors import DomainValidationError, InvalidTransition, NotFound, NotPermitted
from quota_portal.transactions import service

from ..models import Case, CaseEvent, CaseOrigin, CaseStatus, Flag, FlagStatus

# --- flags ---------------------------------------------------------------------------------------------


def _in_scope(actor, enterprise_id: int) -> bool:
    return Enterprise.objects.filter(enterprise_q(actor), pk=enterprise_id).exists()


@service
def flag_resolve(*, actor: User, flag: Flag, comment: str) -> Flag:
    require(actor, "enforcement.resolve_flag")
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if not _in_scope(actor, flag.enterprise_id):
        raise NotFound()
    if not (comment or "").strip():
        raise DomainValidationError(errors={"comment": [_("Say how the flag was resolved.")]})
    if flag.status == FlagStatus.RESOLVED:
        raise InvalidTransition(_("The flag is already resolved."))
    flag.status, flag.resolved_by, flag.resolved_at, flag.resolution = (
        FlagStatus.RESOLVED, actor, timezone.now(), comment.strip())
    flag.save(update_fields=["status", "resolved_by", "resolved_at", "resolution"])
    audit_record(actor=actor, action="flag.resolve", obj=flag, org=flag.enterprise, before={"status": "open"},
                 after={"status": "resolved", "comment": flag.resolution})
    return flag


# --- cases ---------------------------------------------------------------------------------------------


def _event(case: Case, actor, kind: str, text: str = "", **data) -> CaseEvent:
    return CaseEvent.objects.create(case=case, actor=actor if actor and actor.is_authenticated else None,
                                    kind=kind, text=text, data=data)


def _case_url(case: Case) -> str:
    return reverse("enforcement:case-detail", args=[case.pk])


def _lock_case(actor, case: Case, perm: str) -> Case:
    require(actor, perm)
    case = Case.objects.select_for_update(of=("self",)).select_related("enterprise__county").get(pk=case.pk)
    if not _in_scope(actor, case.enterprise_id):
        raise NotFound()
    return case


@service
def case_open(*, actor: User, enterprise: Enterprise | None = None, flag_ids: Sequence[int] = (),
              origin: str = CaseOrigin.FLAGS, title: str = "", description: str = "") -> Case:
    """A county reviewer opens a case on an enterprise of its county, from flags or from an inspection."""
    require(actor, "enforcement.open_case")
    flag_ids = sorted({int(i) for i in flag_ids})
    flags = list(Flag.objects.select_for_update().filter(pk__in=flag_ids).order_by("pk"))
    if origin not in CaseOrigin.values:
        raise DomainValidationError(errors={"origin": [_("Unknown origin.")]})
    if origin == CaseOrigin.FLAGS and not flags:
        raise DomainValidationError(errors={"flag_ids": [_("Choose at least one flag.")]})
    if len(flags) != len(flag_ids):
        raise DomainValidationError(errors={"flag_ids": [_("Some flags do not exist.")]})
    if enterprise is None:
        if not flags:
            raise DomainValidationError(errors={"enterprise": [_("Choose the enterprise.")]})
        enterprise = flags[0].enterprise
    if any(f.enterprise_id != enterprise.pk for f in flags):
        raise DomainValidationError(errors={"flag_ids": [_("All flags of a case concern the same enterprise.")]})
    # Only the county where the enterprise is domiciled (the reviewer's own county) opens its cases.
    if not _in_scope(actor, enterprise.pk):
        raise NotPermitted(_("This enterprise is not in your county."))
    if not title.strip():
        title = (flags[0].get_kind_display() if flags else CaseOrigin(origin).label) + f" — {enterprise.name}"
    case = Case.objects.create(enterprise=enterprise, origin=origin, title=title.strip()[:200],
                               description=description, opened_by=actor)
    case.flags.set(flags)
    _event(case, actor, "opened", description, origin=origin, flags=flag_ids)
    audit_record(actor=actor, action="case.open", obj=case, org=enterprise,
                 after={"origin": origin, "flags": flag_ids, "title": case.title})
    notify(kind="case_opened", subject=_("A case has been opened: %(title)s") % {"title": case.title},
           body=description, url=_case_url(case), orgs=[enterprise], dedup_key=f"case:{case.pk}")
    return case


@service
def case_order_correction(*, actor: User, case: Case, order: str, deadline: dt.date) -> Case:
    case = _lock_case(actor, case, "enforcement.manage_case")
    if case.status not in (CaseStatus.OPEN, CaseStatus.CORRECTION_ORDERED):
        raise InvalidTransition(_("A correction can only be ordered on an open case."))
    errors = {}
    if not (order or "").strip():
        errors["order"] = [_("Say what must be corrected.")]
    if deadline is None or deadline < timezone.localdate():
        errors["deadline"] = [_("The deadline must be today or later.")]
    if errors:
        raise DomainValidationError(errors=errors)
    before = {"status": case.status}
    case.status, case.correction_order, case.correction_deadline = CaseStatus.CORRECTION_ORDERED, order.strip(), deadline
    case.save(update_fields=["status", "correction_order", "correction_deadline"])
    _event(case, actor, "correction_ordered", order, deadline=deadline.isoformat())
    audit_record(actor=actor, action="case.order_correction", obj=case, org=case.enterprise, before=before,
                 after={"status": case.status, "deadline": deadline})
    notify(kind="correction_ordered",
           subject=_("Order to correct by %(date)s: %(title)s") % {"date": deadline, "title": case.title},
           body=order, url=_case_url(case), orgs=[case.enterprise], dedup_key=f"case:{case.pk}:order:{deadline}")
    return case


@service
def case_record_correction(*, actor: User, case: Case, note: str) -> Case:
    case = _lock_case(actor, case, "enforcement.manage_case")
    if case.status != CaseStatus.CORRECTION_ORDERED:
        raise InvalidTransition(_("No correction has been ordered on this case."))
    if not (note or "").strip():
        raise DomainValidationError(errors={"note": [_("Describe the correction made.")]})
    case.status, case.correction_note = CaseStatus.CORRECTED, note.strip()
    case.save(update_fields=["status", "correction_note"])
    late = bool(case.correction_deadline and timezone.localdate() > case.correction_deadline)
    _event(case, actor, "correction_recorded", note, late=late)
    audit_record(actor=actor, action="case.record_correction", obj=case, org=case.enterprise,
                 before={"status": CaseStatus.CORRECTION_ORDERED}, after={"status": case.status, "late": late})
    return case


@service
def case_close(*, actor: User, case: Case, comment: str) -> Case:
    case = _lock_case(actor, case, "enforcement.manage_case")
    if case.status in (CaseStatus.CLOSED, CaseStatus.PENALTY_PROPOSED):
        raise InvalidTransition(_("This case cannot be closed now."))
    if not (comment or "").strip():
        raise DomainValidationError(errors={"comment": [_("Give the reason for closing.")]})
    before = {"status": case.status}
    case.status, case.closed_at = CaseStatus.CLOSED, timezone.now()
    case.save(update_fields=["status", "closed_at"])
    now = timezone.now()
    # Closing a case settles its open flags.
    case.flags.filter(status=FlagStatus.OPEN).update(status=FlagStatus.RESOLVED, resolved_by=actor, resolved_at=now,
                                                     resolution=_("Case #%(id)s closed: %(c)s") % {
                                                         "id": case.pk, "c": comment.strip()})
    _event(case, actor, "closed", comment)
    audit_record(actor=actor, action="case.close", obj=case, org=case.enterprise, before=before,
                 after={"status": case.status, "comment": comment})
    return case
