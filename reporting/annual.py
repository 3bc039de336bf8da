"""The annual cycle: annual reports (年度报告) and the year-end close (certification county → city → province,
closed by the ministry; a closed year changes only through a recorded re-opening).

Annual totals are computed from the *accepted* monthly reports of the year in one query per section; the
version that is submitted freezes them (with the indicator execution statement) and the filer's attestation.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from allocations.selectors import quota_get
from organizations.audit import audit_record
from organizations.models import Authority, Enterprise, IndicatorType, Level
from organizations.notifications import notify
from organizations.permissions import require
from organizations.selectors import enterprise_q, membership_of, scope_queryset
from quota_portal.errors import Conflict, DomainValidationError, InvalidTransition, NotPermitted
from quota_portal.transactions import service

from .models import (
    AnnualReport,
    FlowLine,
    InputLine,
    InventoryLine,
    MonthlyReport,
    ProductionLine,
    ReportStatus,
    YearCertification,
)
from .periods import BEIJING
from .permissions import require_filer, require_reviewer

Q3 = Decimal("0.001")
ZERO = Decimal("0")


def _s(d: Decimal | None) -> str:
    return str((d or ZERO).quantize(Q3))


# --- deadlines -------------------------------------------------------------------------------------------


def annual_due_at(year: int) -> dt.datetime:
    """End (24:00) of ANNUAL_REPORT_DUE ("MM-DD", default 01-31) of the following year, Beijing time."""
    month, day = (int(x) for x in str(settings.ANNUAL_REPORT_DUE).split("-"))
    return dt.datetime(year + 1, month, day, tzinfo=BEIJING) + dt.timedelta(days=1)


def year_has_ended(year: int, now: dt.datetime) -> bool:
    return now.astimezone(BEIJING).year > year


# --- totals (selectors) ----------------------------------------------------------------------------------


def accepted_months(*, enterprise: Enterprise, year: int) -> QuerySet[MonthlyReport]:
    return MonthlyReport.objects.filter(enterprise=enterprise, year=year, status=ReportStatus.ACCEPTED)


def annual_totals(*, enterprise: Enterprise, year: int) -> dict[str, Any]:
    """The year's totals from the accepted monthly reports: production per indicator type, inputs by source and
    country, shipments (out/in per product), year-end inventory (closing stock of the last accepted month)."""
    months = accepted_months(enterprise=enterprise, year=year)
    month_numbers = sorted(months.values_list("month", flat=True))
    production = {r["indicator_type"]: _s(r["t"]) for r in ProductionLine.objects.filter(report__in=months)
                  .values("indicator_type").annotate(t=Sum("tonnes")).order_by("indicator_type")}
    inputs = [{"source": r["source"], "country": r["country"], "tonnes": _s(r["t"])}
              for r in InputLine.objects.filter(report__in=months).values("source", "country")
              .annotate(t=Sum("tonnes")).order_by("source", "country")]
    shipments = [{"direction": r["direction"], "product": r["product_id"], "tonnes": _s(r["t"])}
                 for r in FlowLine.objects.filter(report__in=months).values("direction", "product_id")
                 .annotate(t=Sum("tonnes")).order_by("direction", "product_id")]
    inventory = []
    if month_numbers:
        last = months.filter(month=month_numbers[-1]).first()
        inventory = [{"product": r.product_id, "closing": _s(r.closing)}
                     for r in InventoryLine.objects.filter(report=last).order_by("product_id")]
    return {"months": month_numbers, "missing_months": [m for m in range(1, 13) if m not in month_numbers],
            "production": production, "inputs": inputs, "shipments": shipments, "inventory": inventory,
            "year_end_month": month_numbers[-1] if month_numbers else None}


def annual_execution(*, enterprise: Enterprise, year: int) -> dict[str, dict[str, str]]:
    """The indicator execution statement per indicator type: issued, adjusted, deducted, used, remaining."""
    out = {}
    for itype in IndicatorType.values:
        q = quota_get(enterprise=enterprise, year=year, indicator_type=itype)
        if not (q.allocated or q.adjustments or q.deductions or q.used):
            continue
        out[itype] = {"issued": _s(q.allocated), "adjusted": _s(q.adjustments), "deducted": _s(q.deductions),
                      "effective": _s(q.effective), "used": _s(q.used), "remaining": _s(q.remaining)}
    return out


def capacity_utilisation(*, totals: dict, capacity_t: Decimal | None) -> str | None:
    """Production of the year ÷ capacity, in percent (one decimal), or None without a capacity."""
    if not capacity_t or capacity_t <= 0:
        return None
    produced = sum((Decimal(v) for v in totals.get("production", {}).values()), ZERO)
    return str((produced / capacity_t * 100).quantize(Decimal("0.1")))


def disagreements(*, totals: dict, declared: dict) -> list[str]:
    """Indicator types where the enterprise's declared annual production differs from the months' sum."""
    computed = totals.get("production", {})
    out = []
    for itype, value in (declared or {}).items():
        if Decimal(value).quantize(Q3) != Decimal(computed.get(itype, "0")):
            out.append(itype)
    return out


def annual_list(*, user, year: int | None = None, status: str | None = None) -> QuerySet[AnnualReport]:
    qs = scope_queryset(user, AnnualReport.objects.filter(is_current=True).select_related("enterprise__county"))
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-year", "enterprise__name", "pk")


def annual_get(*, user, pk) -> AnnualReport:
    return scope_queryset(user, AnnualReport.objects.select_related("enterprise__county")).get(pk=pk)


def annual_versions(report: AnnualReport) -> QuerySet[AnnualReport]:
    return AnnualReport.objects.filter(enterprise_id=report.enterprise_id, year=report.year).order_by("-version")


def annual_expected_enterprises(year: int) -> QuerySet[Enterprise]:
    """Enterprises that owe an annual report: those with a monthly report in the year."""
    return Enterprise.objects.filter(pk__in=MonthlyReport.objects.filter(year=year).values("enterprise_id"))


def annual_status_list(*, user, year: int, now: dt.datetime | None = None) -> list[dict]:
    """Per enterprise in scope that owes an annual report: its current report, late and missing flags."""
    now = now or timezone.now()
    due = annual_due_at(year)
    ents = list(annual_expected_enterprises(year).filter(enterprise_q(user)).select_related("county").order_by("name"))
    reports = {r.enterprise_id: r for r in AnnualReport.objects.filter(year=year, is_current=True,
                                                                         enterprise__in=ents)}
    rows = []
    for e in ents:
        r = reports.get(e.pk)
        submitted = r is not None and r.status != ReportStatus.DRAFT
        rows.append({"enterprise": e, "report": r, "due_at": due,
                     "late": bool(r and r.late), "missing": not submitted and now > due})
    return rows


# --- writes ------------------------------------------------------------------------------------------


def _lock(report: AnnualReport) -> AnnualReport:
    return AnnualReport.objects.select_for_update(of=("self",)).select_related("enterprise__county").get(pk=report.pk)


def year_is_closed(year: int) -> bool:
    return YearCertification.objects.filter(year=year, certified=True, authority__level=Level.MINISTRY).exists()


def refuse_if_year_closed(year: int) -> None:
    if year_is_closed(year):
        raise Conflict(_("The ministry has closed %(year)s; its figures change only after a recorded re-opening.")
                       % {"year": year}, code="year_closed")


def _clean_data(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    cap = data.get("capacity_t")
    if cap not in (None, ""):
        try:
            out["capacity_t"] = Decimal(str(cap)).quantize(Q3)
            if out["capacity_t"] < 0:
                errors["capacity_t"] = [_("Cannot be negative.")]
        except (InvalidOperation, ValueError):
            errors["capacity_t"] = [_("Enter a number.")]
    elif "capacity_t" in data:
        out["capacity_t"] = None
    declared = {}
    for itype, value in (data.get("declared_production") or {}).items():
        if value in (None, ""):
            continue
        if itype not in IndicatorType.values:
            errors[f"declared_production.{itype}"] = [_("Choose an indicator type.")]
            continue
        try:
            declared[itype] = _s(Decimal(str(value)))
            if Decimal(declared[itype]) < 0:
                errors[f"declared_production.{itype}"] = [_("Cannot be negative.")]
        except (InvalidOperation, ValueError):
            errors[f"declared_production.{itype}"] = [_("Enter a number.")]
    if "declared_production" in data:
        out["declared_production"] = declared
    for f, n in (("explanation", 5000), ("responsible_person", 100), ("comment", 5000)):
        if f in data:
            out[f] = str(data.get(f) or "").strip()[:n]
    if errors:
        raise DomainValidationError(errors=errors)
    return out


def _apply(report: AnnualReport, clean: dict[str, Any]) -> None:
    for f in ("capacity_t", "explanation", "responsible_person", "comment"):
        if f in clean:
            setattr(report, f, clean[f])
    if "declared_production" in clean:
        report.totals = {**(report.totals or {}), "declared": clean["declared_production"]}


@service
def annual_create(*, actor: User, enterprise: Enterprise, year: int, data: dict[str, Any] | None = None,
                  now: dt.datetime | None = None) -> AnnualReport:
    """Open the draft annual report of a finished year (one current per enterprise and year)."""
    require_filer(actor, enterprise)
    now = now or timezone.now()
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise DomainValidationError(errors={"year": [_("Give the year.")]})
    if not 2000 <= year <= 2100:
        raise DomainValidationError(errors={"year": [_("The year is out of range.")]})
    if not year_has_ended(year, now):
        raise DomainValidationError(errors={"year": [_("%(year)s has not ended yet; an annual report covers a past "
                                                       "year.") % {"year": year}]})
    refuse_if_year_closed(year)
    clean = _clean_data(data or {})
    Enterprise.objects.select_for_update(no_key=True).filter(pk=enterprise.pk).first()
    if AnnualReport.objects.filter(enterprise=enterprise, year=year, is_current=True).exists():
        raise DomainValidationError(errors={"year": [_("There is already an annual report for %(year)s; edit or "
                                                       "amend it.") % {"year": year}]})
    report = AnnualReport(enterprise=enterprise, year=year, due_at=annual_due_at(year), created_by=actor,
                          created_at=now, capacity_t=enterprise.smelting_capacity_t,
                          totals=annual_totals(enterprise=enterprise, year=year),
                          execution=annual_execution(enterprise=enterprise, year=year))
    _apply(report, clean)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        raise DomainValidationError(errors={"year": [_("There is already an annual report for this year.")]})
    audit_record(actor=actor, action="annual.create", obj=report, org=enterprise,
                 after={"year": year, "version": report.version})
    return report


@service
def annual_update(*, actor: User, report: AnnualReport, data: dict[str, Any]) -> AnnualReport:
    report = _lock(report)
    require_filer(actor, report.enterprise)
    if report.status != ReportStatus.DRAFT:
        raise InvalidTransition(_("A submitted report cannot be changed; amend it to open a new version."))
    clean = _clean_data(data)
    _apply(report, clean)
    report.save()
    audit_record(actor=actor, action="annual.update", obj=report, org=report.enterprise,
                 after={k: str(v) for k, v in clean.items()})
    return report


def _attest_name(actor) -> str:
    full = (getattr(actor, "get_full_name", lambda: "")() or "").strip()
    return full or actor.get_username()


@service
def annual_submit(*, actor: User, report: AnnualReport, attest: bool = False,
                  now: dt.datetime | None = None) -> AnnualReport:
    """Submit a draft: recompute and freeze the totals and the execution statement; the filer attests that the
    figures are true and complete (如实记录); a responsible person is named; where declared and monthly figures
    disagree (or months are missing) an explanation is required."""
    report = _lock(report)
    require_filer(actor, report.enterprise)
    if report.status != ReportStatus.DRAFT:
        raise InvalidTransition(_("Only a draft can be submitted; this report is %(status)s.")
                                % {"status": report.get_status_display()})
    refuse_if_year_closed(report.year)
    now = now or timezone.now()
    declared = (report.totals or {}).get("declared", {})
    totals = annual_totals(enterprise=report.enterprise, year=report.year)
    totals["declared"] = declared
    errors: dict[str, list[str]] = {}
    if not attest:
        errors["attest"] = [_("Confirm that the figures are true and complete (如实记录).")]
    if not report.responsible_person.strip():
        errors["responsible_person"] = [_("Name the enterprise's responsible person.")]
    differ = disagreements(totals=totals, declared=declared)
    if (differ or totals["missing_months"]) and not report.explanation.strip():
        errors["explanation"] = [_("Explain where the year disagrees with the months (differences: %(types)s; "
                                   "months without an accepted report: %(months)s).")
                                 % {"types": ", ".join(str(IndicatorType(t).label) for t in differ) or "—",
                                    "months": ", ".join(str(m) for m in totals["missing_months"]) or "—"}]
    if errors:
        raise DomainValidationError(_("The annual report cannot be submitted yet."), errors=errors)
    totals["capacity_utilisation_percent"] = capacity_utilisation(totals=totals, capacity_t=report.capacity_t)
    first = AnnualReport.objects.filter(enterprise_id=report.enterprise_id, year=report.year,
                                        submitted_at__isnull=False).order_by("version").first()
    report.totals = totals
    report.execution = annual_execution(enterprise=report.enterprise, year=report.year)
    report.status, report.submitted_at, report.submitted_by = ReportStatus.SUBMITTED, now, actor
    report.late = ((first.submitted_at if first else None) or now) > report.due_at
    report.attested_by, report.attested_name, report.attested_at = actor, _attest_name(actor), now
    report.save()
    audit_record(actor=actor, action="annual.submit", obj=report, org=report.enterprise,
                 before={"status": ReportStatus.DRAFT},
                 after={"status": report.status, "late": report.late, "attested_by": report.attested_name,
                        "attested_at": now, "responsible_person": report.responsible_person})
    notify(kind="annual_submitted", orgs=[report.enterprise.county],
           subject=_("%(enterprise)s filed its annual report for %(year)s") % {"enterprise": report.enterprise,
                                                                                 "year": report.year},
           url=f"/reports/annual/{report.pk}/")
    return report


@service
def annual_accept(*, actor: User, report: AnnualReport, comment: str = "",
                  now: dt.datetime | None = None) -> AnnualReport:
    report = _lock(report)
    require_reviewer(actor, report)
    if report.status != ReportStatus.SUBMITTED:
        raise InvalidTransition(_("Only a submitted report can be accepted; this one is %(status)s.")
                                % {"status": report.get_status_display()})
    now = now or timezone.now()
    AnnualReport.objects.filter(enterprise_id=report.enterprise_id, year=report.year,
                                status=ReportStatus.ACCEPTED).exclude(pk=report.pk).update(
        status=ReportStatus.SUPERSEDED)
    report.status, report.reviewed_by, report.reviewed_at = ReportStatus.ACCEPTED, actor, now
    report.review_comment = (comment or "").strip()
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    audit_record(actor=actor, action="annual.accept", obj=report, org=report.enterprise,
                 before={"status": ReportStatus.SUBMITTED}, after={"status": report.status})
    notify(kind="annual_accepted", orgs=[report.enterprise],
           subject=_("Your annual report for %(year)s was accepted") % {"year": report.year},
           url=f"/reports/annual/{report.pk}/")
    return report


@service
def annual_return(*, actor: User, report: AnnualReport, comment: str,
                  now: dt.datetime | None = None) -> AnnualReport:
    report = _lock(report)
    require_reviewer(actor, report)
    if not (comment or "").strip():
        raise DomainValidationError(errors={"comment": [_("Say what the enterprise must correct.")]})
    if report.status != ReportStatus.SUBMITTED:
        raise InvalidTransition(_("Only a submitted report can be returned; this one is %(status)s.")
                                % {"status": report.get_status_display()})
    report.status, report.reviewed_by, report.reviewed_at = ReportStatus.RETURNED, actor, now or timezone.now()
    report.review_comment = comment.strip()
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    audit_record(actor=actor, action="annual.return", obj=report, org=report.enterprise,
                 before={"status": ReportStatus.SUBMITTED}, after={"status": report.status, "comment": comment})
    notify(kind="annual_returned", orgs=[report.enterprise], body=comment,
           subject=_("Your annual report for %(year)s was returned") % {"year": report.year},
           url=f"/reports/annual/{report.pk}/")
    return report


@service
def annual_amend(*, actor: User, report: AnnualReport, now: dt.datetime | None = None) -> AnnualReport:
    """Open a new draft version of the current accepted or returned annual report (refused in a closed year)."""
    report = _lock(report)
    require_filer(actor, report.enterprise)
    if report.status not in (ReportStatus.ACCEPTED, ReportStatus.RETURNED) or not report.is_current:
        raise InvalidTransition(_("Only the current accepted or returned version can be amended; this one is "
                                  "%(status)s.") % {"status": report.get_status_display()})
    refuse_if_year_closed(report.year)
    if YearCertification.objects.filter(authority_id=report.enterprise.county_id, year=report.year,
                                        certified=True).exists():
        raise Conflict(_("The county has certified %(year)s; ask it to re-open the year first.")
                       % {"year": report.year}, code="year_certified")
    report.is_current = False
    report.save(update_fields=["is_current"])
    new = AnnualReport.objects.create(
        enterprise=report.enterprise, year=report.year, version=report.version + 1, previous_version=report,
        totals={"declared": (report.totals or {}).get("declared", {})}, capacity_t=report.capacity_t,
        explanation=report.explanation, responsible_person=report.responsible_person, comment=report.comment,
        due_at=report.due_at, late=report.late, created_by=actor, created_at=now or timezone.now())
    audit_record(actor=actor, action="annual.amend", obj=new, org=report.enterprise,
                 after={"version": new.version, "previous_version": report.pk})
    return new


def annual_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind every enterprise that owes last year's annual report and has not submitted it (once per enterprise
    and year: the notification's dedup key), from January 1st until the deadline and after it."""
    now = now or timezone.now()
    year = now.astimezone(BEIJING).year - 1
    done = set(AnnualReport.objects.filter(year=year, submitted_at__isnull=False).values_list("enterprise_id",
                                                                                              flat=True))
    sent = 0
    due = annual_due_at(year).astimezone(BEIJING) - dt.timedelta(days=1)
    overdue = now > annual_due_at(year)
    for ent in annual_expected_enterprises(year).exclude(pk__in=done).order_by("pk"):
        sent += len(notify(
            kind="annual_reminder", orgs=[ent], url="/reports/annual/",
            subject=(_("Your annual report for %(year)s is overdue (due %(due)s)") if overdue
                     else _("Your annual report for %(year)s is due by %(due)s"))
            % {"year": year, "due": f"{due:%Y-%m-%d}"},
            dedup_key=f"annual:{year}:e{ent.pk}:{'overdue' if overdue else 'due'}") or [])
    return sent


# --- year-end close ----------------------------------------------------------------------------------


def _require_year_certifier(actor, authority: Authority) -> None:
    m = membership_of(actor)
    if authority.level == Level.MINISTRY:
        require(actor, "reporting.close_year")
        if m is None or m.authority_id != authority.pk:
            raise NotPermitted(_("Only the ministry closes a year."))
        return
    require(actor, "reporting.certify")
    if m is None or m.authority_id != authority.pk:
        raise NotPermitted(_("Only the authority itself can certify its year."))
    if authority.level == Level.COUNTY and not actor.has_perm("reporting.review"):
        raise NotPermitted(_("The county's reviewer certifies the county's year."))


@service
def year_certify(*, actor: User, authority: Authority, year: int,
                 now: dt.datetime | None = None) -> YearCertification:
    """Certify a year: a county once every annual report of its enterprises is accepted; a city or province once
    each lower authority with such enterprises has certified; the ministry (closing the year) once every province
    has."""
    _require_year_certifier(actor, authority)
    now = now or timezone.now()
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise DomainValidationError(errors={"year": [_("Give the year.")]})
    if not year_has_ended(year, now):
        raise DomainValidationError(errors={"year": [_("%(year)s has not ended yet.") % {"year": year}]})
    cert = YearCertification.objects.select_for_update().filter(authority=authority, year=year).first()
    if cert is not None and cert.certified:
        raise InvalidTransition(_("%(year)s is already certified.") % {"year": year})
    expected = annual_expected_enterprises(year)
    if authority.level == Level.COUNTY:
        ents = list(expected.filter(county=authority).order_by("pk"))
        accepted = set(AnnualReport.objects.filter(enterprise__in=ents, year=year, is_current=True,
                                                   status=ReportStatus.ACCEPTED).values_list("enterprise_id",
                                                                                             flat=True))
        open_ = [e.name for e in ents if e.pk not in accepted]
        if open_:
            raise Conflict(_("Not every annual report of %(year)s is accepted yet: %(names)s.")
                           % {"year": year, "names": ", ".join(open_)}, code="reports_open")
    else:
        levels: dict[str, str] = {Level.MINISTRY: Level.PROVINCE, Level.PROVINCE: Level.CITY,
                                  Level.CITY: Level.COUNTY}
        child_level = levels[authority.level]
        county_paths = set(expected.filter(county__path__startswith=authority.path)
                           .values_list("county__path", flat=True))
        children = [a for a in Authority.objects.filter(level=child_level, path__startswith=authority.path)
                    .order_by("code") if any(p.startswith(a.path) for p in county_paths)]
        done = set(YearCertification.objects.filter(authority__in=children, year=year, certified=True)
                   .values_list("authority_id", flat=True))
        missing = [c.name for c in children if c.pk not in done]
        if missing:
            raise Conflict(_("Not every lower authority has certified %(year)s yet: %(names)s.")
                           % {"year": year, "names": ", ".join(missing)}, code="not_certified_below")
    if cert is None:
        cert = YearCertification(authority=authority, year=year)
    cert.certified, cert.certified_at, cert.certified_by = True, now, actor
    cert.save()
    audit_record(actor=actor, action="year.close" if authority.level == Level.MINISTRY else "year.certify",
                 obj=cert, org=authority, after={"year": year, "certified": True})
    return cert


@service
def year_reopen(*, actor: User, authority: Authority, year: int, reason: str,
                now: dt.datetime | None = None) -> list[YearCertification]:
    """Re-open a certified (or closed) year with a reason, audited; the levels above re-open with it."""
    m = membership_of(actor)
    if authority.level == Level.MINISTRY:
        require(actor, "reporting.close_year")
    else:
        require(actor, "reporting.certify")
    if m is None or m.authority is None or not authority.path.startswith(m.authority.path):
        raise NotPermitted(_("Only the authority or one above it can re-open its year."))
    if not (reason or "").strip():
        raise DomainValidationError(errors={"reason": [_("Give the reason for re-opening the year.")]})
    if not YearCertification.objects.filter(authority=authority, year=year, certified=True).exists():
        raise InvalidTransition(_("This year is not certified."))
    codes = authority.path.strip("/").split("/")
    certs = list(YearCertification.objects.select_for_update().select_related("authority")
                 .filter(authority__code__in=codes, year=year, certified=True).order_by("pk"))
    now = now or timezone.now()
    for cert in certs:
        cert.certified, cert.reopened_at, cert.reopened_by, cert.reopen_reason = False, now, actor, reason.strip()
        cert.save(update_fields=["certified", "reopened_at", "reopened_by", "reopen_reason"])
        audit_record(actor=actor, action="year.reopen", obj=cert, org=cert.authority,
                     before={"certified": True}, after={"certified": False, "reason": reason.strip()})
    return certs


def year_certification_list(*, user, year: int) -> list[dict]:
    """The user's authority and the authorities below it that have enterprises owing an annual report (the
    chain down to their counties), with the state of their year certification."""
    m = membership_of(user)
    if m is None or m.authority is None:
        return []
    base = m.authority.path
    codes = {base.strip("/").split("/")[-1]}
    for path in (Enterprise.objects.filter(county__path__startswith=base)
                 .values_list("county__path", flat=True).distinct()):
        codes.update(path[len(base):].strip("/").split("/"))
    codes.discard("")
    auths = list(Authority.objects.filter(code__in=codes, path__startswith=base).order_by("path"))
    certs = {c.authority_id: c for c in YearCertification.objects.filter(year=year, authority__in=auths)}
    return [{"authority": a, "cert": certs.get(a.pk), "own": a.pk == m.authority_id} for a in auths]
