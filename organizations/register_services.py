"""Writes on the register of designated enterprises: designation decisions (four eyes), permits, capacity.
Keyword-only, one transaction each, permission-checked and audited. Nothing here edits or deletes a decided
record: every change is a new, dated record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from quota_portal.errors import DomainValidationError, InvalidTransition, NotPermitted

from .audit import audit_record
from .models import (
    ACTIVITY_OF_INDICATOR,
    Authority,
    CapacityRecord,
    DecisionStatus,
    DesignationDecision,
    DesignationKind,
    Enterprise,
    EnterpriseGroup,
    IndicatorType,
    Level,
    Licence,
    LicenceStatus,
    Permit,
    PermitKind,
)
from .notifications import notify
from .permissions import require
from .register_selectors import EXPIRY_WARNING_DAYS, designation_status, expiring_permits
from .selectors import enterprise_q
from .validators import normalize_credit_code, validate_credit_code

Q3 = Decimal("0.001")
EXPIRY_THRESHOLDS = (60, 30, 7)  # days before a permit expires at which the enterprise and its county are reminded
FAR_FUTURE = dt.date(2099, 12, 31)


def _in_scope(actor: User, enterprise: Enterprise) -> Enterprise:
    ent = Enterprise.objects.filter(enterprise_q(actor)).filter(pk=enterprise.pk).first()
    if ent is None:
        raise NotPermitted(_("This enterprise is outside your area."))
    return ent


def _check_range(start: dt.date | None, end: dt.date | None, *, start_field: str, end_field: str) -> None:
    if start is None:
        raise DomainValidationError(errors={start_field: [_("A date is required.")]})
    if end is not None and end < start:
        raise DomainValidationError(errors={end_field: [_("The end date (%(end)s) is before the start date (%(start)s).")
                                                        % {"end": end, "start": start}]})


def enterprise_fields_check(*, name: str, credit_code: str, county_code: str,
                            group_code: str = "") -> tuple[dict, dict[str, list[str]]]:
    """Validate the fields of a new enterprise without writing: (clean values, errors by field)."""
    errors: dict[str, list[str]] = {}
    clean: dict = {"name": (name or "").strip()}
    if not clean["name"]:
        errors["name"] = [_("The enterprise name is required.")]
    code = normalize_credit_code(credit_code)
    try:
        validate_credit_code(code)
    except ValidationError as exc:
        errors["credit_code"] = list(exc.messages)
    else:
        if Enterprise.objects.filter(credit_code=code).exists():
            errors["credit_code"] = [_("An enterprise with the credit code %(code)s is already registered.")
                                     % {"code": code}]
    clean["credit_code"] = code
    county = Authority.objects.filter(code=(county_code or "").strip(), level=Level.COUNTY).first()
    if county is None:
        errors["county"] = [_("Unknown county-level division code “%(code)s”.") % {"code": county_code}]
    clean["county"] = county
    clean["group"] = None
    if group_code:
        group = EnterpriseGroup.objects.filter(credit_code=normalize_credit_code(group_code)).first()
        if group is None:
            errors["group"] = [_("Unknown enterprise group “%(code)s”.") % {"code": group_code}]
        clean["group"] = group
    return clean, errors


def _decision_check(*, activity: str, kind: str, document_no: str, effective_from: dt.date | None,
                    effective_to: dt.date | None, basis: str) -> None:
    errors: dict[str, list[str]] = {}
    if activity not in IndicatorType.values:
        errors["activity"] = [_("Choose an activity.")]
    if kind not in DesignationKind.values:
        errors["kind"] = [_("Choose a kind of decision.")]
    if not (document_no or "").strip():
        errors["document_no"] = [_("The document number is required.")]
    if not (basis or "").strip():
        errors["basis"] = [_("State the basis or reason of the decision.")]
    if effective_to is not None and kind != DesignationKind.SUSPEND:
        errors["effective_to"] = [_("Only a suspension has an end date.")]
    if errors:
        raise DomainValidationError(errors=errors)
    _check_range(effective_from, effective_to, start_field="effective_from", end_field="effective_to")


@transaction.atomic
def designation_draft(
    *,
    actor: User,
    enterprise: Enterprise | None = None,
    new_enterprise: dict | None = None,
    activity: str,
    kind: str,
    document_no: str,
    effective_from: dt.date | None,
    effective_to: dt.date | None = None,
    basis: str,
) -> DesignationDecision:
    """Draft a decision; with ``new_enterprise`` ({name, credit_code, county_code, group_code}) the enterprise is
    registered in the same step (nothing is written if any field is wrong)."""
    require(actor, "organizations.draft_designation")
    _decision_check(activity=activity, kind=kind, document_no=document_no, effective_from=effective_from,
                    effective_to=effective_to, basis=basis)
    if new_enterprise is not None:
        if kind != DesignationKind.DESIGNATE:
            raise DomainValidationError(errors={"kind": [_("A new enterprise starts with a designation.")]})
        clean, errors = enterprise_fields_check(**new_enterprise)
        if errors:
            raise DomainValidationError(errors=errors)
        enterprise = Enterprise(**clean)
        enterprise.full_clean()
        enterprise.save()
        audit_record(actor=actor, action="enterprise.register", obj=enterprise, org=enterprise,
                     after={"name": enterprise.name, "credit_code": enterprise.credit_code,
                            "county": enterprise.county.code, "group": enterprise.group_id})
    if enterprise is None:
        raise DomainValidationError(errors={"enterprise": [_("Choose an enterprise.")]})
    enterprise = _in_scope(actor, enterprise)
    assert effective_from is not None  # checked by _decision_check
    dec = DesignationDecision.objects.create(
        enterprise=enterprise, activity=activity, kind=kind, document_no=document_no.strip(),
        effective_from=effective_from, effective_to=effective_to, basis=basis.strip(), drafted_by=actor)
    audit_record(actor=actor, action="designation.draft", obj=dec, org=enterprise, after=_decision_snapshot(dec))
    return dec


def _decision_snapshot(dec: DesignationDecision) -> dict:
    return {"enterprise": dec.enterprise_id, "activity": dec.activity, "kind": dec.kind,
            "document_no": dec.document_no, "effective_from": dec.effective_from,
            "effective_to": dec.effective_to, "status": dec.status}


def _check_transition(dec: DesignationDecision) -> None:
    """A decision must follow from the status on the day before it takes effect (no suspension of an enterprise
    that is not designated, no reinstatement of one that is not suspended…)."""
    before = designation_status(enterprise=dec.enterprise, activity=dec.activity,
                                on=dec.effective_from - dt.timedelta(days=1))
    allowed = {
        DesignationKind.DESIGNATE: {"none", "revoked"},
        DesignationKind.SUSPEND: {"designated"},
        DesignationKind.REINSTATE: {"suspended"},
        DesignationKind.REVOKE: {"designated", "suspended"},
    }[DesignationKind(dec.kind)]
    if before.status not in allowed:
        raise InvalidTransition(
            _("A %(kind)s cannot apply to an enterprise whose status for %(activity)s on %(date)s is “%(status)s”.")
            % {"kind": dec.get_kind_display(), "activity": dec.get_activity_display(),
               "date": dec.effective_from, "status": before.label})


@transaction.atomic
def designation_approve(*, actor: User, decision: DesignationDecision) -> DesignationDecision:
    """Approve a drafted decision (four eyes: never the person who drafted it)."""
    require(actor, "organizations.approve_designation")
    dec = DesignationDecision.objects.select_for_update().select_related("enterprise__county").get(pk=decision.pk)
    if dec.status != DecisionStatus.DRAFT:
        raise InvalidTransition(_("Only a decision awaiting approval can be approved."))
    if dec.drafted_by_id == actor.pk:
        raise NotPermitted(_("Four eyes: you drafted this decision, so another approver must approve it."))
    _check_transition(dec)
    dec.status, dec.decided_by, dec.decided_at = DecisionStatus.APPROVED, actor, timezone.now()
    dec.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(actor=actor, action="designation.approve", obj=dec, org=dec.enterprise,
                 before={"status": DecisionStatus.DRAFT}, after=_decision_snapshot(dec))
    _sync_licence(dec.enterprise, dec.activity)
    notify(kind="organizations.designation", orgs=[dec.enterprise, dec.enterprise.county],
           subject=_("%(kind)s of %(ent)s for %(activity)s (%(doc)s)")
           % {"kind": dec.get_kind_display(), "ent": dec.enterprise.name, "activity": dec.get_activity_display(),
              "doc": dec.document_no},
           url=reverse("enterprise-detail", args=[dec.enterprise_id]), dedup_key=f"designation:{dec.pk}")
    return dec


@transaction.atomic
def designation_reject(*, actor: User, decision: DesignationDecision, reason: str = "") -> DesignationDecision:
    require(actor, "organizations.approve_designation")
    dec = DesignationDecision.objects.select_for_update().select_related("enterprise__county").get(pk=decision.pk)
    if dec.status != DecisionStatus.DRAFT:
        raise InvalidTransition(_("Only a decision awaiting approval can be rejected."))
    if dec.drafted_by_id == actor.pk:
        raise NotPermitted(_("Four eyes: you drafted this decision, so another approver must decide on it."))
    dec.status, dec.decided_by, dec.decided_at = DecisionStatus.REJECTED, actor, timezone.now()
    dec.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(actor=actor, action="designation.reject", obj=dec, org=dec.enterprise,
                 before={"status": DecisionStatus.DRAFT}, after={**_decision_snapshot(dec), "reason": reason})
    return dec


def _sync_licence(enterprise: Enterprise, activity: str) -> None:
    """Keep the legacy licence row (read by reporting, enforcement and the bench SQL) in line with the decisions:
    it spans from the designation to the day before a revocation. It is a projection written only here; the
    status itself is always derived from the decisions (register_selectors.designation_status_map)."""
    decisions = list(DesignationDecision.objects.filter(enterprise=enterprise, activity=activity,
                                                        status=DecisionStatus.APPROVED)
                     .order_by("effective_from", "decided_at", "id"))
    designations = [d for d in decisions if d.kind == DesignationKind.DESIGNATE]
    if not designations:
        return
    start = designations[-1].effective_from
    revocations = [d for d in decisions if d.kind == DesignationKind.REVOKE and d.effective_from > start]
    end = revocations[0].effective_from - dt.timedelta(days=1) if revocations else FAR_FUTURE
    legacy_activity = ACTIVITY_OF_INDICATOR[IndicatorType(activity)]
    lic = Licence.objects.filter(enterprise=enterprise, activity=legacy_activity).order_by("-valid_from").first()
    if lic is None:
        number = f"{designations[-1].document_no}/{enterprise.pk}/{activity}"[:64]
        lic = Licence(enterprise=enterprise, activity=legacy_activity, number=number)
    lic.valid_from, lic.valid_to, lic.status = start, max(end, start), LicenceStatus.DESIGNATED
    lic.save()


@transaction.atomic
def permit_record(
    *,
    actor: User | None,
    enterprise: Enterprise,
    kind: str,
    number: str,
    issuer: str,
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    scan: UploadedFile | None = None,
) -> Permit:
    """Record a permit as issued (a renewal is recorded as a new permit). ``actor=None`` only for seeding."""
    if actor is not None:
        require(actor, "organizations.record_permit")
        enterprise = _in_scope(actor, enterprise)
    errors: dict[str, list[str]] = {}
    if kind not in PermitKind.values:
        errors["kind"] = [_("Choose a type of permit.")]
    if not (number or "").strip():
        errors["number"] = [_("The permit number is required.")]
    elif Permit.objects.filter(kind=kind, number=number.strip()).exists():
        errors["number"] = [_("A permit of this type with the number %(n)s is already recorded.") % {"n": number}]
    if not (issuer or "").strip():
        errors["issuer"] = [_("The issuing authority is required.")]
    if valid_to is None:
        errors["valid_to"] = [_("A date is required.")]
    if errors:
        raise DomainValidationError(errors=errors)
    _check_range(valid_from, valid_to, start_field="valid_from", end_field="valid_to")
    assert valid_from is not None and valid_to is not None  # checked above
    permit = Permit(enterprise=enterprise, kind=kind, number=number.strip(), issuer=issuer.strip(),
                    valid_from=valid_from, valid_to=valid_to, recorded_by=actor)
    if scan is not None:
        permit.scan = scan
    permit.save()
    audit_record(actor=actor, action="permit.record", obj=permit, org=enterprise,
                 after={"kind": kind, "number": permit.number, "issuer": permit.issuer, "valid_from": valid_from,
                        "valid_to": valid_to, "scan": permit.scan.name if permit.scan else ""})
    return permit


def parse_tonnes(value: object, *, field: str) -> Decimal:
    try:
        t = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise DomainValidationError(errors={field: [_("Enter a number of tonnes, e.g. 1234.5.")]})
    if not t.is_finite() or t < 0 or t != t.quantize(Q3):
        raise DomainValidationError(errors={field: [_("Enter a number of tonnes, not negative, with at most three "
                                                      "decimals.")]})
    return t.quantize(Q3)


@transaction.atomic
def capacity_record(
    *,
    actor: User | None,
    enterprise: Enterprise,
    activity: str,
    tonnes: Decimal | str,
    effective_from: dt.date | None,
    source: str,
) -> CapacityRecord:
    """Record an enterprise's capacity for an activity from a date on, with its source (e.g. an approval file)."""
    if actor is not None:
        require(actor, "organizations.record_capacity")
        enterprise = _in_scope(actor, enterprise)
    errors: dict[str, list[str]] = {}
    if activity not in IndicatorType.values:
        errors["activity"] = [_("Choose an activity.")]
    if not (source or "").strip():
        errors["source"] = [_("Name the source of the capacity figure.")]
    if effective_from is None:
        errors["effective_from"] = [_("A date is required.")]
    if errors:
        raise DomainValidationError(errors=errors)
    t = parse_tonnes(tonnes, field="tonnes")
    assert effective_from is not None  # checked above
    rec = CapacityRecord.objects.create(enterprise=enterprise, activity=activity, tonnes=t,
                                        effective_from=effective_from, source=source.strip(), recorded_by=actor)
    audit_record(actor=actor, action="capacity.record", obj=rec, org=enterprise,
                 after={"activity": activity, "tonnes": t, "effective_from": effective_from, "source": rec.source})
    if activity == IndicatorType.SMELTING_SEPARATION and effective_from <= timezone.localdate():
        # legacy read-only projection shown by older API clients
        Enterprise.objects.filter(pk=enterprise.pk).update(smelting_capacity_t=t)
    return rec


def permit_expiry_reminders(*, on: dt.date | None = None) -> int:
    """Remind the enterprise and its county of each permit expiring within 60 days, once per permit and threshold
    (60, 30 and 7 days). Idempotent: the notifications carry a key per permit and threshold."""
    on = on or timezone.localdate()
    sent = 0
    for permit in expiring_permits(on=on, within_days=EXPIRY_WARNING_DAYS):
        days = (permit.valid_to - on).days
        threshold = min(t for t in EXPIRY_THRESHOLDS if days <= t)
        created = notify(
            kind="organizations.permit_expiry", orgs=[permit.enterprise, permit.enterprise.county],
            subject=_("%(permit)s %(number)s of %(ent)s expires on %(date)s")
            % {"permit": permit.get_kind_display(), "number": permit.number, "ent": permit.enterprise.name,
               "date": permit.valid_to},
            body=_("Renew it in time: without it the enterprise cannot receive indicators or file production."),
            url=reverse("enterprise-detail", args=[permit.enterprise_id]),
            dedup_key=f"permit-expiry:{permit.pk}:{threshold}")
        sent += len(created)
    return sent
