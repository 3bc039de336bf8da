"""Pages: enterprise filing (line editor with htmx), county review, versions and diffs, roll-ups, certification."""

from __future__ import annotations

import re
import time
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allocations.selectors import quota_get
from organizations.models import IndicatorType
from organizations.selectors import authority_list, enterprise_list, membership_of
from quota_portal.errors import DomainError, DomainValidationError
from quota_portal.params import int_or_none as _int

from . import access, excel, ledger, selectors, services
from . import corrections as corrections_mod
from .field_labels import diff_for_people, error_sentence, labelled_errors
from .models import (
    Attachment,
    AttachmentKind,
    FlowDirection,
    FlowLine,
    InputSource,
    MonthlyReport,
    PeriodCertification,
    Product,
    ReportStatus,
    RequestStatus,
)

PAGE_SIZE = 25
SECTION_FIELDS = {
    "production": ["indicator_type", "product", "tonnes"],
    "inputs": ["source", "country", "product", "tonnes"],
    "shipments": ["direction", "counterparty_credit_code", "counterparty_name", "counterparty_country", "product",
                  "tonnes", "date", "document_no", "shipment_no"],
    "inventory": ["product", "opening", "closing"],
}
PATH_RE = re.compile(r"^(production|inputs|shipments|inventory)\[(\d+)\](?:\.(\w+))?$")


def _report_or_404(request, pk) -> MonthlyReport:
    try:
        return selectors.report_get(user=request.user, pk=pk)
    except MonthlyReport.DoesNotExist:
        raise Http404


@login_required
def report_list_view(request):
    if not request.user.has_perm("reporting.view_reports"):
        raise Http404
    g = request.GET
    late = {"1": True, "0": False}.get(g.get("late", ""))
    filters = {"year": _int(g.get("year")), "month": _int(g.get("month")), "status": g.get("status") or None,
               "late": late, "enterprise": _int(g.get("enterprise"))}
    qs = selectors.report_list(user=request.user, search=g.get("q", "").strip(), **filters)
    page = Paginator(qs, PAGE_SIZE).get_page(g.get("page"))
    m = membership_of(request.user)
    due = None
    if m and m.enterprise_id:
        due = selectors.enterprise_report_status(enterprise=m.enterprise, now=timezone.now())
    extra_qs = "&".join(f"{k}={g[k]}" for k in ("year", "month", "status", "late", "enterprise") if g.get(k))
    return render(request, "reporting/report_list.html", {
        "page": page, "q": g.get("q", ""), "f": g, "statuses": ReportStatus.choices, "due": due,
        "enterprises": enterprise_list(user=request.user).select_related(None).only("pk", "name") if not (m and m.enterprise_id) else [],
        "extra_qs": extra_qs + "&" if extra_qs else "", "can_file": request.user.has_perm("reporting.file"),
        "is_reviewer": request.user.has_perm("reporting.review"),
        "overdue_ids": {r.pk for r in page.object_list if corrections_mod.review_overdue(r)},
    })


@login_required
@require_POST
def report_new_view(request):
    m = membership_of(request.user)
    if not (m and m.enterprise_id):
        raise Http404
    year, month = _int(request.POST.get("year")), _int(request.POST.get("month"))
    try:
        if request.POST.get("nil"):
            report = services.report_file_nil(actor=request.user, enterprise=m.enterprise, year=year, month=month,
                                              comment=request.POST.get("comment", ""),
                                              attest=bool(request.POST.get("attest")))
            messages.success(request, _("Nil report for %(period)s submitted.") % {"period": report.period})
            return redirect("reporting:detail", report.pk)
        report = services.report_create(actor=request.user, enterprise=m.enterprise, year=year, month=month, data={})
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect("reporting:list")
    return redirect("reporting:edit", report.pk)


def _error_text(exc: DomainError, shown: set[str] | frozenset = frozenset()) -> str:
    """The error for the top of a page, fields named as people know them (the API keeps the paths)."""
    return error_sentence(exc.message, getattr(exc, "errors", None), shown=shown)


def _quota_context(report: MonthlyReport) -> list[dict]:
    this = {}
    for line in report.production_lines.all():
        this[line.indicator_type] = this.get(line.indicator_type, Decimal(0)) + line.tonnes
    rows = []
    counted = report.status == ReportStatus.ACCEPTED
    for itype in IndicatorType.values:
        q = quota_get(enterprise=report.enterprise, year=report.year, indicator_type=itype)
        if not q.effective and itype not in this:
            continue
        extra = Decimal(0) if counted else this.get(itype, Decimal(0))
        used = q.used + extra
        rows.append({"type": IndicatorType(itype).label, "effective": q.effective, "used_accepted": q.used,
                     "this_report": this.get(itype, Decimal(0)), "used": used, "remaining": q.effective - used,
                     "percent": int(min(used / q.effective * 100, Decimal(999))) if q.effective > 0 else None})
    return rows


@login_required
def report_detail_view(request, pk):
    report = selectors.report_with_lines(_report_or_404(request, pk))
    access.report_access_record(actor=request.user, report=report, action="read", via="page")
    m = membership_of(request.user)
    is_filer = bool(m and m.enterprise_id == report.enterprise_id and request.user.has_perm("reporting.file"))
    is_reviewer = bool(m and m.authority_id == report.enterprise.county_id and request.user.has_perm("reporting.review"))
    check = services.report_check(report) if report.status == ReportStatus.DRAFT else None
    corrections = list(report.correction_requests.order_by("-requested_at"))
    locked = PeriodCertification.objects.filter(authority_id=report.enterprise.county_id, year=report.year,
                                                month=report.month, certified=True).exists()
    earlier_pending = []
    if is_reviewer and report.status == ReportStatus.SUBMITTED:
        # accepting a month while an earlier one of the same enterprise still waits: say so before it happens
        earlier_pending = list(MonthlyReport.objects.filter(
            enterprise_id=report.enterprise_id, is_current=True, status=ReportStatus.SUBMITTED).filter(
            Q(year__lt=report.year) | Q(year=report.year, month__lt=report.month)).order_by("year", "month"))
    return render(request, "reporting/report_detail.html", {
        "locked": locked, "corrections": corrections,
        "granted": any(c.status == RequestStatus.GRANTED and not c.used for c in corrections),
        "pending_correction": any(c.status == RequestStatus.PENDING for c in corrections),
        "supplementary": list(report.supplementary_requests.order_by("-requested_at")),
        "review_overdue": corrections_mod.review_overdue(report),
        "review_due": corrections_mod.review_due_date(report.submitted_at) if report.submitted_at else None,
        "report": report, "is_filer": is_filer, "is_reviewer": is_reviewer, "check": check,
        "check_errors": labelled_errors(check["errors"]) if check else [],
        "earlier_pending": earlier_pending,
        "versions": selectors.report_versions(report),
        "quota": _quota_context(report) if (is_reviewer or (m and m.authority_id) or is_filer) else [],
        "kinds": AttachmentKind.choices,
        "report_attachments": [a for a in report.attachments.all() if a.flow_line_id is None],
    })


@login_required
@require_POST
def report_action_view(request, pk, verb):
    report = _report_or_404(request, pk)
    p = request.POST
    try:
        if verb == "submit":
            report = services.report_submit(actor=request.user, report=report, confirm_warnings=bool(p.get("confirm")),
                                            warnings_explanation=p.get("warnings_explanation", ""),
                                            attest=bool(p.get("attest")),
                                            responsible_person=p.get("responsible_person", ""))
            messages.success(request, _("Report submitted."))
        elif verb == "nil":
            report = services.report_file_nil(actor=request.user, enterprise=report.enterprise, year=report.year,
                                              month=report.month, comment=p.get("comment", ""),
                                              attest=bool(p.get("attest")))
            messages.success(request, _("Nil report submitted."))
        elif verb == "accept":
            report = services.report_accept(actor=request.user, report=report, comment=p.get("comment", ""))
            messages.success(request, _("Report accepted."))
        elif verb == "return":
            report = services.report_return(actor=request.user, report=report, comment=p.get("comment", ""))
            messages.success(request, _("Report returned to the enterprise."))
        elif verb == "amend":
            report = services.report_amend(actor=request.user, report=report)
            reopened = getattr(report, "reopened", [])
            if reopened:
                messages.warning(request, _("This month was certified; your amendment re-opened it for: %(names)s.")
                                 % {"names": ", ".join(c.authority.name for c in reopened)})
            messages.success(request, _("Version %(v)s opened as a draft.") % {"v": report.version})
            return redirect("reporting:edit", report.pk)
        else:
            raise Http404
    except DomainError as exc:
        if verb == "submit" and report.status == ReportStatus.DRAFT:
            # the page lists every problem under "Before you submit": the message says what happened, once
            messages.error(request, str(exc.message))
        else:
            messages.error(request, _error_text(exc))
    return redirect("reporting:detail", report.pk)


def _rows_from_post(post) -> dict[str, list[dict]]:
    data: dict[str, dict[int, dict]] = {s: {} for s in SECTION_FIELDS}
    for key, value in post.items():
        parts = key.split("-")
        if len(parts) == 3 and parts[0] in SECTION_FIELDS and parts[2] in SECTION_FIELDS[parts[0]]:
            idx = _int(parts[1])
            if idx is not None:
                data[parts[0]].setdefault(idx, {})[parts[2]] = value.strip()
    out = {}
    for section, rows in data.items():
        out[section] = [rows[i] for i in sorted(rows) if any(v for v in rows[i].values())]
    return out


def _editor_rows(payload: dict, errors: dict) -> tuple[dict, dict]:
    rows = {s: [{"i": i, "values": v, "errors": {}} for i, v in enumerate(payload.get(s, []))] for s in SECTION_FIELDS}
    section_errors: dict[str, list[str]] = {}
    for path, msgs in (errors or {}).items():
        mt = PATH_RE.match(path)
        if mt and int(mt.group(2)) < len(rows[mt.group(1)]):
            row = rows[mt.group(1)][int(mt.group(2))]
            row["errors"].setdefault(mt.group(3) or "row", []).extend(msgs)
        else:
            section_errors.setdefault(path.split("[")[0], []).extend(msgs)
    return rows, section_errors


def _editor_context(report, payload, errors=None):
    rows, section_errors = _editor_rows(payload, errors or {})
    return {"report": report, "rows": rows, "section_errors": section_errors, "payload": payload,
            "products": Product.objects.order_by("code"), "indicator_types": IndicatorType.choices,
            "sources": InputSource.choices, "directions": FlowDirection.choices,
            "awaiting": ledger.shipments_awaiting(enterprise=report.enterprise)}


@login_required
def report_edit_view(request, pk):
    report = _report_or_404(request, pk)
    m = membership_of(request.user)
    if not (m and m.enterprise_id == report.enterprise_id):
        raise Http404
    if report.status != ReportStatus.DRAFT:
        messages.error(request, _("A submitted report cannot be changed; amend it to open a new version."))
        return redirect("reporting:detail", report.pk)
    if request.method == "POST":
        payload = {"nil": bool(request.POST.get("nil")), "comment": request.POST.get("comment", ""),
                   **_rows_from_post(request.POST)}
        try:
            services.report_update(actor=request.user, report=report, data=payload)
        except DomainError as exc:
            ctx = _editor_context(report, payload, exc.errors)
            ctx["error"] = exc.message
            return render(request, "reporting/report_edit.html", ctx, status=400)
        messages.success(request, _("Draft saved."))
        if request.POST.get("then") == "submit":
            return report_action_view(request, report.pk, "submit")
        return redirect("reporting:edit", report.pk)
    return render(request, "reporting/report_edit.html", _editor_context(report, services.report_payload(report)))


@login_required
def report_row_view(request, pk, section):
    """htmx: one empty line for the editor."""
    report = _report_or_404(request, pk)
    if section not in SECTION_FIELDS:
        raise Http404
    ctx = _editor_context(report, {})
    ctx.update({"section": section, "row": {"i": int(time.time() * 1000) % 1_000_000_000, "values": {}, "errors": {}}})
    return render(request, "reporting/_row.html", ctx)


@login_required
@require_POST
def report_attach_view(request, pk):
    report = _report_or_404(request, pk)
    f = request.FILES.get("file")
    flow_line = None
    if request.POST.get("flow_line"):
        flow_line = FlowLine.objects.filter(pk=_int(request.POST["flow_line"]), report=report).first()
    try:
        if f is None:
            raise DomainValidationError(errors={"file": [_("Choose a file.")]})
        services.attachment_add(actor=request.user, report=report, filename=f.name, content=f.read(),
                                kind=request.POST.get("kind", "other"), flow_line=flow_line)
        messages.success(request, _("Document attached."))
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect("reporting:detail", report.pk)


@login_required
def attachment_download_view(request, pk):
    att = Attachment.objects.filter(pk=pk).select_related("report").first()
    if att is None:
        raise Http404
    report = _report_or_404(request, att.report_id)
    access.report_access_record(actor=request.user, report=report, action="attachment_download", via="page",
                                attachment=att)
    resp = HttpResponse(bytes(att.content), content_type=att.content_type)
    resp["Content-Disposition"] = f'attachment; filename="{att.filename}"'
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


@login_required
def report_diff_view(request, pk):
    report = _report_or_404(request, pk)
    base = report.previous_version
    if request.GET.get("against"):
        other = _report_or_404(request, request.GET["against"])
        if (other.enterprise_id, other.year, other.month) == (report.enterprise_id, report.year, report.month):
            base = other
    return render(request, "reporting/report_diff.html", {
        "report": report, "base": base, "changes": diff_for_people(selectors.report_diff(base, report)),
        "versions": selectors.report_versions(report)})


@login_required
def report_export_view(request, pk):
    report = _report_or_404(request, pk)
    access.report_access_record(actor=request.user, report=report, action="export", via="page")
    resp = HttpResponse(excel.report_export(report), content_type=excel.XLSX)
    resp["Content-Disposition"] = f'attachment; filename="report-{report.period}-v{report.version}.xlsx"'
    return resp


@login_required
def template_view(request):
    resp = HttpResponse(excel.template_workbook(), content_type=excel.XLSX)
    resp["Content-Disposition"] = 'attachment; filename="monthly-report-template.xlsx"'
    return resp


@login_required
@require_POST
def report_upload_view(request, pk):
    report = _report_or_404(request, pk)
    f = request.FILES.get("file")
    try:
        if f is None:
            raise DomainValidationError(errors={"file": [_("Choose the filled-in template (.xlsx).")]})
        services.report_import(actor=request.user, report=report, content=f.read())
    except DomainError as exc:
        ctx = _editor_context(report, services.report_payload(report))
        ctx["upload_errors"] = labelled_errors(exc.errors)
        ctx["error"] = exc.message
        return render(request, "reporting/report_edit.html", ctx, status=400)
    messages.success(request, _("Lines imported from the spreadsheet."))
    return redirect("reporting:edit", report.pk)


def _period_from(request):
    now_year, now_month = selectors.due_period(timezone.now())
    return _int(request.GET.get("year")) or now_year, _int(request.GET.get("month")) or now_month


@login_required
def summary_view(request):
    if not request.user.has_perm("reporting.view_summaries"):
        raise Http404
    year, month = _period_from(request)
    levels = selectors.summary_levels_for(request.user)
    level = request.GET.get("level") if request.GET.get("level") in levels else (levels[1] if len(levels) > 1 else levels[0])
    rows = selectors.summary_rows(user=request.user, year=year, month=month, level=level)
    fmt = request.GET.get("format")
    if fmt == "csv":
        resp = HttpResponse(excel.summary_csv(rows), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = f'attachment; filename="summary-{level}-{year}-{month:02d}.csv"'
        return resp
    if fmt == "xlsx":
        resp = HttpResponse(excel.summary_xlsx(rows, year, month, level), content_type=excel.XLSX)
        resp["Content-Disposition"] = f'attachment; filename="summary-{level}-{year}-{month:02d}.xlsx"'
        return resp
    totals = {k: sum(r[k] for r in rows) for k in ("expected", "submitted", "accepted", "late", "missing")}
    type_totals = [sum((r["totals"][t] for r in rows), Decimal("0")) for t in IndicatorType.values]
    return render(request, "reporting/summary.html", {
        "rows": rows, "year": year, "month": month, "level": level, "levels": levels, "totals": totals,
        "type_totals": type_totals, "types": IndicatorType.choices, "months": range(1, 13)})


@login_required
def certification_view(request):
    if not request.user.has_perm("reporting.certify"):
        raise Http404
    year, month = _period_from(request)
    if request.method == "POST":
        year, month = _int(request.POST.get("year")), _int(request.POST.get("month"))
        auth = authority_list(user=request.user).filter(pk=_int(request.POST.get("authority"))).first()
        if auth is None:
            raise Http404
        try:
            if request.POST.get("verb") == "reopen":
                services.period_reopen(actor=request.user, authority=auth, year=year, month=month,
                                       reason=request.POST.get("reason", ""))
                messages.success(request, _("%(name)s re-opened %(y)s-%(m)02d.") % {"name": auth.name, "y": year, "m": month})
            else:
                services.period_certify(actor=request.user, authority=auth, year=year, month=month)
                messages.success(request, _("%(name)s certified %(y)s-%(m)02d.") % {"name": auth.name, "y": year, "m": month})
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return redirect(f"{reverse('reporting:certification')}?year={year}&month={month}")
    rows = selectors.certification_list(user=request.user, year=year, month=month)
    # offer "Certify" only when it can succeed: a county once all its reports are accepted, a city or province once
    # every authority below it has certified; otherwise say what is still missing
    below = [r for r in rows if not r["own"]]
    for r in rows:
        if r["own"] and not r["certified"]:
            if below:
                r["waiting_for"] = [b["name"] for b in below if not b["certified"]]
            else:
                r["reports_open"] = max(r["expected"] - r["accepted"], 0)
            r["can_certify"] = not r.get("waiting_for") and not r.get("reports_open")
    return render(request, "reporting/certification.html", {"rows": rows, "year": year, "month": month,
                                                            "months": range(1, 13)})



@login_required
@require_POST
def correction_action_view(request, pk, verb):
    """Correction requests (request on a report; grant/refuse on a request) and supplementary report requests."""
    p = request.POST
    if verb in ("grant", "refuse"):
        req = corrections_mod.correction_list(user=request.user).filter(pk=pk).first()
        if req is None:
            raise Http404
        report_pk = req.report_id
    else:
        report_pk = _report_or_404(request, pk).pk
    try:
        if verb == "request":
            corrections_mod.correction_request(actor=request.user, report=MonthlyReport(pk=report_pk),
                                               reason=p.get("reason", ""))
            messages.success(request, _("Correction requested."))
        elif verb == "grant":
            corrections_mod.correction_grant(actor=request.user, request=req, reason=p.get("reason", ""))
            messages.success(request, _("Correction granted; the month is re-opened."))
        elif verb == "refuse":
            corrections_mod.correction_refuse(actor=request.user, request=req, reason=p.get("reason", ""))
            messages.success(request, _("Correction refused."))
        elif verb == "supplementary":
            corrections_mod.supplementary_request(actor=request.user, report=MonthlyReport(pk=report_pk),
                                                  text=p.get("text", ""))
            messages.success(request, _("Supplementary report requested."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect("reporting:detail", report_pk)


@login_required
def overdue_reviews_view(request):
    """Overdue reviews: a county sees its reports, a city (or above) its counties' counts."""
    if not request.user.has_perm("reporting.view_summaries"):
        raise Http404
    return render(request, "reporting/overdue_reviews.html", {
        "reports": corrections_mod.overdue_reviews(user=request.user),
        "by_county": corrections_mod.overdue_by_county(user=request.user),
        "days": settings.REVIEW_WORKING_DAYS})

