"""Pages of the allocations app: thin views over the same services and selectors as the API."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from weasyprint import HTML

from organizations.models import IndicatorType
from organizations.selectors import is_ministry, membership_of
from quota_portal.errors import DomainError, DomainValidationError, apply_to_form
from quota_portal.formatting import tonnes_text
from quota_portal.params import year_param

from . import selectors, services
from .forms import AdjustmentForm, BatchEditForm, BatchForm, LineForm, PlanForm, PlanRevisionForm, ShareFormSet
from .models import Adjustment, AllocationLine, BatchStatus, GroupBreakdown, IssuanceBatch, NationalPlan
from .notice import notice_context

PAGE_SIZE = 25

# the service's field paths as people know them on the batch page (the API keeps the paths)
BATCH_FIELD_LABELS = {"lines": gettext_lazy("Allocation lines"), "comment": gettext_lazy("Reason"),
                      "title": gettext_lazy("Title"), "document_no": gettext_lazy("Document number"),
                      "year": gettext_lazy("Year")}


def _year(request) -> int:
    today = timezone.localdate().year
    return year_param(request.GET.get("year"), today)


def _require_ministry(request):
    if not is_ministry(request.user):
        raise Http404


# --- Plans -------------------------------------------------------------------------------------------


@login_required
def plan_list_view(request):
    year = request.GET.get("year", "")
    qs = selectors.plan_list(user=request.user, year=int(year) if year.isdigit() else None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    form = PlanForm(initial={"year": timezone.localdate().year, "reserve_t": 0}) if is_ministry(request.user) else None
    return render(request, "allocations/plan_list.html", {"page": page, "form": form, "year": year,
                                                          "extra_qs": f"year={year}&amp;" if year else ""})


@login_required
@require_POST
def plan_create_view(request):
    _require_ministry(request)
    form = PlanForm(request.POST)
    if form.is_valid():
        try:
            plan = services.plan_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("Plan drafted. Another approver must approve it."))
            return redirect("allocations:plan-detail", plan.pk)
    page = Paginator(selectors.plan_list(user=request.user), PAGE_SIZE).get_page(1)
    return render(request, "allocations/plan_list.html", {"page": page, "form": form}, status=400)


def _plan_or_404(request, pk) -> NationalPlan:
    try:
        return selectors.plan_list(user=request.user).get(pk=pk)
    except NationalPlan.DoesNotExist:
        raise Http404


@login_required
def plan_detail_view(request, pk: int):
    plan = _plan_or_404(request, pk)
    revise_form = None
    if request.method == "POST":
        _require_ministry(request)
        action = request.POST.get("action")
        try:
            if action == "return":
                services.plan_return(actor=request.user, plan=plan, reason=request.POST.get("reason", ""))
                messages.success(request, _("Plan returned to the drafter: %(reason)s") % {
                    "reason": request.POST.get("reason", "").strip()})
                return redirect("allocations:plan-detail", plan.pk)
            if action == "approve":
                services.plan_approve(actor=request.user, plan=plan)
                messages.success(request, _("Plan approved: %(summary)s") % {"summary": _plan_summary(plan)})
                return redirect("allocations:plan-detail", plan.pk)
            if action == "revise":
                revise_form = PlanRevisionForm(request.POST)
                if revise_form.is_valid():
                    revision = services.plan_revise(actor=request.user, plan=plan, **revise_form.cleaned_data)
                    messages.success(request, _("Revision drafted; the approved plan stays in force until it is "
                                                "approved."))
                    return redirect("allocations:plan-detail", revision.pk)
        except DomainError as exc:
            if revise_form is not None:
                apply_to_form(revise_form, exc)
            else:
                messages.error(request, str(exc.message))
    if revise_form is None and plan.status == "approved" and is_ministry(request.user):
        revise_form = PlanRevisionForm(initial={"total_t": plan.total_t, "reserve_t": plan.reserve_t,
                                                "basis": plan.basis})
    history = selectors.plan_history(user=request.user, plan=plan)
    return render(request, "allocations/plan_detail.html", {
        "plan": plan, "history": history, "revise_form": revise_form,
        "returns": selectors.plan_returns(plan=plan) if plan.status == "draft" else [],
        "approve_summary": _("Approve %(summary)s? Batches of the year can then be issued against it; a change needs a "
                             "new revision.") % {"summary": _plan_summary(plan)}})


def _plan_summary(plan) -> str:
    return _("%(year)s %(type)s, national total %(total)s t, reserve %(reserve)s t") % {
        "year": plan.year, "type": plan.get_indicator_type_display(), "total": tonnes_text(plan.total_t),
        "reserve": tonnes_text(plan.reserve_t)}


def _batch_summary(lines) -> str:
    totals = selectors.batch_totals(lines)
    return _("%(n)s lines: %(totals)s") % {"n": len(lines), "totals": "；".join(
        label + " " + _("%(tonnes)s t") % {"tonnes": tonnes_text(total)} for _t, label, total in totals) or "—"}


# --- Batches -----------------------------------------------------------------------------------------


@login_required
def batch_list_view(request):
    year = request.GET.get("year", "")
    status = request.GET.get("status", "")
    qs = selectors.batch_list(user=request.user, year=int(year) if year.isdigit() else None, status=status or None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "allocations/batch_list.html", {
        "page": page, "year": year, "status": status, "statuses": BatchStatus.choices,
        "extra_qs": f"year={year}&amp;status={status}&amp;"})


@login_required
def batch_create_view(request):
    _require_ministry(request)
    form = BatchForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.batch_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("Batch drafted. Add its lines below."))
            return redirect("allocations:batch-detail", batch.pk)
    return render(request, "allocations/batch_form.html", {"form": form}, status=400 if form.errors else 200)


def _batch_or_404(request, pk) -> IssuanceBatch:
    try:
        return selectors.batch_get(user=request.user, pk=pk)
    except IssuanceBatch.DoesNotExist:
        raise Http404


def _lines_context(request, batch, line_form=None):
    lines = list(selectors.batch_lines(user=request.user, batch=batch))
    overruns = services.batch_capacity_overruns(batch, lines) if batch.status == BatchStatus.SUBMITTED else []
    return {"batch": batch, "lines": lines, "totals": selectors.batch_totals(lines),
            "capacity_warnings": [services._capacity_message(o) for o in overruns],
            "line_form": line_form if line_form is not None else (LineForm() if batch.status == "draft" else None),
            "editable": batch.status == BatchStatus.DRAFT and is_ministry(request.user)}


@login_required
def batch_detail_view(request, pk: int):
    batch = _batch_or_404(request, pk)
    edit_form = None
    if request.method == "POST":
        _require_ministry(request)
        action = request.POST.get("action")
        try:
            if action == "submit":
                services.batch_submit(actor=request.user, batch=batch)
                messages.success(request, _("Batch submitted for approval."))
            elif action == "approve":
                services.batch_approve(actor=request.user, batch=batch,
                                       capacity_reason=request.POST.get("capacity_reason", ""))
                messages.success(request, _("Batch issued — %(summary)s. The recipients have been notified.") % {
                    "summary": _batch_summary(list(selectors.batch_lines(user=request.user, batch=batch)))})
            elif action == "return":
                reason = request.POST.get("comment", "").strip()
                if not reason:
                    raise DomainValidationError(_("Give the reason for returning the batch."),
                                                errors={"comment": [_("Give the reason for returning the batch.")]})
                services.batch_return(actor=request.user, batch=batch, comment=reason)
                messages.success(request, _("Batch returned to the drafter: %(reason)s") % {"reason": reason})
            elif action == "edit":
                edit_form = BatchEditForm(request.POST)
                if edit_form.is_valid():
                    services.batch_update(actor=request.user, batch=batch, **edit_form.cleaned_data)
                    messages.success(request, _("Batch saved."))
                    edit_form = None
            if edit_form is None:
                return redirect("allocations:batch-detail", batch.pk)
        except DomainError as exc:
            if edit_form is not None:
                apply_to_form(edit_form, exc)
            else:
                messages.error(request, str(exc.message))
                for field, msgs in exc.errors.items():
                    for m in msgs:
                        if m != str(exc.message):
                            label = BATCH_FIELD_LABELS.get(field)
                            messages.error(request, _("%(field)s: %(message)s") % {"field": label, "message": m}
                                           if label else m)
            batch = _batch_or_404(request, pk)
    if edit_form is None and batch.status == BatchStatus.DRAFT and is_ministry(request.user):
        edit_form = BatchEditForm(initial={"title": batch.title, "document_no": batch.document_no})
    ctx = _lines_context(request, batch)
    ctx["approve_summary"] = _("Approve and issue “%(title)s”? %(summary)s. Issued indicators cannot be withdrawn; "
                               "the recipients are notified at once.") % {"title": batch.title,
                                                                        "summary": _batch_summary(ctx["lines"])}
    ctx.update({"edit_form": edit_form, "balance": selectors.national_balance(year=batch.year)
                if is_ministry(request.user) else None,
                "group_lines": [ln for ln in ctx["lines"] if ln.group_id], "today_date": timezone.localdate()})
    return render(request, "allocations/batch_detail.html", ctx)


@login_required
@require_POST
def batch_line_add_view(request, pk: int):
    """htmx: add a line, answer with the refreshed line editor (with the error on the form if refused)."""
    _require_ministry(request)
    batch = _batch_or_404(request, pk)
    form = LineForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            services.batch_line_add(actor=request.user, batch=batch, indicator_type=form.cleaned_data["indicator_type"],
                                    tonnes=form.cleaned_data["tonnes"], **form.recipient_kwargs())
            form = LineForm()
        except DomainError as exc:
            exc.errors = {("recipient" if k in ("enterprise", "group") else k): v for k, v in exc.errors.items()}
            apply_to_form(form, exc)
            status = 400 if not request.htmx else 200
    elif not request.htmx:
        status = 400
    if not request.htmx:
        if status == 200:
            return redirect("allocations:batch-detail", batch.pk)
    return render(request, "allocations/_batch_lines.html", _lines_context(request, batch, form), status=status)


@login_required
@require_POST
def batch_line_remove_view(request, pk: int, line_pk: int):
    _require_ministry(request)
    batch = _batch_or_404(request, pk)
    try:
        line = batch.lines.get(pk=line_pk)
    except AllocationLine.DoesNotExist:
        raise Http404
    try:
        services.batch_line_remove(actor=request.user, line=line)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    if request.htmx:
        return render(request, "allocations/_batch_lines.html", _lines_context(request, batch))
    return redirect("allocations:batch-detail", batch.pk)


@login_required
def batch_notice_view(request, pk: int):
    batch = _batch_or_404(request, pk)
    return render(request, "allocations/notice.html", notice_context(request.user, batch))


@login_required
def batch_notice_pdf_view(request, pk: int):
    batch = _batch_or_404(request, pk)

    html = render_to_string("allocations/notice.html", {**notice_context(request.user, batch), "pdf": True},
                            request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{batch.year}-{batch.sequence}.pdf"'
    return response


@login_required
def balance_view(request):
    _require_ministry(request)
    year = _year(request)
    return render(request, "allocations/balance.html", {
        "year": year, "rows": selectors.national_balance(year=year),
        "overdue": [ln for ln in selectors.group_lines(user=request.user, year=year) if ln.overdue]})


# --- Group breakdowns --------------------------------------------------------------------------------


@login_required
def breakdown_list_view(request):
    m = membership_of(request.user)
    if m is None:
        raise Http404
    lines = selectors.group_lines(user=request.user)
    filed = selectors.breakdown_list(user=request.user).order_by("-filed_at")
    page = Paginator(filed, PAGE_SIZE).get_page(request.GET.get("page"))
    pending = [ln for ln in lines if not ln.filed]
    return render(request, "allocations/breakdown_list.html", {"pending": pending, "page": page,
                                                               "is_group": bool(m.group_id)})


@login_required
def breakdown_file_view(request, line_pk: int):
    m = membership_of(request.user)
    try:
        line = selectors.group_line_get(user=request.user, pk=line_pk)
    except AllocationLine.DoesNotExist:
        raise Http404
    if m is None or m.group_id != line.group_id:
        raise Http404
    if line.filed:  # type: ignore[attr-defined]  # annotated by group_line_get
        return redirect("allocations:breakdown-detail", line.breakdown.pk)
    candidates = selectors.breakdown_candidates(line=line)
    failures = services.eligibility_failures([(e, line.indicator_type) for e in candidates])
    general: list[str] = []
    note = request.POST.get("note", "") if request.method == "POST" else ""
    formset = ShareFormSet(request.POST if request.method == "POST" else None, candidates=candidates)
    if request.method == "POST" and formset.is_valid():
        # the non-blank, non-zero shares, and the form each came from (to show the service's errors there)
        pairs = [(f, e) for f, e in zip(formset.forms, candidates, strict=True) if f.cleaned_data.get("share")]
        shares = [{"enterprise": e.pk, "tonnes": f.cleaned_data["share"]} for f, e in pairs]
        try:
            bd = services.breakdown_file(actor=request.user, line=line, shares=shares, note=note)
        except DomainError as exc:
            general.append(str(exc.message))
            for key, msgs in exc.errors.items():
                if key.startswith("shares[") and "]" in key:
                    form = pairs[int(key[7:key.index("]")])][0]
                    apply_to_form(form, DomainValidationError(errors={"share": msgs}))
                elif key != "shares":
                    general.extend(msgs)
        else:
            messages.success(request, _("Breakdown filed."))
            return redirect("allocations:breakdown-detail", bd.pk)
    rows = [{"enterprise": e, "value": f["share"].value() or "", "ineligible": failures.get((e.pk, line.indicator_type)),
             "errors": f.errors.get("share", [])} for f, e in zip(formset.forms, candidates, strict=True)]
    invalid = request.method == "POST" and (bool(general) or any(r["errors"] for r in rows))
    return render(request, "allocations/breakdown_form.html", {
        "line": line, "rows": rows, "general": general, "note": note}, status=400 if invalid else 200)


@login_required
def breakdown_detail_view(request, pk: int):
    try:
        bd = selectors.breakdown_list(user=request.user).get(pk=pk)
    except GroupBreakdown.DoesNotExist:
        raise Http404
    shares = list(selectors.breakdown_shares(user=request.user, breakdown=bd))
    return render(request, "allocations/breakdown_detail.html", {
        "bd": bd, "shares": shares, "total": sum((s.tonnes for s in shares), Decimal(0))})


# --- Quotas, adjustments -----------------------------------------------------------------------------


@login_required
def quota_list_view(request):
    year = _year(request)
    q = request.GET.get("q", "").strip()
    itype = request.GET.get("type", "")
    if itype not in IndicatorType.values:
        itype = ""
    rows = selectors.quota_list_paged(user=request.user, year=year, indicator_type=itype or None, search=q)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "allocations/quota_list.html", {
        "page": page, "year": year, "q": q, "type": itype, "types": IndicatorType.choices,
        "extra_qs": f"year={year}&amp;type={itype}&amp;"})


@login_required
def adjustment_list_view(request):
    _require_ministry(request)
    form = AdjustmentForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST":
        action = request.POST.get("action", "propose")
        if action == "approve":
            try:
                adj = Adjustment.objects.get(pk=request.POST.get("adjustment"))
                services.adjustment_approve(actor=request.user, adjustment=adj)
                messages.success(request, _("Adjustment approved."))
            except (Adjustment.DoesNotExist, ValueError):
                raise Http404
            except DomainError as exc:
                messages.error(request, str(exc.message))
            return redirect("allocations:adjustment-list")
        if form.is_valid():
            try:
                services.adjustment_propose(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("Adjustment proposed. Another approver must approve it."))
                return redirect("allocations:adjustment-list")
    page = Paginator(selectors.adjustment_list(user=request.user).order_by("-created_at", "-id"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "allocations/adjustment_list.html", {"page": page, "form": form},
                  status=400 if form.errors else 200)

