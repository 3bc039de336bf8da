"""Pages of the annual cycle: annual reports (list, new, detail with edit/submit/review/amend) and the year-end
close (certify / close / re-open a year)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.models import IndicatorType
from organizations.selectors import authority_list, membership_of
from quota_portal.errors import DomainError
from quota_portal.params import int_or_none as _int

from . import annual
from .models import AnnualReport, ReportStatus


def _error_text(exc: DomainError) -> str:
    parts = [str(exc.message)]
    for path, msgs in (exc.errors or {}).items():
        parts.extend(f"{path}: {m}" for m in msgs)
    return " ".join(parts)


def _last_year() -> int:
    return timezone.localdate().year - 1


@login_required
def annual_list_view(request):
    if not request.user.has_perm("reporting.view_reports"):
        raise Http404
    year = _int(request.GET.get("year")) or _last_year()
    m = membership_of(request.user)
    is_enterprise = bool(m and m.enterprise_id)
    return render(request, "reporting/annual_list.html", {
        "year": year, "rows": annual.annual_status_list(user=request.user, year=year),
        "reports": annual.annual_list(user=request.user, year=year) if is_enterprise else [],
        "can_file": is_enterprise and request.user.has_perm("reporting.file"),
        "years": list(range(_last_year(), _last_year() - 5, -1)),
        "due": annual.annual_due_at(year), "closed": annual.year_is_closed(year)})


@login_required
@require_POST
def annual_new_view(request):
    m = membership_of(request.user)
    if not (m and m.enterprise_id):
        raise Http404
    try:
        report = annual.annual_create(actor=request.user, enterprise=m.enterprise, year=_int(request.POST.get("year")))
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect("reporting:annual-list")
    return redirect("reporting:annual-detail", report.pk)


def _report_or_404(request, pk) -> AnnualReport:
    try:
        return annual.annual_get(user=request.user, pk=pk)
    except AnnualReport.DoesNotExist:
        raise Http404


@login_required
def annual_detail_view(request, pk):
    report = _report_or_404(request, pk)
    m = membership_of(request.user)
    is_filer = bool(m and m.enterprise_id == report.enterprise_id and request.user.has_perm("reporting.file"))
    is_reviewer = bool(m and m.authority_id == report.enterprise.county_id and request.user.has_perm("reporting.review"))
    if report.status == ReportStatus.DRAFT:
        totals = annual.annual_totals(enterprise=report.enterprise, year=report.year)
        totals["declared"] = (report.totals or {}).get("declared", {})
        execution = annual.annual_execution(enterprise=report.enterprise, year=report.year)
    else:
        totals, execution = report.totals, report.execution
    types = dict(IndicatorType.choices)
    production = [{"type": t, "label": types.get(t, t), "tonnes": v,
                   "declared": (totals.get("declared") or {}).get(t, "")} for t, v in totals.get("production", {}).items()]
    return render(request, "reporting/annual_detail.html", {
        "report": report, "is_filer": is_filer, "is_reviewer": is_reviewer, "totals": totals,
        "production": production, "types": IndicatorType.choices,
        "execution": [{"label": types.get(t, t), **v} for t, v in execution.items()],
        "utilisation": annual.capacity_utilisation(totals=totals, capacity_t=report.capacity_t),
        "disagree": annual.disagreements(totals=totals, declared=totals.get("declared") or {}),
        "versions": annual.annual_versions(report)})


@login_required
@require_POST
def annual_action_view(request, pk, verb):
    report = _report_or_404(request, pk)
    p = request.POST
    try:
        if verb == "save":
            data = {"capacity_t": p.get("capacity_t", ""), "explanation": p.get("explanation", ""),
                    "responsible_person": p.get("responsible_person", ""), "comment": p.get("comment", ""),
                    "declared_production": {t: p.get(f"declared_{t}", "") for t in IndicatorType.values}}
            annual.annual_update(actor=request.user, report=report, data=data)
            if p.get("then") == "submit":
                annual.annual_submit(actor=request.user, report=report, attest=bool(p.get("attest")))
                messages.success(request, _("Annual report submitted."))
            else:
                messages.success(request, _("Draft saved."))
        elif verb == "accept":
            annual.annual_accept(actor=request.user, report=report, comment=p.get("comment", ""))
            messages.success(request, _("Report accepted."))
        elif verb == "return":
            annual.annual_return(actor=request.user, report=report, comment=p.get("comment", ""))
            messages.success(request, _("Report returned to the enterprise."))
        elif verb == "amend":
            report = annual.annual_amend(actor=request.user, report=report)
            messages.success(request, _("Version %(v)s opened as a draft.") % {"v": report.version})
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect("reporting:annual-detail", report.pk)


@login_required
def year_end_view(request):
    """Year-end close: counties certify, cities and provinces follow, the ministry closes; re-open with a reason."""
    if not (request.user.has_perm("reporting.certify") or request.user.has_perm("reporting.close_year")):
        raise Http404
    year = _int(request.GET.get("year")) or _last_year()
    if request.method == "POST":
        year = _int(request.POST.get("year")) or year
        auth = authority_list(user=request.user).filter(pk=_int(request.POST.get("authority"))).first()
        if auth is None:
            raise Http404
        try:
            if request.POST.get("verb") == "reopen":
                annual.year_reopen(actor=request.user, authority=auth, year=year, reason=request.POST.get("reason", ""))
                messages.success(request, _("%(name)s re-opened %(y)s.") % {"name": auth.name, "y": year})
            else:
                annual.year_certify(actor=request.user, authority=auth, year=year)
                messages.success(request, _("%(name)s certified %(y)s.") % {"name": auth.name, "y": year})
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return redirect(f"{reverse('reporting:year-end')}?year={year}")
    return render(request, "reporting/year_end.html", {
        "year": year, "rows": annual.year_certification_list(user=request.user, year=year),
        "status": annual.annual_status_list(user=request.user, year=year),
        "closed": annual.year_is_closed(year), "years": list(range(_last_year(), _last_year() - 5, -1))})
