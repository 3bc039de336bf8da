"""The administrative procedure of a penalty as the Administrative Penalty Law has it: the hearing right (听证),
the deduction year (the year after the decision takes effect), the decision document (行政处罚决定书), payment of
the fine, reconsideration (复议) and litigation (诉讼) with annulment reversing deductions exactly once, and
escalation when an order to correct is refused.

Deductions are changed in allocations only through its services (``record_deduction``, ``deduction_reverse``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from allocations.services import deduction_reverse
from allocations.workdays import add_working_days
from organizations.audit import audit_record
from organizations.models import Enterprise
from organizations.notifications import notify
from organizations.outbox import enqueue
from organizations.permissions import require
from organizations.selectors import enterprise_q, membership_of
from quota_portal.errors import (
    Conflict,
    DeadlinePassed,
    DomainValidationError,
    InvalidTransition,
    NotFound,
    NotPermitted,
)
from quota_portal.transactions import service
from reporting.annual import annual_due_at, annual_expected_enterprises
from reporting.models import AnnualReport
from reporting.periods import BEIJING

from ..models import (
    Case,
    CaseEvent,
    CaseOrigin,
    CaseStatus,
    DeductionStatus,
    FlagKind,
    Hearing,
    JobRun,
    JobStatus,
    Penalty,
    PenaltyDeduction,
    PenaltyReview,
    PenaltyStatus,
    ReviewKind,
    ReviewOutcome,
    Statement,
)
from .scans import _store_flags

RECONSIDERATION_DAYS = 60  # Administrative Reconsideration Law art. 20
LITIGATION_MONTHS = 6  # Administrative Litigation Law art. 46


def _event(case: Case, actor, kind: str, text: str = "", **data) -> CaseEvent:
    return CaseEvent.objects.create(case=case, actor=actor if actor and actor.is_authenticated else None,
                                    kind=kind, text=text, data=data)


def _case_url(case_id: int) -> str:
    return reverse("enforcement:case-detail", args=[case_id])


def _in_scope(actor, enterprise_id: int) -> bool:
    return Enterprise.objects.filter(enterprise_q(actor), pk=enterprise_id).exists()


def _lock_penalty(actor, penalty: Penalty, perm: str) -> Penalty:
    require(actor, perm)
    penalty = Penalty.objects.select_for_update(of=("self",)).select_related("case", "enterprise__county").get(
        pk=penalty.pk)
    if not _in_scope(actor, penalty.enterprise_id):
        raise NotFound()
    return penalty


# --- deduction year --------------------------------------------------------------------------------------


def beijing_year(at: dt.datetime) -> int:
    return at.astimezone(BEIJING).year


def default_deduction_year(*, effective_at: dt.datetime) -> int:
    """The year after the decision takes effect (its approval, Beijing time)."""
    return beijing_year(effective_at) + 1


def check_stated_deduction_year(value, *, now: dt.datetime) -> int | None:
    """A deduction year stated in the decision: a later year, never this one or a past one (None: the default)."""
    if value in (None, ""):
        return None
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise DomainValidationError(errors={"deduction_year": [_("Enter a year.")]})
    first = beijing_year(now) + 1
    if not first <= year <= 2100:
        raise DomainValidationError(errors={"deduction_year": [
            _("The deduction year cannot be %(year)s: it is the year after the decision takes effect (%(first)s) or "
              "a later year, never a past one.") % {"year": year, "first": first}]})
    return year


def settle_deduction_year(penalty: Penalty, *, effective_at: dt.datetime) -> int:
    """On approval: fix the deduction year (stated, or the default) and move the planned deductions to it."""
    default = default_deduction_year(effective_at=effective_at)
    year = penalty.deduction_year_stated or default
    if year < default:
        raise DomainValidationError(errors={"deduction_year": [
            _("The decision states %(year)s, which has passed by the time it takes effect; the earliest deduction "
              "year is %(first)s.") % {"year": year, "first": default}]})
    if year != penalty.deduction_year:
        PenaltyDeduction.objects.filter(penalty=penalty, status=DeductionStatus.PLANNED).update(year=year)
        penalty.deduction_year = year
    return year


def correct_legacy_deduction_years(penalty_model=Penalty, deduction_model=PenaltyDeduction,
                                   actor=None) -> list[dict]:
    """Data correction (migration 0006): waiting deductions computed the old way — the year after the *violation*
    — move to the year after the decision took effect. Each change is audited (before → after) and returned."""
    changes = []
    rows = (deduction_model.objects.filter(status=DeductionStatus.WAITING, penalty__approved_at__isnull=False,
                                           penalty__deduction_year_stated__isnull=True)
            .select_related("penalty").order_by("pk"))
    for d in rows:
        p = d.penalty
        if d.year != p.violation_date.year + 1:
            continue  # not computed the old way (stated or already corrected)
        new_year = beijing_year(p.approved_at) + 1
        if new_year == d.year:
            continue
        old_year = d.year
        d.year = new_year
        d.save(update_fields=["year"])
        if p.deduction_year != new_year:
            penalty_model.objects.filter(pk=p.pk).update(deduction_year=new_year)
        change = {"deduction": d.pk, "penalty": p.pk, "indicator_type": d.indicator_type, "tonnes": str(d.tonnes),
                  "violation_date": p.violation_date.isoformat(), "approved_at": p.approved_at.isoformat()}
        audit_record(actor=actor, action="deduction.year_corrected", obj=d,
                     before={**change, "year": old_year}, after={**change, "year": new_year,
                                                                 "reason": "year after the decision took effect"})
        changes.append({**change, "from": old_year, "to": new_year})
    return changes


# --- hearing (听证) ----------------------------------------------------------------------------------------


def hearing_fine_threshold(on: dt.date) -> Decimal | None:
    """The fine at or above which a hearing is offered, in force on ``on`` (HEARING_FINE_THRESHOLDS)."""
    best: tuple[dt.date, Decimal] | None = None
    for part in str(settings.HEARING_FINE_THRESHOLDS).split(","):
        if ":" not in part:
            continue
        since, amount = part.strip().split(":", 1)
        start = dt.date.fromisoformat(since.strip())
        if start <= on and (best is None or start > best[0]):
            best = (start, Decimal(amount.strip()))
    return best[1] if best else None


def hearing_applies(*, fine_cny: Decimal, reduces_indicator: bool, suspends_production: bool = False,
                    on: dt.date) -> bool:
    threshold = hearing_fine_threshold(on)
    return bool(reduces_indicator or suspends_production or (threshold is not None and fine_cny >= threshold))


def offer_hearing(penalty: Penalty, *, notice_at: dt.datetime, reduces_indicator: bool) -> None:
    """Called when the notice is issued: offer the hearing where the law requires it, with the request deadline
    (HEARING_REQUEST_WORKING_DAYS working days of the official calendar)."""
    day = notice_at.astimezone(BEIJING).date()
    if hearing_applies(fine_cny=penalty.fine_cny, reduces_indicator=reduces_indicator, on=day):
        penalty.hearing_offered = True
        penalty.hearing_request_due = add_working_days(day, settings.HEARING_REQUEST_WORKING_DAYS).date
        penalty.save(update_fields=["hearing_offered", "hearing_request_due"])


def hearing_blocks_decision(penalty: Penalty, *, now: dt.datetime) -> str | None:
    """Why the penalty cannot be decided yet because of the hearing right, or None."""
    if not penalty.hearing_offered:
        return None
    hearing = Hearing.objects.filter(penalty=penalty).first()
    if hearing is None:
        # A statement that waives "the right to be heard" (陈述、申辩) waives the hearing with it.
        if Statement.objects.filter(penalty=penalty, waived=True).exists():
            return None
        if penalty.hearing_request_due and now.astimezone(BEIJING).date() <= penalty.hearing_request_due:
            return _("The enterprise may request a hearing until %(due)s; decide after that, or after it waives.") % {
                "due": penalty.hearing_request_due}
        return None
    if hearing.pending:
        return _("A hearing was requested and has not been held yet; no decision before it is held or waived.")
    return None


@service
def hearing_request(*, actor: User, penalty: Penalty, waive: bool = False,
                    now: dt.datetime | None = None) -> Hearing:
    """The enterprise requests a hearing (or waives it) within the working-day deadline."""
    penalty = _lock_penalty(actor, penalty, "enforcement.submit_statement")
    m = membership_of(actor)
    if m is None or m.enterprise_id != penalty.enterprise_id:
        raise NotPermitted(_("Only the enterprise itself requests a hearing."))
    now = now or timezone.now()
    if not penalty.hearing_offered:
        raise InvalidTransition(_("No hearing was offered for this penalty."))
    if penalty.status != PenaltyStatus.NOTIFIED:
        raise InvalidTransition(_("The penalty has already been decided."))
    if Hearing.objects.filter(penalty=penalty).exists():
        raise Conflict(_("A hearing has already been requested or waived."), code="hearing_exists")
    if penalty.hearing_request_due is None or now.astimezone(BEIJING).date() > penalty.hearing_request_due:
        raise DeadlinePassed(_("The period to request a hearing ended on %(due)s.")
                             % {"due": penalty.hearing_request_due})
    hearing = Hearing.objects.create(penalty=penalty, requested_by=actor, requested_at=now, waived=waive)
    _event(penalty.case, actor, "hearing_waived" if waive else "hearing_requested", "", penalty=penalty.pk)
    audit_record(actor=actor, action="hearing.waive" if waive else "hearing.request", obj=penalty,
                 org=penalty.enterprise, after={"waived": waive, "at": now})
    if not waive:
        notify(kind="hearing_requested", users=[penalty.proposed_by], url=_case_url(penalty.case_id),
               subject=_("Hearing requested on case: %(title)s") % {"title": penalty.case.title},
               dedup_key=f"penalty:{penalty.pk}:hearing")
    return hearing


@service
def hearing_schedule(*, actor: User, penalty: Penalty, scheduled_for: dt.datetime, participants: str = "") -> Hearing:
    penalty = _lock_penalty(actor, penalty, "enforcement.decide_penalty")
    hearing = Hearing.objects.select_for_update().filter(penalty=penalty).first()
    if hearing is None or not hearing.pending:
        raise InvalidTransition(_("There is no pending hearing to schedule."))
    if scheduled_for is None:
        raise DomainValidationError(errors={"scheduled_for": [_("Give the date and time of the hearing.")]})
    hearing.scheduled_for, hearing.participants = scheduled_for, (participants or "").strip()
    hearing.save(update_fields=["scheduled_for", "participants"])
    _event(penalty.case, actor, "hearing_scheduled", hearing.participants, penalty=penalty.pk,
           scheduled_for=scheduled_for.isoformat())
    audit_record(actor=actor, action="hearing.schedule", obj=penalty, org=penalty.enterprise,
                 after={"scheduled_for": scheduled_for, "participants": hearing.participants})
    notify(kind="hearing_scheduled", orgs=[penalty.enterprise], url=_case_url(penalty.case_id),
           subject=_("Your hearing is scheduled for %(at)s") % {
               "at": scheduled_for.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")})
    return hearing


@service
def hearing_record(*, actor: User, penalty: Penalty, record: str, participants: str = "",
                   held_at: dt.datetime | None = None) -> Hearing:
    """Record the hearing held: participants and the record (笔录). The decision may follow."""
    penalty = _lock_penalty(actor, penalty, "enforcement.decide_penalty")
    hearing = Hearing.objects.select_for_update().filter(penalty=penalty).first()
    if hearing is None or not hearing.pending:
        raise InvalidTransition(_("There is no pending hearing to record."))
    errors = {}
    if not (record or "").strip():
        errors["record"] = [_("Write the hearing record.")]
    if not ((participants or "").strip() or hearing.participants):
        errors["participants"] = [_("Name the participants.")]
    if errors:
        raise DomainValidationError(errors=errors)
    hearing.record, hearing.held_at = record.strip(), held_at or timezone.now()
    if (participants or "").strip():
        hearing.participants = participants.strip()
    hearing.save(update_fields=["record", "held_at", "participants"])
    _event(penalty.case, actor, "hearing_held", hearing.record, penalty=penalty.pk)
    audit_record(actor=actor, action="hearing.record", obj=penalty, org=penalty.enterprise,
                 after={"held_at": hearing.held_at, "participants": hearing.participants})
    return hearing


# --- decision document and payment -----------------------------------------------------------------------


def assign_document_no(penalty: Penalty, *, effective_at: dt.datetime) -> str:
    """The decision's document number: "<county code>罚决〔<year>〕<n>号", n counting the county's decisions of
    the year (under the caller's lock on the penalty; a unique index backs it)."""
    year = beijing_year(effective_at)
    prefix = f"{penalty.enterprise.county.code}罚决〔{year}〕"
    last = (Penalty.objects.filter(document_no__startswith=prefix).aggregate(m=Max("document_no"))["m"] or "")
    try:
        n = int(last[len(prefix):].rstrip("号")) + 1 if last else 1
    except ValueError:
        n = Penalty.objects.filter(document_no__startswith=prefix).count() + 1
    penalty.document_no = f"{prefix}{n:04d}号"
    penalty.payment_due = (effective_at.astimezone(BEIJING).date()
                           + dt.timedelta(days=settings.FINE_PAYMENT_DAYS)) if penalty.fine_cny > 0 else None
    return penalty.document_no


def decision_document(penalty: Penalty) -> dict:
    """What the decision document states: number, facts, basis, fine, deduction, rights and their time limits."""
    effective = penalty.approved_at
    rights_from = effective.astimezone(BEIJING).date() if effective else None
    return {
        "penalty": penalty, "enterprise": penalty.enterprise, "county": penalty.enterprise.county,
        "deductions": list(penalty.deductions.order_by("indicator_type")),
        "reconsideration_days": RECONSIDERATION_DAYS, "litigation_months": LITIGATION_MONTHS,
        "reconsideration_until": rights_from + dt.timedelta(days=RECONSIDERATION_DAYS) if rights_from else None,
        "litigation_until": _add_months(rights_from, LITIGATION_MONTHS) if rights_from else None,
        "hearing": Hearing.objects.filter(penalty=penalty).first(),
    }


def _add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    y, m = day.year + m // 12, m % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(y, m, d)
        except ValueError:
            continue
    return dt.date(y, m, 28)


@service
def payment_record(*, actor: User, penalty: Penalty, receipt_no: str, paid_on: dt.date | None = None) -> Penalty:
    """Record the payment of the fine with its receipt number (once; a receipt number is used once)."""
    penalty = _lock_penalty(actor, penalty, "enforcement.manage_case")
    receipt_no = (receipt_no or "").strip()
    if not receipt_no:
        raise DomainValidationError(errors={"receipt_no": [_("Enter the receipt number.")]})
    if penalty.status != PenaltyStatus.APPROVED or penalty.fine_cny <= 0:
        raise InvalidTransition(_("Only the fine of a penalty in effect can be paid."))
    if penalty.paid_at is not None:
        raise Conflict(_("The payment of this fine is already recorded (receipt %(no)s).")
                       % {"no": penalty.receipt_no}, code="already_paid")
    if Penalty.objects.filter(receipt_no=receipt_no).exists():
        raise DomainValidationError(errors={"receipt_no": [_("This receipt number is already recorded for another "
                                                             "penalty.")]})
    paid_at = (dt.datetime.combine(paid_on, dt.time(12), tzinfo=BEIJING) if paid_on else timezone.now())
    penalty.paid_at, penalty.receipt_no = paid_at, receipt_no
    try:
        with transaction.atomic():
            penalty.save(update_fields=["paid_at", "receipt_no"])
    except IntegrityError:
        raise DomainValidationError(errors={"receipt_no": [_("This receipt number is already recorded for another "
                                                             "penalty.")]})
    _event(penalty.case, actor, "payment_recorded", "", penalty=penalty.pk, receipt_no=receipt_no)
    audit_record(actor=actor, action="penalty.paid", obj=penalty, org=penalty.enterprise,
                 after={"paid_at": paid_at, "receipt_no": receipt_no})
    return penalty


def payment_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind enterprises whose fine is overdue (once per penalty: the dedup key)."""
    today = today or timezone.localdate()
    sent = 0
    for p in (Penalty.objects.filter(status=PenaltyStatus.APPROVED, fine_cny__gt=0, paid_at__isnull=True,
                                     payment_due__lt=today).select_related("enterprise").order_by("pk")):
        sent += len(notify(
            kind="fine_overdue", orgs=[p.enterprise], url=_case_url(p.case_id),
            subject=_("Your fine of CNY %(fine)s (%(no)s) was due on %(due)s and is unpaid")
            % {"fine": f"{p.fine_cny:,.2f}", "no": p.document_no, "due": p.payment_due},
            dedup_key=f"penalty:{p.pk}:overdue") or [])
    return sent


# --- reconsideration and litigation ------------------------------------------------------------------------


@service
def review_file(*, actor: User, penalty: Penalty, kind: str, filed_on: dt.date, body: str) -> PenaltyReview:
    """Record that the enterprise applied for reconsideration or brought a suit against the decision."""
    penalty = _lock_penalty(actor, penalty, "enforcement.manage_case")
    errors = {}
    if kind not in ReviewKind.values:
        errors["kind"] = [_("Choose reconsideration or litigation.")]
    if not (body or "").strip():
        errors["body"] = [_("Name the reviewing body or the court.")]
    if filed_on is None or filed_on > timezone.localdate():
        errors["filed_on"] = [_("Give the filing date (not in the future).")]
    if errors:
        raise DomainValidationError(errors=errors)
    if penalty.status != PenaltyStatus.APPROVED:
        raise InvalidTransition(_("Only a penalty in effect can be reviewed."))
    review = PenaltyReview.objects.create(penalty=penalty, kind=kind, filed_on=filed_on, body=body.strip(),
                                          recorded_by=actor)
    _event(penalty.case, actor, "review_filed", review.body, penalty=penalty.pk, review_kind=kind,
           filed_on=filed_on.isoformat())
    audit_record(actor=actor, action="penalty.review_file", obj=penalty, org=penalty.enterprise,
                 after={"review": review.pk, "kind": kind, "filed_on": filed_on, "body": review.body})
    return review


@service
def review_decide(*, actor: User, review: PenaltyReview, outcome: str, decided_on: dt.date,
                  text: str = "") -> PenaltyReview:
    """Record the outcome. Annulled: the penalty is annulled, its waiting deductions are cancelled and its applied
    ones are reversed through an allocations adjustment (by the ``reverse_deductions`` job, exactly once)."""
    review = PenaltyReview.objects.select_for_update().get(pk=review.pk)
    penalty = _lock_penalty(actor, review.penalty, "enforcement.manage_case")
    if review.outcome != ReviewOutcome.PENDING:
        raise InvalidTransition(_("The outcome of this review is already recorded."))
    errors = {}
    if outcome not in (ReviewOutcome.UPHELD, ReviewOutcome.ANNULLED, ReviewOutcome.WITHDRAWN):
        errors["outcome"] = [_("Choose upheld, annulled or withdrawn.")]
    if decided_on is None or decided_on < review.filed_on:
        errors["decided_on"] = [_("Give the date of the outcome (not before the filing).")]
    if errors:
        raise DomainValidationError(errors=errors)
    review.outcome, review.outcome_on, review.outcome_text = outcome, decided_on, (text or "").strip()
    review.save(update_fields=["outcome", "outcome_on", "outcome_text"])
    _event(penalty.case, actor, "review_decided", review.outcome_text, penalty=penalty.pk, outcome=outcome)
    audit_record(actor=actor, action="penalty.review_decide", obj=penalty, org=penalty.enterprise,
                 after={"review": review.pk, "outcome": outcome, "decided_on": decided_on})
    if outcome == ReviewOutcome.ANNULLED:
        _annul(actor, penalty, review)
    return review


def _annul(actor, penalty: Penalty, review: PenaltyReview) -> None:
    if penalty.status == PenaltyStatus.ANNULLED:
        return
    now = timezone.now()
    penalty.status, penalty.annulled_at = PenaltyStatus.ANNULLED, now
    penalty.save(update_fields=["status", "annulled_at"])
    cancelled = list(PenaltyDeduction.objects.select_for_update().filter(
        penalty=penalty, status__in=[DeductionStatus.PLANNED, DeductionStatus.WAITING]).order_by("pk"))
    for d in cancelled:
        d.status = DeductionStatus.CANCELLED
        d.save(update_fields=["status"])
        _event(penalty.case, actor, "deduction_cancelled", "", year=d.year, indicator_type=d.indicator_type,
               tonnes=str(d.tonnes))
    to_reverse = PenaltyDeduction.objects.filter(penalty=penalty, status=DeductionStatus.APPLIED).update(
        status=DeductionStatus.REVERSAL_PENDING)
    _event(penalty.case, actor, "penalty_annulled", review.outcome_text, penalty=penalty.pk, review=review.pk)
    audit_record(actor=actor, action="penalty.annul", obj=penalty, org=penalty.enterprise,
                 before={"status": PenaltyStatus.APPROVED},
                 after={"status": PenaltyStatus.ANNULLED, "cancelled": [d.pk for d in cancelled],
                        "to_reverse": to_reverse})
    notify(kind="penalty_annulled", orgs=[penalty.enterprise, penalty.enterprise.county],
           url=_case_url(penalty.case_id),
           subject=_("Penalty %(no)s annulled on review") % {"no": penalty.document_no or f"#{penalty.pk}"})
    if to_reverse:
        enqueue("enforcement.tasks.reverse_deductions", {}, dedup_key="reverse-deductions")


def deduction_reverse_annulled(*, task_id: str = "") -> int:
    """Reverse the applied deductions of annulled penalties through allocations, once each.

    Claimed with SELECT … FOR UPDATE SKIP LOCKED and marked reversed in the same transaction; the allocations
    service is itself unique on (penalty, year, type), so a second or concurrent run adds nothing."""
    run = JobRun.objects.create(job="reverse_deductions", task_id=task_id or "")
    ids = list(PenaltyDeduction.objects.filter(status=DeductionStatus.REVERSAL_PENDING).order_by("pk")
               .values_list("pk", flat=True))
    JobRun.objects.filter(pk=run.pk).update(total=len(ids))
    done = 0
    for pk in ids:
        with transaction.atomic():
            d = (PenaltyDeduction.objects.select_for_update(skip_locked=True, of=("self",))
                 .select_related("penalty__case", "enterprise")
                 .filter(pk=pk, status=DeductionStatus.REVERSAL_PENDING).first())
            if d is None:
                continue
            review = d.penalty.reviews.filter(outcome=ReviewOutcome.ANNULLED).select_related("recorded_by").first()
            actor = review.recorded_by if review else d.penalty.approved_by
            deduction_reverse(actor=actor, enterprise=d.enterprise, year=d.year, indicator_type=d.indicator_type,
                              penalty_id=d.penalty_id,
                              reason=_("Penalty %(no)s annulled on review: deduction reversed")
                              % {"no": d.penalty.document_no or f"#{d.penalty_id}"})
            d.status, d.reversed_at = DeductionStatus.REVERSED, timezone.now()
            d.save(update_fields=["status", "reversed_at"])
            _event(d.penalty.case, None, "deduction_reversed", "", year=d.year, indicator_type=d.indicator_type,
                   tonnes=str(d.tonnes))
            done += 1
    JobRun.objects.filter(pk=run.pk).update(status=JobStatus.DONE, done=len(ids), created=done,
                                            finished_at=timezone.now())
    return done


# --- escalation ------------------------------------------------------------------------------------------


@service
def case_escalate(*, actor: User, case: Case, reason: str, now: dt.datetime | None = None) -> Case:
    """The enterprise refused to correct after an order (the deadline passed without a correction): open a
    further case (suspension and higher fines become possible), linked to the first."""
    require(actor, "enforcement.open_case")
    case = Case.objects.select_for_update().select_related("enterprise__county").get(pk=case.pk)
    if not _in_scope(actor, case.enterprise_id):
        raise NotFound()
    if not (reason or "").strip():
        raise DomainValidationError(errors={"reason": [_("Say how the enterprise refused to correct.")]})
    today = (now or timezone.now()).astimezone(BEIJING).date()
    if case.status != CaseStatus.CORRECTION_ORDERED or case.correction_deadline is None:
        raise InvalidTransition(_("Only a case with an order to correct that was not complied with can be "
                                  "escalated."))
    if today <= case.correction_deadline:
        raise InvalidTransition(_("The enterprise may correct until %(d)s.") % {"d": case.correction_deadline})
    if case.escalations.exists():
        raise Conflict(_("This case has already been escalated."), code="already_escalated")
    new = Case.objects.create(
        enterprise=case.enterprise, origin=CaseOrigin.REFUSED_CORRECTION, escalated_from=case,
        title=(_("Refused to correct — %(title)s") % {"title": case.title})[:200],
        description=reason.strip(), opened_by=actor)
    _event(case, actor, "escalated", reason.strip(), to_case=new.pk)
    _event(new, actor, "opened", reason.strip(), origin=CaseOrigin.REFUSED_CORRECTION, escalated_from=case.pk)
    audit_record(actor=actor, action="case.escalate", obj=new, org=case.enterprise,
                 after={"escalated_from": case.pk, "reason": reason.strip()})
    notify(kind="case_opened", orgs=[case.enterprise], url=_case_url(new.pk),
           subject=_("A further case has been opened: %(title)s") % {"title": new.title},
           dedup_key=f"case:{new.pk}")
    return new


# --- annual report flags -----------------------------------------------------------------------------------


def flag_scan_annual_reports(*, now: dt.datetime | None = None) -> int:
    """Yearly flags (month 0, subject "annual_report") for last year's annual reports once ANNUAL_REPORT_DUE has
    passed: ``missing`` without a submitted version, ``late`` for a first submission after the deadline.
    Idempotent through the flags' natural key."""
    now = now or timezone.now()
    year = now.astimezone(BEIJING).year - 1
    due = annual_due_at(year)
    if now <= due:
        return 0
    first = dict(AnnualReport.objects.filter(year=year, submitted_at__isnull=False).values("enterprise_id")
                 .annotate(first=Min("submitted_at")).values_list("enterprise_id", "first"))
    details = {"due_at": due.astimezone(BEIJING).isoformat()}
    rows = [{"kind": FlagKind.MISSING, "enterprise_id": pk, "year": year, "month": 0, "subject": "annual_report",
             "details": details}
            for pk in annual_expected_enterprises(year).values_list("pk", flat=True) if pk not in first]
    rows += [{"kind": FlagKind.LATE, "enterprise_id": pk, "year": year, "month": 0, "subject": "annual_report",
              "details": {**details, "submitted_at": at.astimezone(BEIJING).isoformat()}}
             for pk, at in first.items() if at > due]
    return _store_flags(rows)
