"""Writes on monthly reports: filing, submission, review, amendment, attachments, certification, idempotency.

Every function is keyword-only, runs in one transaction, checks the actor's role, locks what it changes,
writes an audit entry, and announces events (``reporting.signals``) only after commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from allocations.services import monthly_usage_replace, quota_usage_set
from organizations.audit import audit_batch, audit_record
from organizations.models import Authority, Enterprise, Level
from organizations.notifications import notify
from organizations.permissions import require
from organizations.selectors import membership_of
from quota_portal.bulk import bulk_insert
from quota_portal.errors import Conflict, DomainValidationError, InvalidTransition, NotPermitted
from quota_portal.quantities import YEAR_MAX, YEAR_MIN
from quota_portal.transactions import durable_boundary, service

from . import excel, ledger, signals
from .annual import refuse_if_year_closed
from .models import (
    AnnualReport,
    Attachment,
    AttachmentKind,
    CorrectionRequest,
    FlowLine,
    IdempotencyRecord,
    InputLine,
    InventoryLine,
    MonthlyReport,
    PeriodCertification,
    Product,
    ProductionLine,
    ReportStatus,
    RequestStatus,
)
from .permissions import require_filer, require_reviewer
from .selectors import (
    expected_enterprises,
    period_due_at,
    period_has_ended,
    report_diff,
)
from .validation import (
    ReportLines,
    balance_problems,
    clean_content,
    plausibility_warnings,
    previous_accepted_closing,
)

# --- helpers -----------------------------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _snapshot(report: MonthlyReport) -> dict:
    return {"status": report.status, "version": report.version, "nil": report.nil, "late": report.late}


def _lock(report: MonthlyReport) -> MonthlyReport:
    return MonthlyReport.objects.select_for_update(of=("self",)).select_related("enterprise__county").get(pk=report.pk)


def _county_certification(report: MonthlyReport) -> PeriodCertification | None:
    return PeriodCertification.objects.filter(authority_id=report.enterprise.county_id, year=report.year,
                                              month=report.month, certified=True).first()


def _write_lines(report: MonthlyReport, content, *, fresh: bool = False, insert: bool = True) -> ReportLines:
    """Replace the report's lines with the cleaned content; returns the lines (in the content's order).
    ``insert=False``: only build them (``report_file_and_submit`` inserts them once the ledger has linked the flow
    lines to their shipments, with ``_insert_lines``)."""
    if not fresh:  # a report created in this transaction has no lines to replace
        report.production_lines.all().delete()
        report.input_lines.all().delete()
        report.flow_lines.all().delete()
        report.inventory_lines.all().delete()
    lines = ReportLines(
        production=[ProductionLine(report=report, **row) for row in content.production],
        inputs=[InputLine(report=report, **row) for row in content.inputs],
        shipments=[FlowLine(report=report, **row) for row in content.shipments],
        inventory=[InventoryLine(report=report, **row) for row in content.inventory],
        written=False,
    )
    if insert:
        _insert_lines(lines)
    return lines


def _insert_lines(lines: ReportLines) -> None:
    """Four bulk inserts, whatever the number of lines (the report must still be a draft)."""
    bulk_insert(ProductionLine, lines.production)  # one INSERT … FROM unnest(…) each on PostgreSQL
    bulk_insert(InputLine, lines.inputs)
    bulk_insert(FlowLine, lines.shipments)
    bulk_insert(InventoryLine, lines.inventory)
    lines.written = True


def _nil_inventory(report: MonthlyReport) -> list[dict]:
    """A nil month carries last month's closing stock over unchanged."""
    prev = previous_accepted_closing(report) or {}
    products = Product.objects.in_bulk(list(prev))
    return [{"product": products[code], "opening": qty, "closing": qty} for code, qty in sorted(prev.items()) if qty > 0]


def _clean_or_raise(*, enterprise: Enterprise, year: int, month: int, data: dict[str, Any]):
    content = clean_content(enterprise=enterprise, year=year, month=month, data=data)
    if content.errors:
        raise DomainValidationError(errors=dict(content.errors))
    return content


def _check_period(year: Any, month: Any, now: dt.datetime) -> tuple[int, int]:
    errors: dict[str, list[str]] = {}
    try:
        year, month = int(year), int(month)
    except (TypeError, ValueError):
        raise DomainValidationError(errors={"month": [_("Give the period as a year and a month number.")]})
    if not 1 <= month <= 12:
        errors["month"] = [_("The month must be between 1 and 12.")]
    if not YEAR_MIN <= year <= YEAR_MAX:
        errors["year"] = [_("The year is out of range.")]
    if not errors and not period_has_ended(year, month, now):
        errors["month"] = [_("%(year)s-%(month)02d has not ended yet; a report covers a past month.")
                           % {"year": year, "month": month}]
    if errors:
        raise DomainValidationError(errors=errors)
    return year, month


# --- filing ------------------------------------------------------------------------------------------


@service
def report_create(*, actor: User, enterprise: Enterprise, year: int, month: int, data: dict[str, Any] | None = None,
                  now: dt.datetime | None = None) -> MonthlyReport:
    """Open the draft report of a period (one per enterprise and period) with its lines."""
    return _report_create(actor=actor, enterprise=enterprise, year=year, month=month, data=data, now=now)[0]


def _report_create(*, actor: User, enterprise: Enterprise, year: int, month: int, data: dict[str, Any] | None,
                   now: dt.datetime | None, insert_lines: bool = True) -> tuple[MonthlyReport, ReportLines]:
    """``report_create``, answering the lines too (``report_file_and_submit`` checks them in memory and, with
    ``insert_lines=False``, inserts them itself once they are linked to the ledger)."""
    require_filer(actor, enterprise)
    now = _now(now)
    year, month = _check_period(year, month, now)
    data = dict(data or {})
    if "shipments" not in data and not data.get("nil"):
        # the month's flows come from the ledger: declared shipments out, confirmed receipts in
        data["shipments"] = ledger.ledger_rows(enterprise=enterprise, year=year, month=month)
    content = _clean_or_raise(enterprise=enterprise, year=year, month=month, data=data)
    # serialise filings of one enterprise; FOR NO KEY UPDATE so that other filings whose flow lines name this
    # enterprise as counterparty (a foreign-key check, FOR KEY SHARE) are not blocked — bench/http.py deadlocked
    Enterprise.objects.select_for_update(no_key=True).filter(pk=enterprise.pk).first()
    existing = MonthlyReport.objects.filter(enterprise=enterprise, year=year, month=month, is_current=True).first()
    if existing is not None:
        raise DomainValidationError(errors={"month": [
            _("There is already a report for %(period)s (version %(version)s, %(status)s); edit or amend it.")
            % {"period": existing.period, "version": existing.version, "status": existing.get_status_display()}]})
    if PeriodCertification.objects.filter(authority_id=enterprise.county_id, year=year, month=month,
                                          certified=True).exists():
        raise Conflict(_("The county has certified this month; ask it to re-open the month first."))
    refuse_if_year_closed(year)
    report = MonthlyReport(enterprise=enterprise, year=year, month=month, nil=content.nil, comment=content.comment,
                           due_at=period_due_at(year, month), created_by=actor, created_at=now, updated_at=now)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        raise DomainValidationError(errors={"month": [_("There is already a report for this period.")]})
    if content.nil:
        content.inventory = _nil_inventory(report)
    lines = _write_lines(report, content, fresh=True, insert=insert_lines)
    audit_record(actor=actor, action="report.create", obj=report, org=enterprise, after=_snapshot(report))
    return report, lines


@service
def report_update(*, actor: User, report: MonthlyReport, data: dict[str, Any], now: dt.datetime | None = None) -> MonthlyReport:
    """Change a draft: ``nil``/``comment`` if given, and every line section given (replaced as a whole)."""
    report = _lock(report)
    require_filer(actor, report.enterprise)
    if report.status != ReportStatus.DRAFT:
        raise InvalidTransition(_("A submitted report cannot be changed; amend it to open a new version."))
    merged: dict[str, Any] = {"nil": data.get("nil", report.nil), "comment": data.get("comment", report.comment)}
    current = report_payload(report)
    for section in ("production", "inputs", "shipments", "inventory"):
        merged[section] = data[section] if section in data else current[section]
    if merged["nil"] and not report.nil and "inventory" not in data:
        merged["inventory"] = []
    content = _clean_or_raise(enterprise=report.enterprise, year=report.year, month=report.month, data=merged)
    report.nil, report.comment, report.updated_at = content.nil, content.comment, _now(now)
    report.save(update_fields=["nil", "comment", "updated_at"])
    if content.nil:
        content.inventory = _nil_inventory(report)
    _write_lines(report, content)
    audit_record(actor=actor, action="report.update", obj=report, org=report.enterprise, after=_snapshot(report))
    return report


def report_payload(report: MonthlyReport) -> dict[str, Any]:
    """The report's content in the API's input shape (strings for quantities)."""
    return {
        "nil": report.nil,
        "comment": report.comment,
        "production": [{"indicator_type": x.indicator_type, "product": x.product_id, "tonnes": str(x.tonnes)}
                       for x in report.production_lines.order_by("id")],
        "inputs": [{"source": x.source, "country": x.country, "product": x.product_id, "tonnes": str(x.tonnes)}
                   for x in report.input_lines.order_by("id")],
        "shipments": [{"direction": x.direction, "counterparty_credit_code": x.counterparty_credit_code,
                       "counterparty_name": x.counterparty_name, "counterparty_country": x.counterparty_country,
                       "product": x.product_id, "tonnes": str(x.tonnes), "date": x.date.isoformat(),
                       "document_no": x.document_no, **({"shipment_no": x.shipment.number} if x.shipment_id else {})}
                      for x in report.flow_lines.select_related("shipment").order_by("id")],
        "inventory": [{"product": x.product_id, "opening": str(x.opening), "closing": str(x.closing)}
                      for x in report.inventory_lines.order_by("id")],
    }


# --- submission ----------------------------------------------------------------------------------------


def report_check(report: MonthlyReport, lines: ReportLines | None = None) -> dict[str, Any]:
    """What submission would say, without writing: errors, balance problems and plausibility warnings.
    ``lines``: the report's lines when the caller has them in memory (else they are read)."""
    errors, balance = balance_problems(report, lines)
    return {"errors": dict(errors), "balance": balance, "warnings": plausibility_warnings(report, lines)}


@service
def report_submit(*, actor: User, report: MonthlyReport, confirm_warnings: bool = False, warnings_explanation: str = "",
                  attest: bool = False, responsible_person: str = "", now: dt.datetime | None = None) -> MonthlyReport:
    """Submit a draft (see ``_report_submit``)."""
    return _report_submit(actor=actor, report=report, confirm_warnings=confirm_warnings,
                          warnings_explanation=warnings_explanation, attest=attest,
                          responsible_person=responsible_person, now=now)


def _report_submit(*, actor: User, report: MonthlyReport, confirm_warnings: bool = False, warnings_explanation: str = "",
                   attest: bool = False, responsible_person: str = "", now: dt.datetime | None = None,
                   created_here: bool = False, lines: ReportLines | None = None) -> MonthlyReport:
    """Submit a draft. Records ``submitted_at`` and ``late`` against the Beijing deadline. The filer must attest
    that the figures are true and complete (如实记录): recorded with name and time on the version, with the
    enterprise's responsible person (given, or the one of its latest annual report).
    ``created_here``: the report was created by ``report_create`` in this very transaction (invisible to others,
    its filer already checked), so it is neither re-read nor locked again — ``report_file_and_submit``, which passes
    the ``lines`` it wrote as well: they are checked and put in the ledger from memory instead of being read back."""
    if not created_here:
        report = _lock(report)
        require_filer(actor, report.enterprise)
    if report.status != ReportStatus.DRAFT:
        raise InvalidTransition(_("Only a draft can be submitted; this report is %(status)s.")
                                % {"status": report.get_status_display()})
    now = _now(now)
    check = report_check(report, lines if created_here else None)
    errors: dict[str, list[str]] = dict(check["errors"])
    if not attest:
        errors["attest"] = [_("Confirm that the figures are true and complete (如实记录).")]
    balance_explained = False
    if check["balance"]:
        if report.comment.strip():
            balance_explained = True
        else:
            for problem in check["balance"]:
                errors.setdefault(problem["path"], []).append(problem["message"])
    if errors:
        raise DomainValidationError(_("The report cannot be submitted yet."), errors=errors)
    warnings = check["warnings"]
    explanation = (warnings_explanation or "").strip()
    if warnings and not (confirm_warnings and explanation):
        raise DomainValidationError(
            _("Some figures are outside the plausible range: confirm them with an explanation before submitting."),
            errors={"warnings_explanation": [w["message"] for w in warnings]}, code="warnings_unconfirmed")
    # every flow line goes into the ledger while the report is still a draft (its lines are frozen after)
    ledger.ledger_sync_report(actor=actor, report=report, now=now,
                              lines=lines.shipments if created_here and lines is not None else None)
    if created_here and lines is not None and not lines.written:
        _insert_lines(lines)  # linked to their shipments by the ledger already, while the report is a draft
    if balance_explained:
        warnings = warnings + [{"kind": "balance", "path": p["path"], "message": p["message"]} for p in check["balance"]]
    first = report
    while first.previous_version_id:
        first = MonthlyReport.objects.get(pk=first.previous_version_id)
    first_submitted = first.submitted_at if first.pk != report.pk else None
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = now
    report.submitted_by = actor
    report.late = (first_submitted or now) > report.due_at
    report.warnings = warnings
    report.warnings_explanation = explanation if warnings else ""
    report.balance_explained = balance_explained
    report.attested_by, report.attested_at = actor, now
    report.attested_name = (actor.get_full_name() or "").strip() or actor.get_username()
    report.responsible_person = (responsible_person or "").strip()[:100] or _responsible_person(report.enterprise)
    accepted_before = last_accepted_version(report)
    report.changes_count = len(report_diff(accepted_before, report)) if accepted_before else 0
    report.updated_at = now
    report.save(update_fields=["status", "submitted_at", "submitted_by", "late", "warnings", "warnings_explanation",
                               "balance_explained", "attested_by", "attested_at", "attested_name", "responsible_person",
                               "changes_count", "updated_at"])
    audit_record(actor=actor, action="report.submit", obj=report, org=report.enterprise,
                 before={"status": ReportStatus.DRAFT}, after={**_snapshot(report), "submitted_at": now,
                                                               "warnings": len(warnings),
                                                               "attested_by": report.attested_name,
                                                               "responsible_person": report.responsible_person})
    notify(kind="report_submitted", orgs=[report.enterprise.county],
           subject=_("%(enterprise)s filed its report for %(period)s") % {"enterprise": report.enterprise,
                                                                            "period": report.period},
           url=f"/reports/{report.pk}/")
    signals.report_submitted.send(sender=MonthlyReport, report=report)
    return report


@service
def report_file_and_submit(*, actor: User, enterprise: Enterprise, year: int, month: int, data: dict[str, Any],
                           confirm_warnings: bool = False, warnings_explanation: str = "",
                           attest: bool = False, responsible_person: str = "", now: dt.datetime | None = None) -> MonthlyReport:
    """File a report and submit it in one transaction: the checks of ``report_create`` then ``report_submit``;
    if submission is refused (balance, unconfirmed warnings) nothing is written, not even the draft."""
    with audit_batch():  # report.create, the ledger's entries and report.submit: appended to the chain at once
        report, lines = _report_create(actor=actor, enterprise=enterprise, year=year, month=month, data=data, now=now,
                                       insert_lines=False)
        return _report_submit(actor=actor, report=report, confirm_warnings=confirm_warnings,
                              warnings_explanation=warnings_explanation, attest=attest,
                              responsible_person=responsible_person, now=now, created_here=True, lines=lines)


def _responsible_person(enterprise: Enterprise) -> str:
    """The responsible person named in the enterprise's latest submitted annual report ("" if none)."""
    return (AnnualReport.objects.filter(enterprise=enterprise, submitted_at__isnull=False)
            .order_by("-year", "-version").values_list("responsible_person", flat=True).first() or "")


def last_accepted_version(report: MonthlyReport) -> MonthlyReport | None:
    """The latest earlier version of the chain that was accepted (now accepted or superseded)."""
    prev_id = report.previous_version_id
    while prev_id:
        prev = MonthlyReport.objects.get(pk=prev_id)
        if prev.status in (ReportStatus.ACCEPTED, ReportStatus.SUPERSEDED) and prev.reviewed_at:
            return prev
        prev_id = prev.previous_version_id
    return None


@service
def report_file_nil(*, actor: User, enterprise: Enterprise, year: int, month: int, comment: str = "",
                    attest: bool = False, now: dt.datetime | None = None) -> MonthlyReport:
    """One click: file and submit a nil report (no production, no inputs, no flows) for the period."""
    now = _now(now)
    report = MonthlyReport.objects.filter(enterprise=enterprise, year=year, month=month, is_current=True).first()
    if report is None:
        report = report_create(actor=actor, enterprise=enterprise, year=year, month=month,
                               data={"nil": True, "comment": comment}, now=now)
    else:
        report = report_update(actor=actor, report=report, data={"nil": True, "comment": comment or report.comment,
                                                                  "production": [], "inputs": [], "shipments": []},
                               now=now)
    return report_submit(actor=actor, report=report, attest=attest, now=now)


# --- review --------------------------------------------------------------------------------------------


def usage_recompute(*, enterprise_id: int, year: int, extra_types=()) -> dict[str, Decimal]:
    """Year-to-date accepted production per indicator type → allocations usage (one aggregate query)."""
    monthly = {
        (row["report__month"], row["indicator_type"]): row["total"]
        for row in ProductionLine.objects.filter(report__enterprise_id=enterprise_id, report__year=year,
                                                 report__status=ReportStatus.ACCEPTED)
        .values("report__month", "indicator_type").annotate(total=Sum("tonnes")).order_by()
    }
    totals: dict[str, Decimal] = {}
    for (_month, itype), t in monthly.items():
        totals[itype] = totals.get(itype, Decimal("0")) + t
    for itype in set(totals) | set(extra_types):
        quota_usage_set(enterprise_id=enterprise_id, year=year, indicator_type=itype,
                        used=totals.get(itype) or Decimal("0"))
    monthly_usage_replace(enterprise_id=enterprise_id, year=year, totals=monthly)  # the dashboards' roll-up
    return totals


@service
def report_accept(*, actor: User, report: MonthlyReport, comment: str = "", now: dt.datetime | None = None) -> MonthlyReport:
    """Accept a submitted version: it now counts toward the enterprise's quota usage.

    The enterprise row is locked first so that concurrent acceptances of its reports recompute the usage one
    after the other, each seeing the other's result."""
    Enterprise.objects.select_for_update(no_key=True).filter(pk=report.enterprise_id).first()
    report = _lock(report)
    require_reviewer(actor, report)
    if report.status != ReportStatus.SUBMITTED:
        raise InvalidTransition(_("Only a submitted report can be accepted; this one is %(status)s.")
                                % {"status": report.get_status_display()})
    now = _now(now)
    older = list(MonthlyReport.objects.select_for_update().filter(
        enterprise_id=report.enterprise_id, year=report.year, month=report.month, status=ReportStatus.ACCEPTED,
    ).exclude(pk=report.pk).order_by("pk"))
    old_types = set(ProductionLine.objects.filter(report__in=older).values_list("indicator_type", flat=True))
    for old in older:
        old.status = ReportStatus.SUPERSEDED
        old.save(update_fields=["status"])
    report.status = ReportStatus.ACCEPTED
    report.reviewed_by, report.reviewed_at, report.review_comment = actor, now, (comment or "").strip()
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    usage_recompute(enterprise_id=report.enterprise_id, year=report.year, extra_types=old_types)
    audit_record(actor=actor, action="report.accept", obj=report, org=report.enterprise,
                 before={"status": ReportStatus.SUBMITTED}, after={**_snapshot(report), "comment": comment,
                                                                   "superseded": [o.pk for o in older]})
    notify(kind="report_accepted", orgs=[report.enterprise],
           subject=_("Your report for %(period)s was accepted") % {"period": report.period},
           url=f"/reports/{report.pk}/")
    signals.report_accepted.send(sender=MonthlyReport, report=report)
    return report


@service
def report_return(*, actor: User, report: MonthlyReport, comment: str, now: dt.datetime | None = None) -> MonthlyReport:
    """Send a submitted version back to the enterprise with the reviewer's comment."""
    report = _lock(report)
    require_reviewer(actor, report)
    if not (comment or "").strip():
        raise DomainValidationError(errors={"comment": [_("Say what the enterprise must correct.")]})
    if report.status != ReportStatus.SUBMITTED:
        raise InvalidTransition(_("Only a submitted report can be returned; this one is %(status)s.")
                                % {"status": report.get_status_display()})
    report.status = ReportStatus.RETURNED
    report.reviewed_by, report.reviewed_at, report.review_comment = actor, _now(now), comment.strip()
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    audit_record(actor=actor, action="report.return", obj=report, org=report.enterprise,
                 before={"status": ReportStatus.SUBMITTED}, after={**_snapshot(report), "comment": comment})
    notify(kind="report_returned", orgs=[report.enterprise],
           subject=_("Your report for %(period)s was returned") % {"period": report.period}, body=comment,
           url=f"/reports/{report.pk}/")
    return report


@service
def report_amend(*, actor: User, report: MonthlyReport, now: dt.datetime | None = None) -> MonthlyReport:
    """Open a new draft version of an accepted or returned report, with a copy of its lines and attachments.

    Amending a report of a certified month re-opens the month (county and the levels above) and says so:
    the returned report carries ``reopened`` (the authorities re-opened)."""
    report = _lock(report)
    require_filer(actor, report.enterprise)
    if report.status not in (ReportStatus.ACCEPTED, ReportStatus.RETURNED) or not report.is_current:
        raise InvalidTransition(_("Only the current accepted or returned version can be amended; this one is "
                                  "%(status)s.") % {"status": report.get_status_display()})
    now = _now(now)
    refuse_if_year_closed(report.year)
    reopened = []
    cert = _county_certification(report)
    if cert is not None:
        # A certified month is locked: only a granted correction request lets the enterprise amend it (granting
        # re-opens the month; this is the fallback when the grant found the month certified again).
        grant = (CorrectionRequest.objects.select_for_update().filter(report__enterprise=report.enterprise,
                                                                      report__year=report.year,
                                                                      report__month=report.month,
                                                                      status=RequestStatus.GRANTED, used=False)
                 .first())
        if grant is None:
            raise Conflict(_("The county has certified %(period)s: request a correction; you can amend once it is "
                             "granted.") % {"period": report.period}, code="month_certified")
        reopened = _reopen(actor=actor, certification=cert, now=now, reason=_(
            "Automatically re-opened: %(enterprise)s amended its report for %(period)s.")
            % {"enterprise": report.enterprise, "period": report.period})
    CorrectionRequest.objects.filter(report__enterprise=report.enterprise, report__year=report.year,
                                     report__month=report.month, status=RequestStatus.GRANTED,
                                     used=False).update(used=True)
    report.is_current = False
    report.save(update_fields=["is_current"])
    new = MonthlyReport.objects.create(
        enterprise=report.enterprise, year=report.year, month=report.month, version=report.version + 1,
        previous_version=report, nil=report.nil, comment=report.comment, due_at=report.due_at,
        late=report.late, created_by=actor, created_at=now, updated_at=now,
    )
    ProductionLine.objects.bulk_create(
        ProductionLine(report=new, indicator_type=x.indicator_type, product_id=x.product_id, tonnes=x.tonnes)
        for x in report.production_lines.order_by("id"))
    InputLine.objects.bulk_create(
        InputLine(report=new, source=x.source, country=x.country, product_id=x.product_id, tonnes=x.tonnes)
        for x in report.input_lines.order_by("id"))
    InventoryLine.objects.bulk_create(
        InventoryLine(report=new, product_id=x.product_id, opening=x.opening, closing=x.closing)
        for x in report.inventory_lines.order_by("id"))
    flow_map = {}
    for x in report.flow_lines.order_by("id"):
        old_pk = x.pk
        x.pk = None
        x.report = new
        x.save()
        flow_map[old_pk] = x
    for a in report.attachments.order_by("id"):
        Attachment.objects.create(report=new, flow_line=flow_map.get(a.flow_line_id) if a.flow_line_id else None, kind=a.kind,
                                  filename=a.filename, content_type=a.content_type, size=a.size, sha256=a.sha256,
                                  content=a.content, uploaded_by=a.uploaded_by, uploaded_at=a.uploaded_at)
    audit_record(actor=actor, action="report.amend", obj=new, org=report.enterprise,
                 before=_snapshot(report), after={**_snapshot(new), "previous_version": report.pk,
                                                  "reopened": [c.authority.code for c in reopened]})
    new.reopened = reopened  # type: ignore[attr-defined]
    return new


# --- attachments ---------------------------------------------------------------------------------------

MAGIC_TYPES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sniff_content_type(content: bytes) -> str | None:
    """The type of a file judged by its content (never by its name): PDF, PNG, JPEG or XLSX, else None."""
    for magic, ctype in MAGIC_TYPES:
        if content.startswith(magic):
            return ctype
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return XLSX_TYPE
    return None


@service
def attachment_add(*, actor: User, report: MonthlyReport, filename: str, content: bytes, kind: str = AttachmentKind.OTHER,
                   flow_line: FlowLine | None = None) -> Attachment:
    """Attach an invoice, customs declaration or weighing slip to a draft report or one of its flow lines."""
    report = _lock(report)
    require_filer(actor, report.enterprise)
    if report.status != ReportStatus.DRAFT:
        raise InvalidTransition(_("A submitted report cannot be changed; amend it to add documents."))
    errors: dict[str, list[str]] = {}
    if kind not in AttachmentKind.values:
        errors["kind"] = [_("Choose invoice, customs, weighing or other.")]
    if flow_line is not None and flow_line.report_id != report.pk:
        errors["flow_line"] = [_("This flow record belongs to another report.")]
    size = len(content or b"")
    if size == 0:
        errors["file"] = [_("The file is empty.")]
    elif size > settings.ATTACHMENT_MAX_BYTES:
        errors["file"] = [_("The file is %(size)s bytes; the limit is %(limit)s bytes.")
                          % {"size": size, "limit": settings.ATTACHMENT_MAX_BYTES}]
    ctype = sniff_content_type(content) if size else None
    if size and "file" not in errors and ctype is None:
        errors["file"] = [_("Only PDF, JPEG, PNG and Excel (.xlsx) files are accepted; this file's content is none "
                            "of these.")]
    if errors:
        raise DomainValidationError(errors=errors)
    att = Attachment.objects.create(report=report, flow_line=flow_line, kind=kind, filename=(filename or "file")[:200],
                                    content_type=ctype or "", size=size, sha256=hashlib.sha256(content).hexdigest(),
                                    content=content, uploaded_by=actor)
    audit_record(actor=actor, action="report.attach", obj=report, org=report.enterprise,
                 after={"attachment": att.pk, "filename": att.filename, "size": size, "sha256": att.sha256,
                        "flow_line": flow_line.pk if flow_line else None})
    return att


# --- certification -------------------------------------------------------------------------------------


def _require_certifier(actor, authority: Authority) -> None:
    require(actor, "reporting.certify")
    m = membership_of(actor)
    if m is None or m.authority_id != authority.pk:
        raise NotPermitted(_("Only the authority itself can certify its month."))
    if authority.level not in (Level.COUNTY, Level.CITY, Level.PROVINCE):
        raise NotPermitted(_("Counties, cities and provinces certify months."))
    if authority.level == Level.COUNTY and not actor.has_perm("reporting.review"):
        raise NotPermitted(_("The county's reviewer certifies the county's month."))


@service
def period_certify(*, actor: User, authority: Authority, year: int, month: int,
                   now: dt.datetime | None = None) -> PeriodCertification:
    """Certify a month: a county once every report of its enterprises is accepted; a city or province once each
    of its lower authorities with reporting enterprises has certified. Certified data are locked."""
    _require_certifier(actor, authority)
    now = _now(now)
    year, month = _check_period(year, month, now)
    cert = PeriodCertification.objects.select_for_update().filter(authority=authority, year=year, month=month).first()
    if cert is not None and cert.certified:
        raise InvalidTransition(_("%(period)s is already certified.") % {"period": f"{year}-{month:02d}"})
    if authority.level == Level.COUNTY:
        ents = list(expected_enterprises(year, month).filter(county=authority).order_by("pk"))
        # lock every enterprise of the county (in pk order) so no acceptance or amendment slips in meanwhile
        list(Enterprise.objects.select_for_update(no_key=True).filter(pk__in=[e.pk for e in ents]).order_by("pk")
             .values_list("pk", flat=True))
        accepted = set(MonthlyReport.objects.filter(enterprise__in=ents, year=year, month=month, is_current=True,
                                                    status=ReportStatus.ACCEPTED)
                       .values_list("enterprise_id", flat=True))
        open_ = [e.name for e in ents if e.pk not in accepted]
        if open_:
            raise Conflict(_("Not every report of %(period)s is accepted yet: %(names)s.")
                           % {"period": f"{year}-{month:02d}", "names": ", ".join(open_)}, code="reports_open")
    else:
        child_level = Level.CITY if authority.level == Level.PROVINCE else Level.COUNTY
        depth = len(authority.path) + 7
        paths = {p[:depth] for p in expected_enterprises(year, month)
                 .filter(county__path__startswith=authority.path).values_list("county__path", flat=True)}
        children = list(Authority.objects.filter(level=child_level, path__in=paths).order_by("code"))
        done = set(PeriodCertification.objects.filter(authority__in=children, year=year, month=month, certified=True)
                   .values_list("authority_id", flat=True))
        missing = [c.name for c in children if c.pk not in done]
        if missing:
            raise Conflict(_("Not every lower authority has certified %(period)s yet: %(names)s.")
                           % {"period": f"{year}-{month:02d}", "names": ", ".join(missing)}, code="not_certified_below")
    if cert is None:
        cert = PeriodCertification(authority=authority, year=year, month=month)
    cert.certified, cert.certified_at, cert.certified_by = True, now, actor
    cert.save()
    audit_record(actor=actor, action="period.certify", obj=cert, org=authority,
                 after={"year": year, "month": month, "certified": True})
    return cert


def _reopen(*, actor: User, certification: PeriodCertification, now: dt.datetime, reason: str) -> list[PeriodCertification]:
    """Re-open a certification and every certification above it for the same month (audited each)."""
    codes = certification.authority.path.strip("/").split("/")
    certs = list(PeriodCertification.objects.select_for_update(of=("self",)).select_related("authority")
                 .filter(authority__code__in=codes, year=certification.year, month=certification.month, certified=True)
                 .order_by("pk"))
    for cert in certs:
        cert.certified, cert.reopened_at, cert.reopened_by, cert.reopen_reason = False, now, actor, reason
        cert.save(update_fields=["certified", "reopened_at", "reopened_by", "reopen_reason"])
        audit_record(actor=actor, action="period.reopen", obj=cert, org=cert.authority,
                     before={"certified": True}, after={"certified": False, "reason": reason})
        signals.period_reopened.send(sender=PeriodCertification, certification=cert, reason=reason)
    return certs


@service
def period_reopen(*, actor: User, authority: Authority, year: int, month: int, reason: str,
                  now: dt.datetime | None = None) -> list[PeriodCertification]:
    """Re-open a certified month (with a reason, audited); the levels above re-open with it."""
    require(actor, "reporting.certify")
    m = membership_of(actor)
    if m is None or m.authority is None or not authority.path.startswith(m.authority.path):
        raise NotPermitted(_("Only the authority or one above it can re-open its month."))
    if not (reason or "").strip():
        raise DomainValidationError(errors={"reason": [_("Give the reason for re-opening the month.")]})
    cert = PeriodCertification.objects.filter(authority=authority, year=year, month=month, certified=True).first()
    if cert is None:
        raise InvalidTransition(_("This month is not certified."))
    return _reopen(actor=actor, certification=cert, now=_now(now), reason=reason.strip())


# --- idempotency ----------------------------------------------------------------------------------------


@service
def report_import(*, actor: User, report: MonthlyReport, content: bytes) -> MonthlyReport:
    """Replace a draft's lines with the uploaded Excel template, or raise a row-by-row error list and change nothing.
    A composed service: the durable boundary of the ``report_update`` it calls."""
    payload, rows_of = excel.parse_workbook(content)
    content_ = clean_content(enterprise=report.enterprise, year=report.year, month=report.month,
                             data={"nil": False, "comment": report.comment, **payload})
    if content_.errors:
        errors: dict[str, list[str]] = {}
        for path, messages in content_.errors.items():
            section = path.split("[")[0].split(".")[0]
            title, cols = excel.SHEETS[section]
            key = title
            heading = ""
            if "[" in path:
                idx = int(path.split("[")[1].split("]")[0])
                key = _("%(sheet)s row %(row)s") % {"sheet": title, "row": rows_of[section][idx]}
                field = path.split(".")[-1] if "." in path else ""
                heading = next((h for k, h, _l in cols if k == field), "")
            errors.setdefault(key, []).extend(f"{heading}: {m}" if heading else m for m in messages)
        raise DomainValidationError(_("The file has errors; nothing was changed."), errors=errors)
    return report_update(actor=actor, report=report, data={"nil": False, **payload})


def idempotent_call(*, user, key: str | None, scope: str, call: Callable[[], tuple[int, dict, Any]]) -> tuple[int, dict]:
    """Run ``call`` once per (user, Idempotency-Key): store its response and replay it on any retry.

    A concurrent retry waits on the key's unique index until the first request commits, then replays.
    A failed request stores nothing, so it can be retried."""
    if not key:
        status, body, _obj = call()
        return status, body
    key = key.strip()[:128]
    done = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if done is not None:
        return _replay(done, scope)
    with durable_boundary():  # the durable boundary: the service that ``call`` runs joins this transaction
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(user=user, key=key, scope=scope)
        except IntegrityError:
            record = None
        if record is None:
            # A concurrent request with this key committed first (the insert waited for it): replay it.
            return _replay(IdempotencyRecord.objects.get(user=user, key=key), scope)
        status, body, obj = call()
        record.status_code, record.response = status, body
        record.report = obj if isinstance(obj, MonthlyReport) else None
        record.save(update_fields=["status_code", "response", "report"])
    return status, body


def _replay(record: IdempotencyRecord, scope: str) -> tuple[int, dict]:
    if record.scope != scope:
        raise Conflict(_("This Idempotency-Key was already used for another request."), code="idempotency_key_reused")
    return record.status_code or 200, record.response or {}
