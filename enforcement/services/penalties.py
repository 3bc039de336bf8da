"""The penalty workflow: notice of intended penalty, statement, decision, four-eyes approval or rejection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.audit import audit_record
from organizations.models import IndicatorType
from organizations.notifications import notify
from organizations.outbox import enqueue
from organizations.permissions import require
from organizations.selectors import membership_of
from quota_portal.errors import (
    Conflict,
    DeadlinePassed,
    DomainValidationError,
    InvalidTransition,
    NotFound,
    NotPermitted,
)
from quota_portal.quantities import ZERO, parse_tonnes
from quota_portal.transactions import service
from reporting.periods import BEIJING

from ..models import (
    Case,
    CaseStatus,
    DeductionStatus,
    Penalty,
    PenaltyDeduction,
    PenaltyStatus,
    Statement,
    StatementAttachment,
    ViolationType,
)
from ..selectors import penalty_default_deductions, penalty_fine_warnings, penalty_rule_in_force
from .cases import _case_url, _event, _in_scope, _lock_case
from .procedure import (
    assign_document_no,
    check_stated_deduction_year,
    default_deduction_year,
    hearing_blocks_decision,
    offer_hearing,
    settle_deduction_year,
)


def _cny(value, field: str, errors: dict, *, optional: bool = False) -> Decimal | None:
    """An amount of yuan to the fen (2 decimals); collects its message in ``errors``."""
    if value in (None, "") and optional:
        return None
    try:
        d = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = [_("Enter a number.")]
        return None
    if d < 0:
        errors[field] = [_("Cannot be negative.")]
        return None
    return d


@service
def penalty_propose(*, actor: User, case: Case, violation_type: str, violation_date: dt.date, fine_cny,
                    legal_basis: str = "", facts: str = "", illegal_income_cny=None,
                    deductions: Sequence[dict] | None = None, deduction_year: int | None = None,
                    now: dt.datetime | None = None) -> Penalty:
    """Issue the notice of intended penalty: the enterprise may state its case and defend itself within
    STATEMENT_PERIOD_DAYS days. ``deductions`` = [{"indicator_type", "tonnes"}] for the next year (None: the
    default of the rule in force on the violation date). Fines outside the rule's range are warnings.

    The deduction year is fixed when the decision takes effect (approval): the year after, or the later year
    ``deduction_year`` the decision states — never a past one. Where the fine reaches the hearing threshold or
    the penalty reduces indicators, the notice offers a hearing (听证)."""
    case = _lock_case(actor, case, "enforcement.propose_penalty")
    if case.status not in (CaseStatus.OPEN, CaseStatus.CORRECTION_ORDERED, CaseStatus.CORRECTED):
        raise InvalidTransition(_("A penalty can only be proposed on an open case."))
    errors: dict = {}
    if violation_type not in ViolationType.values:
        errors["violation_type"] = [_("Choose a violation type.")]
    if violation_date is None or violation_date > timezone.localdate():
        errors["violation_date"] = [_("The violation date cannot be in the future.")]
    fine = _cny(fine_cny, "fine_cny", errors)
    income = _cny(illegal_income_cny, "illegal_income_cny", errors, optional=True)
    now = now or timezone.now()
    try:
        stated_year = check_stated_deduction_year(deduction_year, now=now)
    except DomainValidationError as exc:
        errors.update(exc.errors)
        stated_year = None
    if errors:
        raise DomainValidationError(errors=errors)
    assert fine is not None  # no errors: the fine parsed
    rule = penalty_rule_in_force(violation_type=violation_type, on=violation_date)
    # provisional until the decision takes effect (settle_deduction_year on approval)
    year = stated_year or default_deduction_year(effective_at=now)
    if deductions is None:
        planned = penalty_default_deductions(case=case, rule=rule, year=year)
    else:
        planned = {}
        for i, d in enumerate(deductions):
            itype = d.get("indicator_type")
            if itype not in IndicatorType.values:
                errors[f"deductions[{i}].indicator_type"] = [_("Choose an indicator type.")]
                continue
            try:
                t = parse_tonnes(d.get("tonnes"), f"deductions[{i}].tonnes")
            except DomainValidationError as exc:  # more than 3 decimals is refused, never rounded
                errors.update(exc.errors)
                continue
            if t > 0:
                planned[itype] = planned.get(itype, ZERO) + t
        if errors:
            raise DomainValidationError(errors=errors)
    penalty = Penalty.objects.create(
        case=case, enterprise=case.enterprise, violation_type=violation_type, violation_date=violation_date,
        rule=rule, legal_basis=(legal_basis or "").strip() or (rule.legal_basis if rule else ""), facts=facts,
        fine_cny=fine, illegal_income_cny=income, deduction_year=year, deduction_year_stated=stated_year,
        fine_warnings=penalty_fine_warnings(rule=rule, fine_cny=fine, illegal_income_cny=income),
        proposed_by=actor, notice_issued_at=now,
        statement_due_at=now + dt.timedelta(days=settings.STATEMENT_PERIOD_DAYS),
    )
    if not penalty.legal_basis:
        raise DomainValidationError(errors={"legal_basis": [_("State the legal basis.")]})
    PenaltyDeduction.objects.bulk_create([
        PenaltyDeduction(penalty=penalty, enterprise=case.enterprise, year=year, indicator_type=t, tonnes=v)
        for t, v in sorted(planned.items())
    ])
    case.status = CaseStatus.PENALTY_PROPOSED
    case.save(update_fields=["status"])
    offer_hearing(penalty, notice_at=now, reduces_indicator=bool(planned))
    _event(case, actor, "penalty_notice", penalty.facts, penalty=penalty.pk, fine_cny=str(fine),
           deductions={k: str(v) for k, v in planned.items()},
           statement_due_at=penalty.statement_due_at.isoformat(),
           hearing_request_due=penalty.hearing_request_due.isoformat() if penalty.hearing_offered else None)
    audit_record(actor=actor, action="penalty.propose", obj=penalty, org=case.enterprise,
                 after={"violation_type": violation_type, "fine_cny": fine, "deduction_year": year,
                        "deduction_year_stated": stated_year, "hearing_offered": penalty.hearing_offered,
                        "deductions": {k: str(v) for k, v in planned.items()}, "rule": rule.pk if rule else None})
    due_local = penalty.statement_due_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    body = _("%(violation)s. Fine CNY %(fine)s. You have the right to state your case and defend yourself "
             "within %(days)s days.") % {"violation": penalty.get_violation_type_display(),
                                          "fine": f"{fine:,.2f}", "days": settings.STATEMENT_PERIOD_DAYS}
    if penalty.hearing_offered:
        body += " " + _("You may request a hearing (听证) until %(due)s.") % {"due": penalty.hearing_request_due}
    notify(kind="penalty_notice",
           subject=_("Notice of intended penalty — you may state your case until %(due)s") % {"due": due_local},
           body=body,
           url=_case_url(case), orgs=[case.enterprise], dedup_key=f"penalty:{penalty.pk}:notice")
    return penalty


@service
def statement_submit(*, actor: User, penalty: Penalty, text: str = "", waived: bool = False,
                     files: Sequence = (), now: dt.datetime | None = None) -> Statement:
    """The enterprise states its case and defends itself (or waives the right) before the period ends."""
    require(actor, "enforcement.submit_statement")
    penalty = Penalty.objects.select_for_update(of=("self",)).select_related("case").get(pk=penalty.pk)
    if not _in_scope(actor, penalty.enterprise_id):
        raise NotFound()

    if membership_of(actor).enterprise_id != penalty.enterprise_id:
        raise NotPermitted(_("Only the enterprise itself states its case."))
    now = now or timezone.now()
    if penalty.status != PenaltyStatus.NOTIFIED:
        raise InvalidTransition(_("The penalty has already been decided."))
    if Statement.objects.filter(penalty=penalty).exists():
        raise Conflict(_("A statement has already been submitted."))
    if now > penalty.statement_due_at:
        raise DeadlinePassed(_("The period to state your case has ended."))
    if not waived and not (text or "").strip():
        raise DomainValidationError(errors={"text": [_("Write your statement, or waive the right to be heard.")]})
    for i, f in enumerate(files):
        if f.size > settings.ATTACHMENT_MAX_BYTES:
            raise DomainValidationError(errors={f"files[{i}]": [_("The file is larger than allowed.")]})
    st = Statement.objects.create(penalty=penalty, submitted_by=actor, submitted_at=now, text=(text or "").strip(),
                                  waived=waived)
    for f in files:
        StatementAttachment.objects.create(statement=st, file=f, name=getattr(f, "name", "file")[:200], size=f.size)
    _event(penalty.case, actor, "statement", st.text, waived=waived, attachments=len(files))
    audit_record(actor=actor, action="penalty.statement", obj=penalty, org=penalty.enterprise,
                 after={"waived": waived, "attachments": len(files)})
    notify(kind="statement_received",
           subject=_("Statement received on case: %(title)s") % {"title": penalty.case.title},
           url=_case_url(penalty.case), users=[penalty.proposed_by], dedup_key=f"penalty:{penalty.pk}:statement")
    return st


@service
def penalty_decide(*, actor: User, penalty: Penalty, consideration: str, fine_cny: Decimal | None = None,
                   now: dt.datetime | None = None) -> Penalty:
    """Decide the penalty: only after the statement period has ended or the enterprise has answered; the
    decision records how the statement was considered. It takes effect on approval by a second person."""
    require(actor, "enforcement.decide_penalty")
    penalty = Penalty.objects.select_for_update(of=("self",)).select_related("case").get(pk=penalty.pk)
    if not _in_scope(actor, penalty.enterprise_id):
        raise NotFound()
    now = now or timezone.now()
    if penalty.status != PenaltyStatus.NOTIFIED:
        raise InvalidTransition(_("This penalty is not awaiting a decision."))
    statement = Statement.objects.filter(penalty=penalty).first()
    if statement is None and now <= penalty.statement_due_at:
        raise Conflict(_("The enterprise may state its case until %(due)s; decide after that or after its answer.")
                       % {"due": penalty.statement_due_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")},
                       code="statement_period_running")
    blocked = hearing_blocks_decision(penalty, now=now)
    if blocked:
        raise Conflict(blocked, code="hearing_pending")
    if not (consideration or "").strip():
        raise DomainValidationError(errors={"consideration": [
            _("Record how the statement was considered.") if statement and not statement.waived
            else _("Record the grounds of the decision.")]})
    notified_fine = penalty.fine_cny
    if fine_cny is not None and fine_cny != notified_fine:
        # the decision may lower the fine after the statement, never raise it (a heavier penalty needs a new notice)
        if fine_cny < 0 or fine_cny > notified_fine:
            raise DomainValidationError(errors={"fine_cny": [
                _("The decision cannot fine more than the notice (%(fine)s yuan); issue a new notice for a heavier "
                  "penalty.") % {"fine": f"{notified_fine:,.2f}"}]})
        penalty.fine_cny = fine_cny
    penalty.status, penalty.decided_by, penalty.decided_at, penalty.consideration = (
        PenaltyStatus.DECIDED, actor, now, consideration.strip())
    penalty.save(update_fields=["status", "decided_by", "decided_at", "consideration", "fine_cny"])
    _event(penalty.case, actor, "penalty_decided", penalty.consideration, penalty=penalty.pk)
    audit_record(actor=actor, action="penalty.decide", obj=penalty, org=penalty.enterprise,
                 before={"status": PenaltyStatus.NOTIFIED, "fine_cny": str(notified_fine)},
                 after={"status": penalty.status, "consideration": penalty.consideration,
                        "fine_cny": str(penalty.fine_cny)})
    return penalty


@service
def penalty_approve(*, actor: User, penalty: Penalty, now: dt.datetime | None = None) -> Penalty:
    """Four eyes: a second person (county reviewer or ministry approver, not the proposer or decider) approves;
    the penalty takes effect, gets its document number and payment due date, its deduction year is fixed (the
    year after it takes effect, or the later year it states) and its deductions wait for ``apply_deductions``."""
    require(actor, "enforcement.approve_penalty")
    penalty = (Penalty.objects.select_for_update(of=("self",)).select_related("case", "enterprise__county")
               .get(pk=penalty.pk))
    if not _in_scope(actor, penalty.enterprise_id):
        raise NotFound()
    if penalty.status != PenaltyStatus.DECIDED:
        raise InvalidTransition(_("Only a decided penalty can be approved."))
    if actor.pk in (penalty.proposed_by_id, penalty.decided_by_id):
        raise NotPermitted(_("A second person must approve the penalty (four eyes)."))
    now = now or timezone.now()
    settle_deduction_year(penalty, effective_at=now)
    assign_document_no(penalty, effective_at=now)
    penalty.status, penalty.approved_by, penalty.approved_at = PenaltyStatus.APPROVED, actor, now
    penalty.save(update_fields=["status", "approved_by", "approved_at", "deduction_year", "document_no",
                                "payment_due"])
    PenaltyDeduction.objects.filter(penalty=penalty, status=DeductionStatus.PLANNED).update(
        status=DeductionStatus.WAITING)
    case = Case.objects.select_for_update().get(pk=penalty.case_id)
    case.status = CaseStatus.PENALIZED
    case.save(update_fields=["status"])
    penalty.case = case
    _event(case, actor, "penalty_approved", "", penalty=penalty.pk)
    audit_record(actor=actor, action="penalty.approve", obj=penalty, org=penalty.enterprise,
                 before={"status": PenaltyStatus.DECIDED},
                 after={"status": penalty.status, "deduction_year": penalty.deduction_year,
                        "document_no": penalty.document_no, "payment_due": penalty.payment_due})
    notify(kind="penalty_decided",
           subject=_("Administrative penalty decided: %(violation)s") % {
               "violation": penalty.get_violation_type_display()},
           body=_("Fine CNY %(fine)s; next-year indicator deductions: %(ded)s.") % {
               "fine": f"{penalty.fine_cny:,.2f}",
               "ded": ", ".join(f"{d.get_indicator_type_display()} {d.tonnes} t" for d in penalty.deductions.all())
               or "—"},
           url=_case_url(case), orgs=[penalty.enterprise, penalty.enterprise.county],
           dedup_key=f"penalty:{penalty.pk}:decided")
    if penalty.deductions.exists():
        enqueue("enforcement.tasks.apply_deductions", {"year": penalty.deduction_year},
                dedup_key=f"deductions:{penalty.deduction_year}")
    return penalty


@service
def penalty_reject(*, actor: User, penalty: Penalty, reason: str) -> Penalty:
    """The second person refuses the decision; the case returns to open and a new penalty may be proposed."""
    require(actor, "enforcement.approve_penalty")
    penalty = Penalty.objects.select_for_update().get(pk=penalty.pk)
    if not _in_scope(actor, penalty.enterprise_id):
        raise NotFound()
    if penalty.status != PenaltyStatus.DECIDED:
        raise InvalidTransition(_("Only a decided penalty can be rejected."))
    if actor.pk in (penalty.proposed_by_id, penalty.decided_by_id):
        raise NotPermitted(_("A second person must review the penalty (four eyes)."))
    if not (reason or "").strip():
        raise DomainValidationError(errors={"reason": [_("Give the reason.")]})
    penalty.status, penalty.rejection_reason = PenaltyStatus.REJECTED, reason.strip()
    penalty.save(update_fields=["status", "rejection_reason"])
    Case.objects.filter(pk=penalty.case_id).update(status=CaseStatus.OPEN)
    _event(penalty.case, actor, "penalty_rejected", reason, penalty=penalty.pk)
    audit_record(actor=actor, action="penalty.reject", obj=penalty, org=penalty.enterprise,
                 before={"status": PenaltyStatus.DECIDED}, after={"status": penalty.status, "reason": reason})
    return penalty
