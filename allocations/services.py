"""Writes of the allocations app: keyword-only functions, one transaction each, permission-checked and audited."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.audit import audit_record
from organizations.models import (
    Enterprise,
    EnterpriseGroup,
    IndicatorType,
)
from organizations.notifications import notify
from organizations.permissions import require
from organizations.register_selectors import RULE_DESIGNATION, capacity_map, rule_label
from organizations.register_selectors import eligibility_failures as register_eligibility_failures
from organizations.selectors import membership_of, ministry_authority, provinces_of_enterprises
from quota_portal.errors import (
    Conflict,
    DomainValidationError,
    InvalidTransition,
    NotEligible,
    NotPermitted,
    QuotaExceeded,
)
from quota_portal.quantities import Q3, YEAR_MAX, YEAR_MIN, parse_tonnes
from quota_portal.transactions import service

from .figures import figures_add, figures_set_last_months, figures_set_usage
from .models import (
    Adjustment,
    AdjustmentStatus,
    AllocationLine,
    BatchStatus,
    BreakdownShare,
    Deduction,
    GroupBreakdown,
    IssuanceBatch,
    MonthlyUsage,
    NationalPlan,
    PlanStatus,
    QuotaUsage,
)
from .selectors import ZERO, quota_get
from .signals import batch_issued
from .workdays import add_working_days

log = logging.getLogger(__name__)



def _check_type(indicator_type: str, field: str = "indicator_type") -> None:
    if indicator_type not in IndicatorType.values:
        raise DomainValidationError(errors={field: [_("Unknown indicator type “%(t)s”.") % {"t": indicator_type}]})


def _tonnes(value, field: str, *, positive: bool = True, allow_negative: bool = False) -> Decimal:
    """``parse_tonnes`` (3 decimals, no exponent, full-width digits accepted) plus the sign rule of the field."""
    d = parse_tonnes(value, field, signed=allow_negative)
    if allow_negative:
        if d == 0:
            raise DomainValidationError(errors={field: [_("An adjustment cannot be zero.")]})
    elif positive and d <= 0:
        raise DomainValidationError(errors={field: [_("Tonnes must be greater than zero.")]})
    return d


# --- Usage and deductions (called by the reporting and enforcement apps) ------------------------------


@transaction.atomic
def quota_usage_set(*, enterprise_id: int, year: int, indicator_type: str, used: Decimal) -> None:
    """Upsert the year-to-date accepted production of an enterprise (called by reporting after an acceptance,
    inside its own transaction; no permission check)."""
    _check_type(indicator_type)
    used = Decimal(used).quantize(Q3)
    figures_set_usage(enterprise_id=enterprise_id, year=year, indicator_type=indicator_type, used=used)
    updated = QuotaUsage.objects.filter(enterprise_id=enterprise_id, year=year, indicator_type=indicator_type).update(
        used_t=used
    )
    if updated:
        return
    try:
        with transaction.atomic():
            QuotaUsage.objects.create(enterprise_id=enterprise_id, year=year, indicator_type=indicator_type, used_t=used)
    except IntegrityError:
        # A concurrent acceptance created the row first: it now exists, set it.
        QuotaUsage.objects.filter(enterprise_id=enterprise_id, year=year, indicator_type=indicator_type).update(
            used_t=used
        )


def monthly_usage_replace(*, enterprise_id: int, year: int, totals: dict[tuple[int, str], Decimal]) -> None:
    """Rewrite an enterprise's monthly roll-up for a year: ``totals`` maps (month, indicator type) to the accepted
    production (called by reporting with QuotaUsage, inside the acceptance's transaction; no permission check)."""
    MonthlyUsage.objects.filter(enterprise_id=enterprise_id, year=year).delete()
    MonthlyUsage.objects.bulk_create(
        MonthlyUsage(enterprise_id=enterprise_id, year=year, month=month, indicator_type=itype,
                     used_t=Decimal(t or 0).quantize(Q3))
        for (month, itype), t in sorted(totals.items()))
    last_months: dict[str, int] = {}
    for month, itype in totals:
        last_months[itype] = max(month, last_months.get(itype, 0))
    figures_set_last_months(enterprise_id=enterprise_id, year=year, last_months=last_months)


@transaction.atomic
def record_deduction(*, actor: User, enterprise: Enterprise, year: int, indicator_type: str, tonnes: Decimal,
                     penalty_id: int, reason: str = "") -> Deduction:
    """Deduct tonnes from an enterprise's indicator for a year because of a penalty decision.

    Idempotent: a unique constraint on (penalty_id, year, indicator_type); a repeated or concurrent call returns the
    existing deduction and never records a second one. The caller (enforcement) checks its own permission.
    """
    _check_type(indicator_type)
    tonnes = _tonnes(tonnes, "tonnes")
    existing = Deduction.objects.filter(penalty_id=penalty_id, year=year, indicator_type=indicator_type).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            deduction = Deduction.objects.create(
                enterprise=enterprise, year=year, indicator_type=indicator_type, tonnes=tonnes, penalty_id=penalty_id,
                reason=reason, created_by=actor if actor is not None and actor.is_authenticated else None,
            )
    except IntegrityError:
        # Another transaction recorded it in the meantime (the insert waited for it to commit).
        return Deduction.objects.get(penalty_id=penalty_id, year=year, indicator_type=indicator_type)
    figures_add([(enterprise.pk, year, indicator_type, "deductions_t", tonnes)])
    audit_record(actor=actor, action="deduction.record", obj=deduction, org=enterprise,
                 after={"enterprise": enterprise.pk, "year": year, "indicator_type": indicator_type,
                        "tonnes": tonnes, "penalty_id": penalty_id, "reason": reason})
    return deduction


# --- Eligibility -------------------------------------------------------------------------------------

RULE_LICENCE = RULE_DESIGNATION  # the old name, kept for callers


def eligibility_failures(pairs: list[tuple[Enterprise, str]], *, on: dt.date | None = None) -> dict[tuple[int, str], list[str]]:
    """For (enterprise, indicator type) pairs: the messages of the eligibility rules each one fails on ``on``
    (default today) — designation in force, the permits the activity needs (named), the smelter's minimum capacity,
    no stop-and-rectify order. See organizations.register_selectors.eligibility_failures."""
    return register_eligibility_failures(pairs, on=on or timezone.localdate())


def _check_line_recipient(*, enterprise: Enterprise | None, group: EnterpriseGroup | None, indicator_type: str,
                          field: str) -> None:
    """Eligibility of one line's recipient; for a group, at least one eligible subsidiary."""
    if enterprise is not None:
        failures = eligibility_failures([(enterprise, indicator_type)])
        if failures:
            msgs = failures[(enterprise.pk, indicator_type)]
            raise NotEligible(msgs[0], errors={field: msgs})
        return
    subsidiaries = list(Enterprise.objects.filter(group=group))
    failures = eligibility_failures([(e, indicator_type) for e in subsidiaries])
    if not subsidiaries or len(failures) == len(subsidiaries):
        msg = _("Eligibility rule “%(rule)s” failed: no subsidiary of %(group)s is eligible for %(type)s.") % {
            "rule": rule_label(RULE_LICENCE), "group": group.name, "type": IndicatorType(indicator_type).label}
        raise NotEligible(msg, errors={field: [msg]})


# --- National plans ----------------------------------------------------------------------------------

PLAN_FIELDS = ["year", "indicator_type", "revision", "total_t", "reserve_t", "basis", "status"]


def _snap(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


def _check_year(year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise DomainValidationError(errors={"year": [_("Enter a year.")]})
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise DomainValidationError(errors={"year": [_("Enter a year between 2000 and 2100.")]})
    return year


def _plan_amounts(total_t, reserve_t) -> tuple[Decimal, Decimal]:
    total = _tonnes(total_t, "total_t")
    reserve = _tonnes(reserve_t or 0, "reserve_t", positive=False)
    if reserve > total:
        raise DomainValidationError(errors={"reserve_t": [_("The reserve cannot exceed the national total.")]})
    return total, reserve


def _ministry_org():
    return ministry_authority()


@service
def plan_create(*, actor: User, year: int, indicator_type: str, total_t: Decimal, reserve_t: Decimal = Decimal(0),
                basis: str = "") -> NationalPlan:
    """Draft the national plan of a year and indicator type (a revision of an approved one: plan_revise)."""
    require(actor, "allocations.draft_plan")
    year = _check_year(year)
    _check_type(indicator_type)
    total, reserve = _plan_amounts(total_t, reserve_t)
    existing = NationalPlan.objects.filter(year=year, indicator_type=indicator_type).exclude(
        status=PlanStatus.SUPERSEDED).first()
    if existing is not None:
        if existing.status == PlanStatus.DRAFT:
            raise Conflict(_("A draft plan for %(year)s %(type)s already exists; approve or change it.")
                           % {"year": year, "type": existing.get_indicator_type_display()})
        raise Conflict(_("The plan for %(year)s %(type)s is approved; draft a revision instead.")
                       % {"year": year, "type": existing.get_indicator_type_display()})
    plan = NationalPlan(year=year, indicator_type=indicator_type, total_t=total, reserve_t=reserve, basis=basis,
                        drafted_by=actor)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        raise Conflict(_("A plan for this year and indicator type was drafted at the same time."))
    audit_record(actor=actor, action="plan.draft", obj=plan, org=_ministry_org(), after=_snap(plan, PLAN_FIELDS))
    return plan


@service
def plan_revise(*, actor: User, plan: NationalPlan, total_t: Decimal, reserve_t: Decimal = Decimal(0),
                basis: str = "") -> NationalPlan:
    """Draft a revision of an approved plan: a new row; the approved one stays in force until it is approved."""
    require(actor, "allocations.draft_plan")
    current = NationalPlan.objects.select_for_update().get(pk=plan.pk)
    if current.status != PlanStatus.APPROVED:
        raise InvalidTransition(_("Only the approved plan can be revised."))
    if NationalPlan.objects.filter(previous=current).exists() or NationalPlan.objects.filter(
            year=current.year, indicator_type=current.indicator_type, status=PlanStatus.DRAFT).exists():
        raise Conflict(_("A revision of this plan is already drafted."))
    total, reserve = _plan_amounts(total_t, reserve_t)
    revision = NationalPlan(year=current.year, indicator_type=current.indicator_type, revision=current.revision + 1,
                            previous=current, total_t=total, reserve_t=reserve, basis=basis, drafted_by=actor)
    try:
        with transaction.atomic():
            revision.save()
    except IntegrityError:
        raise Conflict(_("A revision of this plan was drafted at the same time."))
    audit_record(actor=actor, action="plan.revise", obj=revision, org=_ministry_org(),
                 before=_snap(current, PLAN_FIELDS), after=_snap(revision, PLAN_FIELDS))
    return revision


@service
def plan_update(*, actor: User, plan: NationalPlan, total_t: Decimal, reserve_t: Decimal = Decimal(0),
                basis: str = "") -> NationalPlan:
    """Change a draft (approved plans are never edited in place)."""
    require(actor, "allocations.draft_plan")
    plan = NationalPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise InvalidTransition(_("An approved plan cannot be edited; draft a revision."))
    before = _snap(plan, PLAN_FIELDS)
    plan.total_t, plan.reserve_t = _plan_amounts(total_t, reserve_t)
    plan.basis = basis
    plan.save(update_fields=["total_t", "reserve_t", "basis"])
    audit_record(actor=actor, action="plan.update", obj=plan, org=_ministry_org(), before=before,
                 after=_snap(plan, PLAN_FIELDS))
    return plan


def _committed(year: int, types) -> dict[str, Decimal]:
    """Issued lines plus net approved adjustments per type for a year (read after the plan rows are locked)."""
    out = {t: ZERO for t in types}
    for itype, total in (AllocationLine.objects.filter(batch__year=year, batch__status=BatchStatus.ISSUED,
                                                       indicator_type__in=types)
                         .values_list("indicator_type").annotate(s=Sum("tonnes")).order_by()):
        out[itype] += total or ZERO
    for itype, total in (Adjustment.objects.filter(year=year, status=AdjustmentStatus.APPROVED,
                                                   indicator_type__in=types)
                         .values_list("indicator_type").annotate(s=Sum("tonnes")).order_by()):
        out[itype] += total or ZERO
    return out


def _lock_approved_plans(year: int, types) -> dict[str, NationalPlan]:
    """Lock the approved plan rows of a year's types (pk order) — the serialisation point of all issuance."""
    plans = list(NationalPlan.objects.select_for_update().filter(year=year, indicator_type__in=list(types),
                                                                 status=PlanStatus.APPROVED).order_by("pk"))
    return {p.indicator_type: p for p in plans}


@service
def plan_approve(*, actor: User, plan: NationalPlan) -> NationalPlan:
    require(actor, "allocations.approve_plan")
    locked = {p.pk: p for p in NationalPlan.objects.select_for_update().filter(
        year=plan.year, indicator_type=plan.indicator_type).order_by("pk")}
    plan = locked[plan.pk]
    if plan.status != PlanStatus.DRAFT:
        raise InvalidTransition(_("Only a draft plan can be approved."))
    if plan.drafted_by_id == actor.pk:
        raise NotPermitted(_("Four eyes: you drafted this plan, so another approver must approve it."))
    committed = _committed(plan.year, [plan.indicator_type])[plan.indicator_type]
    if committed > plan.issuable_t:
        raise QuotaExceeded(
            _("The revised plan leaves %(avail)s t to issue (total minus reserve), but %(done)s t are already issued "
              "for %(year)s %(type)s.") % {"avail": plan.issuable_t, "done": committed, "year": plan.year,
                                           "type": plan.get_indicator_type_display()})
    previous = None
    if plan.previous_id:
        previous = locked.get(plan.previous_id)
        if previous is None or previous.status != PlanStatus.APPROVED:
            raise InvalidTransition(_("The plan this revision replaces is no longer the approved one."))
        previous.status = PlanStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    before = _snap(plan, PLAN_FIELDS)
    plan.status, plan.approved_by, plan.approved_at = PlanStatus.APPROVED, actor, timezone.now()
    plan.save(update_fields=["status", "approved_by", "approved_at"])
    audit_record(actor=actor, action="plan.approve", obj=plan, org=_ministry_org(), before=before,
                 after={**_snap(plan, PLAN_FIELDS), "supersedes": previous.pk if previous else None})
    return plan


@service
def plan_return(*, actor: User, plan: NationalPlan, reason: str) -> NationalPlan:
    """An approver sends a draft plan back to its drafter with a reason (it stays a draft; the reason is recorded in
    the audit trail, shown on the plan and sent to the drafter's inbox)."""
    require(actor, "allocations.approve_plan")
    plan = NationalPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise InvalidTransition(_("Only a draft plan can be returned."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(_("Give the reason for returning the plan."),
                                    errors={"reason": [_("Give the reason for returning the plan.")]})
    audit_record(actor=actor, action="plan.return", obj=plan, org=_ministry_org(), before={"status": plan.status},
                 after={"status": plan.status, "reason": reason})
    if plan.drafted_by_id:
        notify(kind="plan_returned",
               subject=_("National plan %(year)s %(type)s returned: %(reason)s") % {
                   "year": plan.year, "type": plan.get_indicator_type_display(), "reason": reason},
               url=reverse("allocations:plan-detail", args=[plan.pk]), users=[plan.drafted_by],
               dedup_key=f"plan:{plan.pk}:return:{timezone.now().timestamp()}")
    return plan


# --- Issuance batches --------------------------------------------------------------------------------

BATCH_FIELDS = ["year", "sequence", "title", "document_no", "status"]


def _batch_snapshot(batch: IssuanceBatch) -> dict:
    return {**_snap(batch, BATCH_FIELDS), "lines": [
        {"enterprise": ln.enterprise_id, "group": ln.group_id, "indicator_type": ln.indicator_type,
         "tonnes": ln.tonnes} for ln in batch.lines.all()]}


def _clean_text(value: str, field: str, *, required: bool, max_length: int) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainValidationError(errors={field: [_("This field is required.")]})
    if len(value) > max_length:
        raise DomainValidationError(errors={field: [_("At most %(n)d characters.") % {"n": max_length}]})
    return value


def _lock_draft(batch: IssuanceBatch) -> IssuanceBatch:
    batch = IssuanceBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.DRAFT:
        raise InvalidTransition(_("Only a draft batch can be changed."))
    return batch


def _resolve_recipient(enterprise, group, field_prefix: str) -> tuple[Enterprise | None, EnterpriseGroup | None]:
    if isinstance(enterprise, int):
        enterprise = Enterprise.objects.filter(pk=enterprise).first() or None
        if enterprise is None:
            raise DomainValidationError(errors={f"{field_prefix}enterprise": [_("Unknown enterprise.")]})
    if isinstance(group, int):
        group = EnterpriseGroup.objects.filter(pk=group).first() or None
        if group is None:
            raise DomainValidationError(errors={f"{field_prefix}group": [_("Unknown enterprise group.")]})
    if (enterprise is None) == (group is None):
        raise DomainValidationError(errors={f"{field_prefix}recipient": [
            _("Choose either an enterprise or an enterprise group as the recipient.")]})
    return enterprise, group


def _add_line(batch: IssuanceBatch, *, enterprise, group, indicator_type: str, tonnes, prefix: str = "") -> AllocationLine:
    enterprise, group = _resolve_recipient(enterprise, group, prefix)
    _check_type(indicator_type, f"{prefix}indicator_type")
    tonnes = _tonnes(tonnes, f"{prefix}tonnes")
    _check_line_recipient(enterprise=enterprise, group=group, indicator_type=indicator_type,
                          field=f"{prefix}enterprise" if enterprise else f"{prefix}group")
    dup = batch.lines.filter(enterprise=enterprise, group=group, indicator_type=indicator_type).exists()
    if dup:
        raise DomainValidationError(errors={f"{prefix}recipient": [
            _("%(r)s already has a %(type)s line in this batch.") % {"r": enterprise or group,
                                                                     "type": IndicatorType(indicator_type).label}]})
    return AllocationLine.objects.create(batch=batch, enterprise=enterprise, group=group,
                                         indicator_type=indicator_type, tonnes=tonnes)


@service
def batch_create(*, actor: User, year: int, title: str, document_no: str = "", lines: list[dict] | None = None) -> IssuanceBatch:
    """Draft a batch (sequence = next number of the year), optionally with lines
    ``{"enterprise"|"group": obj or id, "indicator_type", "tonnes"}``."""
    require(actor, "allocations.draft_batch")
    year = _check_year(year)
    title = _clean_text(title, "title", required=True, max_length=200)
    document_no = _clean_text(document_no, "document_no", required=False, max_length=80)
    if document_no and IssuanceBatch.objects.filter(document_no=document_no).exists():
        raise DomainValidationError(errors={"document_no": [_("Another batch has this document number.")]})
    last = IssuanceBatch.objects.filter(year=year).aggregate(m=Max("sequence"))["m"] or 0
    batch = IssuanceBatch(year=year, sequence=last + 1, title=title, document_no=document_no, created_by=actor)
    try:
        with transaction.atomic():
            batch.save()
    except IntegrityError:
        raise Conflict(_("Another batch was created at the same time; please try again."))
    for i, line in enumerate(lines or []):
        _add_line(batch, enterprise=line.get("enterprise"), group=line.get("group"),
                  indicator_type=line.get("indicator_type", ""), tonnes=line.get("tonnes"), prefix=f"lines[{i}].")
    audit_record(actor=actor, action="batch.draft", obj=batch, org=_ministry_org(), after=_batch_snapshot(batch))
    return batch


@service
def batch_update(*, actor: User, batch: IssuanceBatch, title: str, document_no: str = "") -> IssuanceBatch:
    require(actor, "allocations.draft_batch")
    batch = _lock_draft(batch)
    before = _snap(batch, BATCH_FIELDS)
    batch.title = _clean_text(title, "title", required=True, max_length=200)
    batch.document_no = _clean_text(document_no, "document_no", required=False, max_length=80)
    if batch.document_no and IssuanceBatch.objects.filter(document_no=batch.document_no).exclude(pk=batch.pk).exists():
        raise DomainValidationError(errors={"document_no": [_("Another batch has this document number.")]})
    batch.save(update_fields=["title", "document_no"])
    audit_record(actor=actor, action="batch.update", obj=batch, org=_ministry_org(), before=before,
                 after=_snap(batch, BATCH_FIELDS))
    return batch


@service
def batch_line_add(*, actor: User, batch: IssuanceBatch, indicator_type: str, tonnes: Decimal,
                   enterprise: Enterprise | None = None, group: EnterpriseGroup | None = None) -> AllocationLine:
    """Add a line to a draft batch; the recipient's eligibility is checked now and again on approval."""
    require(actor, "allocations.draft_batch")
    batch = _lock_draft(batch)
    line = _add_line(batch, enterprise=enterprise, group=group, indicator_type=indicator_type, tonnes=tonnes)
    audit_record(actor=actor, action="batch.line_add", obj=batch, org=_ministry_org(),
                 after={"line": line.pk, "enterprise": line.enterprise_id, "group": line.group_id,
                        "indicator_type": indicator_type, "tonnes": line.tonnes})
    return line


@service
def batch_line_remove(*, actor: User, line: AllocationLine) -> None:
    require(actor, "allocations.draft_batch")
    batch = _lock_draft(line.batch)
    line = AllocationLine.objects.get(pk=line.pk, batch=batch)
    before = {"line": line.pk, "enterprise": line.enterprise_id, "group": line.group_id,
              "indicator_type": line.indicator_type, "tonnes": line.tonnes}
    line.delete()
    audit_record(actor=actor, action="batch.line_remove", obj=batch, org=_ministry_org(), before=before)


def _check_against_plans(batch: IssuanceBatch, lines: list[AllocationLine]) -> None:
    """Cumulative issued + this batch ≤ approved total − reserve, per type. Locks the plan rows first."""
    totals: dict[str, Decimal] = {}
    for ln in lines:
        totals[ln.indicator_type] = totals.get(ln.indicator_type, ZERO) + ln.tonnes
    plans = _lock_approved_plans(batch.year, totals)
    for itype in sorted(totals):
        if itype not in plans:
            raise QuotaExceeded(_("There is no approved national plan for %(year)s %(type)s, so nothing of it can "
                                  "be issued.") % {"year": batch.year, "type": IndicatorType(itype).label})
    committed = _committed(batch.year, list(totals))
    for itype in sorted(totals):
        plan = plans[itype]
        if committed[itype] + totals[itype] > plan.issuable_t:
            raise QuotaExceeded(
                _("Over-issuance refused: %(type)s %(year)s — already issued %(done)s t plus this batch %(this)s t "
                  "exceeds the approved national total %(total)s t minus the reserve %(reserve)s t (%(avail)s t "
                  "left to issue).")
                % {"type": IndicatorType(itype).label, "year": batch.year, "done": committed[itype],
                   "this": totals[itype], "total": plan.total_t, "reserve": plan.reserve_t,
                   "avail": plan.issuable_t - committed[itype]})


@service
def batch_submit(*, actor: User, batch: IssuanceBatch) -> IssuanceBatch:
    require(actor, "allocations.submit_batch")
    batch = IssuanceBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.DRAFT:
        raise InvalidTransition(_("Only a draft batch can be submitted."))
    lines = list(batch.lines.all())
    if not lines:
        raise DomainValidationError(errors={"lines": [_("A batch needs at least one line.")]})
    _check_against_plans(batch, lines)
    before = _snap(batch, BATCH_FIELDS)
    batch.status, batch.submitted_by, batch.submitted_at = BatchStatus.SUBMITTED, actor, timezone.now()
    batch.save(update_fields=["status", "submitted_by", "submitted_at"])
    audit_record(actor=actor, action="batch.submit", obj=batch, org=_ministry_org(), before=before,
                 after=_snap(batch, BATCH_FIELDS))
    return batch


@service
def batch_return(*, actor: User, batch: IssuanceBatch, comment: str = "") -> IssuanceBatch:
    """An approver sends a submitted batch back to draft."""
    require(actor, "allocations.approve_batch")
    batch = IssuanceBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.SUBMITTED:
        raise InvalidTransition(_("Only a submitted batch can be returned."))
    before = _snap(batch, BATCH_FIELDS)
    batch.status, batch.submitted_by, batch.submitted_at = BatchStatus.DRAFT, None, None
    batch.save(update_fields=["status", "submitted_by", "submitted_at"])
    audit_record(actor=actor, action="batch.return", obj=batch, org=_ministry_org(), before=before,
                 after={**_snap(batch, BATCH_FIELDS), "comment": comment})
    return batch


def batch_capacity_overruns(batch: IssuanceBatch, lines: list[AllocationLine] | None = None, *,
                            on: dt.date | None = None) -> list[dict]:
    """Lines that take their enterprise's year total for the indicator type (issued before + this batch) above its
    recorded capacity: ``{"index", "line", "total", "capacity", "refuse"}``; ``refuse`` above
    settings.CAPACITY_REFUSAL_MULTIPLE × capacity. Three queries."""
    lines = lines if lines is not None else list(batch.lines.select_related("enterprise"))
    ent_ids = {ln.enterprise_id for ln in lines if ln.enterprise_id}
    if not ent_ids:
        return []
    caps = capacity_map(enterprise_ids=ent_ids, on=on or timezone.localdate())
    totals: dict[tuple[int, str], Decimal] = {}
    for row in (AllocationLine.objects.filter(batch__year=batch.year, batch__status=BatchStatus.ISSUED,
                                              enterprise_id__in=ent_ids).exclude(batch=batch)
                .values("enterprise_id", "indicator_type").annotate(t=Sum("tonnes"))):
        totals[(row["enterprise_id"], row["indicator_type"])] = row["t"]
    for ln in lines:
        if ln.enterprise_id:
            key = (ln.enterprise_id, ln.indicator_type)
            totals[key] = totals.get(key, ZERO) + ln.tonnes
    multiple = Decimal(settings.CAPACITY_REFUSAL_MULTIPLE)
    out = []
    for i, ln in enumerate(lines):
        cap = caps.get((ln.enterprise_id, ln.indicator_type)) if ln.enterprise_id else None
        total = totals.get((ln.enterprise_id or 0, ln.indicator_type), ZERO)
        if cap is not None and total > cap.tonnes:
            out.append({"index": i, "line": ln, "total": total, "capacity": cap.tonnes,
                        "refuse": total > cap.tonnes * multiple})
    return out


def _capacity_message(o: dict) -> str:
    return _("%(ent)s: %(year_total)s t of %(type)s this year would exceed its capacity of %(cap)s t REO/year.") % {
        "ent": o["line"].enterprise.name, "year_total": o["total"], "type": o["line"].get_indicator_type_display(),
        "cap": o["capacity"]}


@service
def batch_approve(*, actor: User, batch: IssuanceBatch, issued_at: dt.datetime | None = None,
                  capacity_reason: str = "") -> IssuanceBatch:
    """Approve = issue a submitted batch (four eyes), never beyond the approved national total minus reserve.

    The approved plan rows of the batch's year and types are locked (select_for_update, pk order) before the
    cumulative issued amount is read, so two approvals at the same moment are serialised and cannot overshoot.
    ``issued_at`` (default now) records the date of a historical document; the breakdown deadline counts from it.
    """
    require(actor, "allocations.approve_batch")
    batch = IssuanceBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.SUBMITTED:
        raise InvalidTransition(_("Only a submitted batch can be approved."))
    if actor.pk in (batch.created_by_id, batch.submitted_by_id):
        raise NotPermitted(_("Four eyes: you drafted or submitted this batch, so another approver must approve it."))
    lines = list(batch.lines.select_related("enterprise", "group"))
    # Eligibility again: licences expire and stop-and-rectify orders arrive between drafting and approval.
    pairs = [(ln.enterprise, ln.indicator_type) for ln in lines if ln.enterprise is not None]
    failures = eligibility_failures(pairs)
    if failures:
        errors = {}
        for i, ln in enumerate(lines):
            if ln.enterprise_id and (ln.enterprise_id, ln.indicator_type) in failures:
                errors[f"lines[{i}].enterprise"] = failures[(ln.enterprise_id, ln.indicator_type)]
        first = next(iter(errors.values()))[0]
        raise NotEligible(first, errors=errors)
    for i, ln in enumerate(lines):
        if ln.group_id:
            _check_line_recipient(enterprise=None, group=ln.group, indicator_type=ln.indicator_type,
                                  field=f"lines[{i}].group")
    _check_against_plans(batch, lines)
    overruns = batch_capacity_overruns(batch, lines)
    capacity_reason = (capacity_reason or "").strip()
    refused = [o for o in overruns if o["refuse"]]
    if refused and not capacity_reason:
        errors = {f"lines[{o['index']}].tonnes": [_capacity_message(o)] for o in refused}
        errors["capacity_reason"] = [_("Above capacity: record the reason for approving it anyway.")]
        raise DomainValidationError(_capacity_message(refused[0]), errors=errors, code="capacity_exceeded")
    before = _snap(batch, BATCH_FIELDS)
    batch.status, batch.approved_by, batch.issued_at = BatchStatus.ISSUED, actor, issued_at or timezone.now()
    if any(ln.group_id for ln in lines):
        due = add_working_days(timezone.localdate(batch.issued_at), settings.GROUP_BREAKDOWN_WORKING_DAYS)
        batch.breakdown_due, batch.breakdown_due_estimated = due.date, due.estimated
    batch.save(update_fields=["status", "approved_by", "issued_at", "breakdown_due", "breakdown_due_estimated"])
    figures_add((ln.enterprise_id, batch.year, ln.indicator_type, "issued_t", ln.tonnes) for ln in lines
                if ln.enterprise_id)
    audit_record(actor=actor, action="batch.approve", obj=batch, org=_ministry_org(), before=before,
                 after={**_batch_snapshot(batch), "breakdown_due": batch.breakdown_due,
                        "capacity_warnings": [_capacity_message(o) for o in overruns],
                        "capacity_reason": capacity_reason})
    _notify_issued(batch, lines)
    batch_issued.send(sender=IssuanceBatch, batch=batch)
    return batch


def _notify_issued(batch: IssuanceBatch, lines: list[AllocationLine]) -> None:
    url = reverse("allocations:batch-detail", args=[batch.pk])
    subject = _("Indicators issued: %(title)s %(doc)s") % {"title": batch.title, "doc": batch.document_no}
    for ln in lines:
        body = _("%(recipient)s receives %(tonnes)s t REO of %(type)s for %(year)s.") % {
            "recipient": ln.recipient, "tonnes": ln.tonnes, "type": ln.get_indicator_type_display(),
            "year": batch.year}
        if ln.group_id:
            body += " " + _("Break it down among your subsidiaries by %(due)s.") % {"due": batch.breakdown_due}
        notify(kind="allocations.batch_issued", subject=subject, body=body, url=url, orgs=[ln.recipient],
               dedup_key=f"batch-issued:{batch.pk}:{ln.pk}")
    ent_ids = [ln.enterprise_id for ln in lines if ln.enterprise_id]
    group_ids = [ln.group_id for ln in lines if ln.group_id]
    ent_ids += list(Enterprise.objects.filter(group_id__in=group_ids).values_list("pk", flat=True))
    provinces = list(provinces_of_enterprises(ent_ids))
    if provinces:
        notify(kind="allocations.batch_issued", subject=subject,
               body=_("Indicators were issued to enterprises in your region (notification under Decree No. 71)."),
               url=url, orgs=provinces, dedup_key=f"batch-issued:{batch.pk}:province")


# --- Group breakdowns --------------------------------------------------------------------------------


@service
def breakdown_file(*, actor: User, line: AllocationLine, shares: list[dict], note: str = "",
                   filed_at: dt.datetime | None = None) -> GroupBreakdown:
    """File a group's breakdown of its line among eligible subsidiaries; the shares must sum exactly to the line.

    ``shares``: ``[{"enterprise": Enterprise or id, "tonnes": Decimal}]``. Filed once; visible to the ministry and
    the provinces concerned. Filing after the deadline is allowed but recorded as late.
    """
    require(actor, "allocations.file_breakdown")
    line = AllocationLine.objects.select_for_update(of=("self",)).select_related("batch", "group").get(pk=line.pk)
    m = membership_of(actor)
    if line.group_id is None or m is None or m.group_id != line.group_id:
        raise NotPermitted(_("Only the group that received this line can break it down."))
    if line.batch.status != BatchStatus.ISSUED:
        raise InvalidTransition(_("The batch is not issued yet."))
    if GroupBreakdown.objects.filter(line=line).exists():
        raise Conflict(_("The breakdown of this line is already filed."))
    if not shares:
        raise DomainValidationError(errors={"shares": [_("Give at least one subsidiary its share.")]})
    ids = [s.get("enterprise").pk if isinstance(s.get("enterprise"), Enterprise) else s.get("enterprise")
           for s in shares]
    subsidiaries = Enterprise.objects.filter(group_id=line.group_id).in_bulk()
    errors: dict[str, list[str]] = {}
    parsed: list[tuple[Enterprise, Decimal]] = []
    seen = set()
    for i, (ent_id, s) in enumerate(zip(ids, shares, strict=True)):
        try:
            tonnes = _tonnes(s.get("tonnes"), f"shares[{i}].tonnes")
        except DomainValidationError as exc:
            errors.update(exc.errors)
            continue
        ent = subsidiaries.get(ent_id) if isinstance(ent_id, int) else None
        if ent is None:
            errors[f"shares[{i}].enterprise"] = [_("Only subsidiaries of %(group)s can receive a share.")
                                                 % {"group": line.group.name}]
            continue
        if ent.pk in seen:
            errors[f"shares[{i}].enterprise"] = [_("%(ent)s appears twice.") % {"ent": ent.name}]
            continue
        seen.add(ent.pk)
        parsed.append((ent, tonnes))
    if errors:
        raise DomainValidationError(errors=errors)
    total = sum((t for _e, t in parsed), ZERO)
    if total != line.tonnes:
        raise DomainValidationError(
            _("The shares add up to %(sum)s t but the group's line is %(line)s t; they must match exactly.")
            % {"sum": total, "line": line.tonnes},
            errors={"shares": [_("The shares add up to %(sum)s t but the group's line is %(line)s t (difference "
                                 "%(diff)s t).") % {"sum": total, "line": line.tonnes, "diff": line.tonnes - total}]})
    failures = eligibility_failures([(e, line.indicator_type) for e, _t in parsed])
    if failures:
        errs = {f"shares[{i}].enterprise": failures[(e.pk, line.indicator_type)]
                for i, (e, _t) in enumerate(parsed) if (e.pk, line.indicator_type) in failures}
        raise NotEligible(next(iter(errs.values()))[0], errors=errs)
    filed_at = filed_at or timezone.now()
    late = bool(line.batch.breakdown_due and timezone.localdate(filed_at) > line.batch.breakdown_due)
    bd = GroupBreakdown.objects.create(line=line, filed_by=actor, late=late, note=note, filed_at=filed_at)
    BreakdownShare.objects.bulk_create([BreakdownShare(breakdown=bd, enterprise=e, tonnes=t) for e, t in parsed])
    figures_add((e.pk, line.batch.year, line.indicator_type, "received_t", t) for e, t in parsed)
    audit_record(actor=actor, action="breakdown.file", obj=bd, org=line.group,
                 after={"line": line.pk, "late": late, "shares": {e.pk: t for e, t in parsed}})

    url = reverse("allocations:breakdown-detail", args=[bd.pk])
    subject = _("Group breakdown filed: %(group)s, %(type)s %(year)s") % {
        "group": line.group.name, "type": line.get_indicator_type_display(), "year": line.batch.year}
    for e, t in parsed:
        notify(kind="allocations.breakdown_filed", subject=subject, url=url, orgs=[e],
               body=_("Your share: %(t)s t REO.") % {"t": t}, dedup_key=f"breakdown:{bd.pk}:{e.pk}")
    provinces = list(provinces_of_enterprises([e.pk for e, _t in parsed]))
    notify(kind="allocations.breakdown_filed", subject=subject, url=url, orgs=provinces,
           dedup_key=f"breakdown:{bd.pk}:province")
    return bd


# --- Adjustments -------------------------------------------------------------------------------------

ADJ_FIELDS = ["enterprise_id", "year", "indicator_type", "tonnes", "reason", "status"]


@service
def adjustment_propose(*, actor: User, enterprise: Enterprise, year: int, indicator_type: str, tonnes: Decimal,
                       reason: str) -> Adjustment:
    """Propose a signed adjustment (+ or −) of an enterprise's indicator with a reason; counts once approved."""
    require(actor, "allocations.propose_adjustment")
    year = _check_year(year)
    _check_type(indicator_type)
    tonnes = _tonnes(tonnes, "tonnes", allow_negative=True)
    reason = _clean_text(reason, "reason", required=True, max_length=2000)
    adj = Adjustment.objects.create(enterprise=enterprise, year=year, indicator_type=indicator_type, tonnes=tonnes,
                                    reason=reason, created_by=actor)
    audit_record(actor=actor, action="adjustment.propose", obj=adj, org=enterprise, after=_snap(adj, ADJ_FIELDS))
    return adj


@service
def adjustment_approve(*, actor: User, adjustment: Adjustment) -> Adjustment:
    require(actor, "allocations.approve_adjustment")
    adj = Adjustment.objects.select_for_update(of=("self",)).select_related("enterprise__county").get(pk=adjustment.pk)
    if adj.status != AdjustmentStatus.DRAFT:
        raise InvalidTransition(_("Only a proposed adjustment can be approved."))
    if adj.created_by_id == actor.pk:
        raise NotPermitted(_("Four eyes: you proposed this adjustment, so another approver must approve it."))
    if adj.tonnes > 0:
        plans = _lock_approved_plans(adj.year, [adj.indicator_type])
        plan = plans.get(adj.indicator_type)
        if plan is None:
            raise QuotaExceeded(_("There is no approved national plan for %(year)s %(type)s.")
                                % {"year": adj.year, "type": adj.get_indicator_type_display()})
        committed = _committed(adj.year, [adj.indicator_type])[adj.indicator_type]
        if committed + adj.tonnes > plan.issuable_t:
            raise QuotaExceeded(_("Over-issuance refused: %(type)s %(year)s has %(avail)s t left to issue, less than "
                                  "this adjustment of %(t)s t.") % {"type": adj.get_indicator_type_display(),
                                                                   "year": adj.year, "t": adj.tonnes,
                                                                   "avail": plan.issuable_t - committed})
    else:
        row = quota_get(enterprise=adj.enterprise, year=adj.year, indicator_type=adj.indicator_type)
        if row.effective + adj.tonnes < 0:
            raise DomainValidationError(errors={"tonnes": [
                _("The adjustment would make the effective quota negative (%(eff)s t now).") % {"eff": row.effective}]})
    before = _snap(adj, ADJ_FIELDS)
    adj.status, adj.approved_by, adj.approved_at = AdjustmentStatus.APPROVED, actor, timezone.now()
    adj.save(update_fields=["status", "approved_by", "approved_at"])
    figures_add([(adj.enterprise_id, adj.year, adj.indicator_type, "adjustments_t", adj.tonnes)])
    audit_record(actor=actor, action="adjustment.approve", obj=adj, org=adj.enterprise, before=before,
                 after=_snap(adj, ADJ_FIELDS))
    notify(kind="allocations.adjustment", subject=_("Your %(type)s indicator for %(year)s was adjusted by %(t)s t")
           % {"type": adj.get_indicator_type_display(), "year": adj.year, "t": f"{adj.tonnes:+}"},
           body=adj.reason, orgs=[adj.enterprise], dedup_key=f"adjustment:{adj.pk}")
    return adj


@transaction.atomic
def deduction_reverse(*, actor, enterprise: Enterprise, year: int, indicator_type: str, penalty_id: int,
                      reason: str) -> Adjustment:
    """Give back a penalty's applied deduction (the penalty was annulled on review) as an approved adjustment of
    +tonnes: the deduction stays on the record, the adjustment cancels it.

    Exactly once: a partial unique index on (reverses_penalty_id, year, indicator_type); a repeated or concurrent
    call returns the existing adjustment. The caller (enforcement) checks its own permission and records the
    decision that annulled the penalty."""
    _check_type(indicator_type)
    existing = Adjustment.objects.filter(reverses_penalty_id=penalty_id, year=year,
                                         indicator_type=indicator_type).first()
    if existing is not None:
        return existing
    deduction = Deduction.objects.filter(penalty_id=penalty_id, year=year, indicator_type=indicator_type).first()
    if deduction is None:
        raise InvalidTransition(_("There is no applied deduction of this penalty to reverse."))
    now = timezone.now()
    try:
        with transaction.atomic():
            adj = Adjustment.objects.create(
                enterprise=enterprise, year=year, indicator_type=indicator_type, tonnes=deduction.tonnes,
                reason=(reason or "").strip() or _("Reversal of the deduction of annulled penalty #%(id)s")
                % {"id": penalty_id},
                status=AdjustmentStatus.APPROVED, created_by=actor, created_at=now, approved_by=actor,
                approved_at=now, reverses_penalty_id=penalty_id)
    except IntegrityError:
        return Adjustment.objects.get(reverses_penalty_id=penalty_id, year=year, indicator_type=indicator_type)
    figures_add([(adj.enterprise_id, adj.year, adj.indicator_type, "adjustments_t", adj.tonnes)])
    audit_record(actor=actor, action="deduction.reverse", obj=adj, org=enterprise,
                 after={**_snap(adj, ADJ_FIELDS), "reverses_penalty_id": penalty_id, "deduction": deduction.pk})
    notify(kind="allocations.adjustment", subject=_("Your %(type)s indicator for %(year)s was adjusted by %(t)s t")
           % {"type": adj.get_indicator_type_display(), "year": adj.year, "t": f"{adj.tonnes:+}"},
           body=adj.reason, orgs=[enterprise], dedup_key=f"adjustment:{adj.pk}")
    return adj
