"""Certification means locked: correction requests on a certified month, supplementary report requests, and the
county's review deadline in working days (official calendar)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from allocations.workdays import add_working_days
from organizations.audit import audit_record
from organizations.models import Authority, Level
from organizations.notifications import notify
from organizations.permissions import require
from organizations.selectors import membership_of, scope_queryset
from quota_portal.errors import Conflict, DomainValidationError, InvalidTransition, NotPermitted
from quota_portal.transactions import service

from .annual import year_is_closed
from .models import (
    CorrectionRequest,
    MonthlyReport,
    PeriodCertification,
    ReportStatus,
    RequestStatus,
    SupplementaryRequest,
)
from .periods import BEIJING
from .permissions import require_reviewer
from .services import _reopen


def _county_cert(report: MonthlyReport) -> PeriodCertification | None:
    return PeriodCertification.objects.filter(authority_id=report.enterprise.county_id, year=report.year,
                                              month=report.month, certified=True).first()


@service
def correction_request(*, actor: User, report: MonthlyReport, reason: str,
                       now: dt.datetime | None = None) -> CorrectionRequest:
    """An enterprise asks to correct its accepted report of a certified month (it cannot amend it directly)."""
    require(actor, "reporting.file")
    report = MonthlyReport.objects.select_for_update(of=("self",)).select_related("enterprise__county").get(
        pk=report.pk)
    m = membership_of(actor)
    if m is None or m.enterprise_id != report.enterprise_id:
        raise NotPermitted(_("Only the enterprise's own staff can file its reports."))
    if not (reason or "").strip():
        raise DomainValidationError(errors={"reason": [_("Say what must be corrected and why.")]})
    if _county_cert(report) is None:
        raise InvalidTransition(_("%(period)s is not certified: amend the report directly, no correction request "
                                  "is needed.") % {"period": report.period})
    if report.status != ReportStatus.ACCEPTED or not report.is_current:
        raise InvalidTransition(_("A correction is requested on the current accepted report."))
    try:
        with transaction.atomic():
            req = CorrectionRequest.objects.create(report=report, reason=reason.strip(), requested_by=actor,
                                                   requested_at=now or timezone.now())
    except IntegrityError:
        raise Conflict(_("A correction request for this report is already pending."), code="correction_pending")
    audit_record(actor=actor, action="correction.request", obj=report, org=report.enterprise,
                 after={"request": req.pk, "reason": req.reason})
    notify(kind="correction_requested", orgs=[report.enterprise.county],
           subject=_("%(enterprise)s requests a correction of %(period)s") % {"enterprise": report.enterprise,
                                                                                "period": report.period},
           body=req.reason, url=f"/reports/{report.pk}/")
    return req


def _lock_request(req: CorrectionRequest) -> CorrectionRequest:
    return (CorrectionRequest.objects.select_for_update(of=("self",))
            .select_related("report__enterprise__county").get(pk=req.pk))


@service
def correction_grant(*, actor: User, request: CorrectionRequest, reason: str = "",
                     now: dt.datetime | None = None) -> CorrectionRequest:
    """The county grants a correction: the month re-opens for the county and, with notice, the levels above;
    the enterprise may then amend."""
    req = _lock_request(request)
    require_reviewer(actor, req.report)
    if req.status != RequestStatus.PENDING:
        raise InvalidTransition(_("This correction request has already been decided."))
    if year_is_closed(req.report.year):
        raise Conflict(_("The ministry has closed %(year)s; its figures change only after a recorded re-opening.")
                       % {"year": req.report.year}, code="year_closed")
    now = now or timezone.now()
    req.status, req.decided_by, req.decided_at = RequestStatus.GRANTED, actor, now
    req.decision_reason = (reason or "").strip()
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    cert = _county_cert(req.report)
    reopened = []
    if cert is not None:
        reopened = _reopen(actor=actor, certification=cert, now=now, reason=_(
            "Correction granted to %(enterprise)s for %(period)s.") % {"enterprise": req.report.enterprise,
                                                                        "period": req.report.period})
    audit_record(actor=actor, action="correction.grant", obj=req.report, org=req.report.enterprise,
                 after={"request": req.pk, "reopened": [c.authority.code for c in reopened]})
    notify(kind="correction_granted", orgs=[req.report.enterprise],
           subject=_("Correction of %(period)s granted: you may amend the report") % {"period": req.report.period},
           body=req.decision_reason, url=f"/reports/{req.report_id}/")
    above = [c.authority for c in reopened if c.authority_id != req.report.enterprise.county_id]
    if above:
        notify(kind="period_reopened", orgs=above,
               subject=_("%(period)s re-opened: correction granted to %(enterprise)s")
               % {"period": req.report.period, "enterprise": req.report.enterprise},
               url="/reports/certification/")
    return req


@service
def correction_refuse(*, actor: User, request: CorrectionRequest, reason: str,
                      now: dt.datetime | None = None) -> CorrectionRequest:
    req = _lock_request(request)
    require_reviewer(actor, req.report)
    if req.status != RequestStatus.PENDING:
        raise InvalidTransition(_("This correction request has already been decided."))
    if not (reason or "").strip():
        raise DomainValidationError(errors={"reason": [_("Give the reason for refusing.")]})
    req.status, req.decided_by, req.decided_at = RequestStatus.REFUSED, actor, now or timezone.now()
    req.decision_reason = reason.strip()
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(actor=actor, action="correction.refuse", obj=req.report, org=req.report.enterprise,
                 after={"request": req.pk, "reason": req.decision_reason})
    notify(kind="correction_refused", orgs=[req.report.enterprise], body=req.decision_reason,
           subject=_("Correction of %(period)s refused") % {"period": req.report.period},
           url=f"/reports/{req.report_id}/")
    return req


@service
def supplementary_request(*, actor: User, report: MonthlyReport, text: str,
                          now: dt.datetime | None = None) -> SupplementaryRequest:
    """A reviewer asks for a supplementary report on an accepted report."""
    report = MonthlyReport.objects.select_related("enterprise__county").get(pk=report.pk)
    require_reviewer(actor, report)
    if report.status != ReportStatus.ACCEPTED:
        raise InvalidTransition(_("A supplementary report is asked for on an accepted report."))
    if not (text or "").strip():
        raise DomainValidationError(errors={"text": [_("Say what the supplementary report must contain.")]})
    req = SupplementaryRequest.objects.create(report=report, text=text.strip(), requested_by=actor,
                                              requested_at=now or timezone.now())
    audit_record(actor=actor, action="supplementary.request", obj=report, org=report.enterprise,
                 after={"request": req.pk, "text": req.text})
    notify(kind="supplementary_requested", orgs=[report.enterprise], body=req.text,
           subject=_("Supplementary report requested for %(period)s") % {"period": report.period},
           url=f"/reports/{report.pk}/")
    return req


def correction_list(*, user, status: str = "") -> QuerySet[CorrectionRequest]:
    qs = scope_queryset(user, CorrectionRequest.objects.select_related("report__enterprise", "requested_by"),
                        enterprise_field="report__enterprise")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-requested_at", "-id")


# --- review deadline ---------------------------------------------------------------------------------


def review_due_date(submitted_at: dt.datetime) -> dt.date:
    """The last day to review a report submitted at ``submitted_at``: REVIEW_WORKING_DAYS working days later."""
    return add_working_days(submitted_at.astimezone(BEIJING).date(), settings.REVIEW_WORKING_DAYS).date


def review_overdue(report: MonthlyReport, *, today: dt.date | None = None) -> bool:
    if report.status != ReportStatus.SUBMITTED or report.submitted_at is None:
        return False
    return (today or timezone.localdate()) > review_due_date(report.submitted_at)


def overdue_reviews(*, user=None, today: dt.date | None = None,
                    authority: Authority | None = None) -> list[MonthlyReport]:
    """Submitted reports whose review deadline has passed (in the user's scope, or under ``authority``)."""
    today = today or timezone.localdate()
    qs = MonthlyReport.objects.filter(status=ReportStatus.SUBMITTED).select_related("enterprise__county")
    if user is not None:
        qs = scope_queryset(user, qs)
    if authority is not None:
        qs = qs.filter(enterprise__county__path__startswith=authority.path)
    # Only reports submitted more than REVIEW_WORKING_DAYS calendar days ago can be overdue (a cheap pre-filter).
    cutoff = dt.datetime.combine(today - dt.timedelta(days=settings.REVIEW_WORKING_DAYS), dt.time.max,
                                 tzinfo=BEIJING)
    return [r for r in qs.filter(submitted_at__lte=cutoff).order_by("submitted_at", "pk")
            if review_overdue(r, today=today)]


def overdue_by_county(*, user, today: dt.date | None = None) -> list[dict]:
    """For a city (or above): its counties' overdue reviews, counted per county."""
    counts: dict[int, dict] = {}
    for r in overdue_reviews(user=user, today=today):
        row = counts.setdefault(r.enterprise.county_id, {"county": r.enterprise.county, "n": 0, "oldest": r})
        row["n"] += 1
    return sorted(counts.values(), key=lambda x: x["county"].code)


def review_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind each county reviewer of its overdue reviews (once per report: the dedup key)."""
    sent = 0
    for r in overdue_reviews(today=today):
        if r.submitted_at is None:
            continue
        sent += len(notify(
            kind="review_overdue", orgs=[r.enterprise.county], url=f"/reports/{r.pk}/",
            subject=_("Review overdue: %(enterprise)s, %(period)s (due %(due)s)")
            % {"enterprise": r.enterprise, "period": r.period, "due": review_due_date(r.submitted_at)},
            dedup_key=f"review-overdue:{r.pk}") or [])
    return sent


def level_sees_counties(user) -> bool:
    m = membership_of(user)
    return bool(m and m.authority and m.authority.level in (Level.CITY, Level.PROVINCE, Level.MINISTRY))
