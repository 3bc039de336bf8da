"""Reads of the register of designated enterprises: designation status on a date (derived from the approved,
dated decisions — never a stored field), permits and capacity in force, eligibility. Set-based: each function
runs a fixed number of queries whatever the number of enterprises."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .models import (
    CapacityRecord,
    DecisionStatus,
    DesignationDecision,
    DesignationKind,
    DesignationState,
    Enterprise,
    IndicatorType,
    Invitation,
    Permit,
    PermitKind,
    RegisterImport,
)
from .selectors import enterprise_q, membership_of

MINING_TYPES = (IndicatorType.MINING_ROCK, IndicatorType.MINING_ION)
# What each activity needs on the day: a mine a mining and a safety production licence; a smelter a discharge permit.
REQUIRED_PERMITS: dict[str, tuple[str, ...]] = {
    IndicatorType.MINING_ROCK: (PermitKind.MINING, PermitKind.SAFETY),
    IndicatorType.MINING_ION: (PermitKind.MINING, PermitKind.SAFETY),
    IndicatorType.SMELTING_SEPARATION: (PermitKind.DISCHARGE,),
}
EXPIRY_WARNING_DAYS = 60


RULE_DESIGNATION = "designation"
RULE_PERMIT = "permits"
RULE_STOP_RECTIFY = "stop_and_rectify"
RULE_CAPACITY = "smelter_capacity"


def rule_label(rule: str) -> str:
    return {
        RULE_DESIGNATION: _("designation in force"),
        RULE_PERMIT: _("valid permits"),
        RULE_STOP_RECTIFY: _("no stop-and-rectify order"),
        RULE_CAPACITY: _("minimum smelting capacity"),
    }[rule]


def _failed(rule: str, message: str) -> str:
    return _("Eligibility rule “%(rule)s” failed: %(message)s") % {"rule": rule_label(rule), "message": message}


@dataclass
class Designation:
    """The designation of one enterprise for one activity on one date."""

    status: str = DesignationState.NONE
    since: dt.date | None = None
    until: dt.date | None = None
    designated_on: dt.date | None = None
    document_no: str = ""
    decisions: list[DesignationDecision] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(DesignationState(self.status).label)


def _fold(decisions: Iterable[DesignationDecision], on: dt.date) -> Designation:
    """Apply the approved decisions in force by ``on``, in date order, to get the status on that day."""
    d = Designation()
    for dec in decisions:
        if dec.effective_from > on:
            break
        d.decisions.append(dec)
        if dec.kind == DesignationKind.DESIGNATE:
            d.status, d.since, d.until = DesignationState.DESIGNATED, dec.effective_from, None
            d.designated_on, d.document_no = dec.effective_from, dec.document_no
        elif dec.kind == DesignationKind.SUSPEND and d.status in (DesignationState.DESIGNATED, DesignationState.SUSPENDED):
            if dec.effective_to is None or on <= dec.effective_to:
                d.status, d.since, d.until = DesignationState.SUSPENDED, dec.effective_from, dec.effective_to
            else:  # the suspension has run out
                d.status, d.since, d.until = DesignationState.DESIGNATED, dec.effective_to + dt.timedelta(days=1), None
        elif dec.kind == DesignationKind.REINSTATE and d.status == DesignationState.SUSPENDED:
            d.status, d.since, d.until = DesignationState.DESIGNATED, dec.effective_from, None
        elif dec.kind == DesignationKind.REVOKE and d.status != DesignationState.NONE:
            d.status, d.since, d.until = DesignationState.REVOKED, dec.effective_from, None
    return d


def designation_status_map(*, enterprise_ids: Iterable[int] | None = None,
                           on: dt.date) -> dict[tuple[int, str], Designation]:
    """(enterprise id, activity) → its designation on ``on``, for every pair with an approved decision. One query."""
    qs = DesignationDecision.objects.filter(status=DecisionStatus.APPROVED, effective_from__lte=on)
    if enterprise_ids is not None:
        qs = qs.filter(enterprise_id__in=list(enterprise_ids))
    grouped: dict[tuple[int, str], list[DesignationDecision]] = {}
    for dec in qs.order_by("effective_from", "decided_at", "id"):
        grouped.setdefault((dec.enterprise_id, dec.activity), []).append(dec)
    return {key: _fold(decs, on) for key, decs in grouped.items()}


def designation_status(*, enterprise: Enterprise, activity: str, on: dt.date) -> Designation:
    return designation_status_map(enterprise_ids=[enterprise.pk], on=on).get((enterprise.pk, activity), Designation())


def permits_in_force(*, enterprise_ids: Iterable[int], on: dt.date) -> dict[tuple[int, str], Permit]:
    """(enterprise id, permit kind) → the permit valid on ``on`` that runs longest. One query."""
    out: dict[tuple[int, str], Permit] = {}
    for p in Permit.objects.filter(enterprise_id__in=list(enterprise_ids), valid_from__lte=on,
                                   valid_to__gte=on).order_by("valid_to", "id"):
        out[(p.enterprise_id, p.kind)] = p
    return out


def capacity_map(*, enterprise_ids: Iterable[int], on: dt.date) -> dict[tuple[int, str], CapacityRecord]:
    """(enterprise id, activity) → the capacity record in force on ``on`` (the latest one from before). One query."""
    out: dict[tuple[int, str], CapacityRecord] = {}
    for c in CapacityRecord.objects.filter(enterprise_id__in=list(enterprise_ids),
                                           effective_from__lte=on).order_by("effective_from", "id"):
        out[(c.enterprise_id, c.activity)] = c
    return out


def eligibility_failures(pairs: list[tuple[Enterprise, str]], *, on: dt.date) -> dict[tuple[int, str], list[str]]:
    """For (enterprise, indicator type) pairs: why each one may not receive indicators or file production on
    ``on``: not designated (or suspended/revoked) for the activity, a required permit missing or expired (named),
    a smelting capacity below settings.SMELTER_MIN_CAPACITY_T, a stop-and-rectify order. Four queries."""
    ids = {e.pk for e, _t in pairs}
    status = designation_status_map(enterprise_ids=ids, on=on)
    permits = permits_in_force(enterprise_ids=ids, on=on)
    capacity = capacity_map(enterprise_ids=ids, on=on)
    fresh = Enterprise.objects.in_bulk(ids)  # an order may have arrived since the caller loaded the enterprise
    minimum = Decimal(settings.SMELTER_MIN_CAPACITY_T)
    failures: dict[tuple[int, str], list[str]] = {}
    for stale, itype in pairs:
        ent = fresh.get(stale.pk, stale)
        label = IndicatorType(itype).label
        msgs = []
        d = status.get((ent.pk, itype), Designation())
        if d.status != DesignationState.DESIGNATED:
            msgs.append(_failed(RULE_DESIGNATION, _("%(ent)s is not designated for %(activity)s on %(date)s "
                                                    "(status: %(status)s).")
                                % {"ent": ent.name, "activity": label, "date": on.isoformat(), "status": d.label}))
        for kind in REQUIRED_PERMITS[IndicatorType(itype)]:
            if (ent.pk, kind) not in permits:
                msgs.append(_failed(RULE_PERMIT, _("%(ent)s holds no valid %(permit)s on %(date)s.")
                                    % {"ent": ent.name, "permit": PermitKind(kind).label, "date": on.isoformat()}))
        if itype == IndicatorType.SMELTING_SEPARATION:
            cap = capacity.get((ent.pk, itype))
            if cap is None or cap.tonnes < minimum:
                msgs.append(_failed(RULE_CAPACITY, _("%(ent)s has a recorded smelting capacity of %(cap)s t REO/year, "
                                                     "below the minimum of %(min)s t.")
                                    % {"ent": ent.name, "cap": cap.tonnes if cap else "—", "min": minimum}))
        if ent.stop_rectify_ordered:
            msgs.append(_failed(RULE_STOP_RECTIFY, _("%(ent)s is under an order to stop and rectify.")
                                % {"ent": ent.name}))
        if msgs:
            failures[(ent.pk, itype)] = msgs
    return failures


# --- scoped lists ---------------------------------------------------------------------------------------

def decision_list(*, user: User | AnonymousUser) -> QuerySet[DesignationDecision]:
    return DesignationDecision.objects.filter(enterprise_q(user, "enterprise")).select_related(
        "enterprise", "drafted_by", "decided_by")


def permit_list(*, user: User | AnonymousUser) -> QuerySet[Permit]:
    return Permit.objects.filter(enterprise_q(user, "enterprise")).select_related("enterprise")


def capacity_list(*, user: User | AnonymousUser) -> QuerySet[CapacityRecord]:
    return CapacityRecord.objects.filter(enterprise_q(user, "enterprise")).select_related("enterprise")


def invitation_list(*, user: User | AnonymousUser) -> QuerySet[Invitation]:
    """The ministry sees every invitation; a staff manager those into its own organisation."""
    m = membership_of(user)
    if m is None:
        return Invitation.objects.none()
    if m.authority_id and m.authority.level == "ministry":
        return Invitation.objects.all()
    if m.authority_id:
        return Invitation.objects.filter(authority_id=m.authority_id)
    if m.enterprise_id:
        return Invitation.objects.filter(enterprise_id=m.enterprise_id)
    return Invitation.objects.filter(group_id=m.group_id)


def import_list(*, user: User | AnonymousUser) -> QuerySet[RegisterImport]:
    m = membership_of(user)
    if m is None or not (m.authority_id and m.authority.level == "ministry"):
        return RegisterImport.objects.none()
    return RegisterImport.objects.all()


def register_enterprise_list(*, user: User | AnonymousUser, search: str = "", province: str = "",
                             activity: str = "", status: str = "", expiring: bool = False,
                             on: dt.date) -> QuerySet[Enterprise]:
    """The register as the user may see it, filtered. ``status`` is matched on the derived designation status."""
    qs = Enterprise.objects.filter(enterprise_q(user)).select_related("county", "group")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(credit_code__icontains=search.upper()))
    if province:
        qs = qs.filter(county__path__contains=f"/{province}/")
    if activity:
        qs = qs.filter(designation_decisions__activity=activity,
                       designation_decisions__status=DecisionStatus.APPROVED).distinct()
    if expiring:
        qs = qs.filter(permits__valid_to__gte=on,
                       permits__valid_to__lte=on + dt.timedelta(days=EXPIRY_WARNING_DAYS)).distinct()
    if status:
        ids = list(qs.values_list("pk", flat=True))
        states = designation_status_map(enterprise_ids=ids, on=on)
        keep = set()
        for (ent_id, act), d in states.items():
            if (not activity or act == activity) and d.status == status:
                keep.add(ent_id)
        if status == DesignationState.NONE:
            keep = set(ids) - {e for (e, _a), d in states.items() if d.status != DesignationState.NONE}
        qs = qs.filter(pk__in=keep)
    return qs.order_by("name", "id")


def public_register(*, on: dt.date, search: str = "") -> dict[str, list[dict]]:
    """The published register on ``on``, by activity: designated enterprises with the date and document number of
    their designation, and suspended or revoked ones marked with the date. Three queries."""
    states = designation_status_map(on=on)
    ents = Enterprise.objects.filter(pk__in={e for e, _a in states}).select_related("county__parent__parent", "group")
    if search:
        ents = ents.filter(Q(name__icontains=search) | Q(credit_code__icontains=search.upper()))
    by_id = {e.pk: e for e in ents}
    out: dict[str, list[dict]] = {t.value: [] for t in IndicatorType}
    for (ent_id, act), d in states.items():
        ent = by_id.get(ent_id)
        if ent is None or d.status == DesignationState.NONE:
            continue
        province = ent.county
        while province.parent is not None and province.level != "province":
            province = province.parent
        out[act].append({
            "id": ent.pk, "name": ent.name, "credit_code": ent.credit_code, "county": ent.county.name,
            "province": province.name if province.level == "province" else "",
            "group": (ent.group.short_name or ent.group.name) if ent.group_id else "",
            "status": d.status, "status_label": d.label, "since": d.since, "until": d.until,
            "designated_on": d.designated_on, "document_no": d.document_no,
        })
    for rows in out.values():
        rows.sort(key=lambda r: (r["status"] != DesignationState.DESIGNATED, r["name"]))
    return out


def expiring_permits(*, on: dt.date, within_days: int = EXPIRY_WARNING_DAYS) -> QuerySet[Permit]:
    return Permit.objects.filter(valid_to__gte=on, valid_to__lte=on + dt.timedelta(days=within_days)).select_related(
        "enterprise__county")


def filing_failures(*, enterprise: Enterprise, indicator_types: Iterable[str], first: dt.date,
                    last: dt.date) -> dict[str, str]:
    """Indicator type → why the enterprise may not file production of it for the period ``first``..``last``: it
    must be designated for the activity and hold the permits the activity needs on the period's first or last day.
    Two queries whatever the number of lines."""
    wanted = {t for t in indicator_types if t in IndicatorType.values}
    if not wanted:
        return {}
    decisions = list(DesignationDecision.objects.filter(enterprise=enterprise, status=DecisionStatus.APPROVED,
                                                        activity__in=wanted, effective_from__lte=last)
                     .order_by("effective_from", "decided_at", "id"))
    permits = list(Permit.objects.filter(enterprise=enterprise, valid_from__lte=last, valid_to__gte=first))
    out: dict[str, str] = {}
    for itype in wanted:
        label = IndicatorType(itype).label
        reason = ""
        for day in (last, first):
            d = _fold([x for x in decisions if x.activity == itype], day)
            missing = [k for k in REQUIRED_PERMITS[IndicatorType(itype)]
                       if not any(p.kind == k and p.valid_from <= day <= p.valid_to for p in permits)]
            if d.status == DesignationState.DESIGNATED and not missing:
                reason = ""
                break
            if not reason:
                if d.status != DesignationState.DESIGNATED:
                    reason = _("The enterprise is not designated for %(activity)s in this period (status: "
                               "%(status)s).") % {"activity": label, "status": d.label}
                else:
                    reason = _("The enterprise holds no valid %(permit)s for %(activity)s in this period.") % {
                        "permit": PermitKind(missing[0]).label, "activity": label}
        if reason:
            out[itype] = reason
    return out
