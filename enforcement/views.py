"""Pages: flags (filters, inline resolve), cases (timeline and workflow forms), penalty rules, job progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from organizations.models import Authority, IndicatorType, Level, PublicationKind
from organizations.outbox import enqueue
from organizations.publication import publication_of
from organizations.selectors import authority_list, enterprise_list, membership_of
from quota_portal.errors import DomainError, apply_to_form
from quota_portal.formatting import money_text, tonnes_text
from quota_portal.params import int_or_none as _int

from . import selectors, services
from .forms import (
    CaseOpenForm,
    CloseForm,
    DecideForm,
    NoteForm,
    OrderCorrectionForm,
    PenaltyForm,
    RejectForm,
    ResolveForm,
    StatementForm,
)
from .models import (
    JOB_LABELS,
    Case,
    CaseStatus,
    Flag,
    FlagKind,
    FlagStatus,
    Hearing,
    JobRun,
    PenaltyStatus,
    ReviewKind,
    StatementAttachment,
)

PAGE_SIZE = 25
JOBS = {
    "flag_late_reports": "enforcement.tasks.flag_late_reports",
    "scan_quota_usage": "enforcement.tasks.scan_quota_usage",
    "reconcile_flows": "enforcement.tasks.reconcile_flows",
    "apply_deductions": "enforcement.tasks.apply_deductions",
    "send_deadline_reminders": "enforcement.tasks.send_deadline_reminders",
}


# --- flags ---------------------------------------------------------------------------------------------


@login_required
def flag_list_view(request):
    if not request.user.has_perm("enforcement.view_flags"):
        raise Http404
    f = {
        "kind": request.GET.get("kind", ""),
        "status": request.GET.get("status", "open"),
        "region": request.GET.get("region", "").strip(),
        "year": _int(request.GET.get("year")),
        "month": _int(request.GET.get("month")),
        "enterprise": _int(request.GET.get("enterprise")),
    }
    if f["status"] == "all":
        f["status"] = ""
    qs = selectors.flag_list(user=request.user, **f)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    regions = authority_list(user=request.user).exclude(level=Level.MINISTRY).exclude(level=Level.COUNTY) \
        if request.user.has_perm("enforcement.view_jobs") else Authority.objects.none()
    extra = "&".join(f"{k}={v}" for k, v in request.GET.items() if k != "page" and v)
    return render(request, "enforcement/flag_list.html", {
        "page": page, "f": f, "status_param": request.GET.get("status", "open"), "kinds": FlagKind.choices,
        "regions": regions, "extra_qs": extra + "&" if extra else "",
        "can_resolve": request.user.has_perm("enforcement.resolve_flag"),
        "can_open_case": request.user.has_perm("enforcement.open_case"),
    })


@login_required
@require_POST
def flag_resolve_view(request, pk: int):
    try:
        flag = selectors.flag_get(user=request.user, pk=pk)
    except Flag.DoesNotExist:
        raise Http404
    form = ResolveForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            flag = services.flag_resolve(actor=request.user, flag=flag, comment=form.cleaned_data["comment"])
        except DomainError as exc:
            error = str(exc.errors.get("comment", [exc.message])[0]) if exc.errors else str(exc.message)
    else:
        error = _("Say how the flag was resolved.")
    if request.htmx:
        flag = selectors.flag_get(user=request.user, pk=pk)
        return render(request, "enforcement/_flag_row.html", {
            "flag": flag, "error": error, "can_resolve": True,
            "can_open_case": request.user.has_perm("enforcement.open_case")})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Flag resolved."))
    return redirect("enforcement:flag-list")


# --- cases ---------------------------------------------------------------------------------------------


@login_required
def case_list_view(request):
    if not request.user.has_perm("enforcement.view_cases"):
        raise Http404
    status = request.GET.get("status", "")
    qs = selectors.case_list(user=request.user, status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "enforcement/case_list.html", {
        "page": page, "status": status, "statuses": CaseStatus.choices,
        "extra_qs": f"status={status}&" if status else "",
        "can_open_case": request.user.has_perm("enforcement.open_case")})


@login_required
def case_new_view(request):
    if not request.user.has_perm("enforcement.open_case"):
        raise Http404
    enterprises = enterprise_list(user=request.user).order_by("name")
    flag_ids = [i for i in (_int(x) for x in request.GET.getlist("flag")) if i]
    flags = selectors.flag_list(user=request.user).filter(status=FlagStatus.OPEN)
    if request.method == "POST":
        form = CaseOpenForm(request.POST, enterprises=enterprises, flags=flags)
        if form.is_valid():
            d = form.cleaned_data
            ent = enterprise_list(user=request.user).filter(pk=d["enterprise"]).first() if d["enterprise"] else None
            try:
                case = services.case_open(actor=request.user, enterprise=ent, flag_ids=d["flag_ids"],
                                          origin=d["origin"], title=d["title"], description=d["description"])
            except DomainError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("Case opened."))
                return redirect("enforcement:case-detail", pk=case.pk)
    else:
        selected = list(flags.filter(pk__in=flag_ids))
        initial = {"flag_ids": [f.pk for f in selected], "origin": "flags" if selected else "inspection"}
        if selected:
            initial["enterprise"] = selected[0].enterprise_id
        form = CaseOpenForm(initial=initial, enterprises=enterprises,
                            flags=flags.filter(enterprise_id=selected[0].enterprise_id) if selected else flags[:200])
    return render(request, "enforcement/case_new.html", {"form": form})


def _case_context(request, case: Case, forms: dict | None = None) -> dict:
    user = request.user
    penalty = selectors.penalty_in_progress(case=case)
    rejected = [p for p in case.penalties.all() if p.status == PenaltyStatus.REJECTED]
    now = timezone.now()
    statement = getattr(penalty, "statement", None) if penalty else None
    can_manage = user.has_perm("enforcement.manage_case")
    can_decide = bool(penalty and penalty.status == PenaltyStatus.NOTIFIED and user.has_perm(
        "enforcement.decide_penalty") and (statement is not None or now > penalty.statement_due_at))
    forms = forms or {}
    live = case.status not in (CaseStatus.CLOSED, CaseStatus.PENALIZED, CaseStatus.PENALTY_PROPOSED)
    return {
        "case": case, "penalty": penalty, "rejected": rejected, "statement": statement, "now": now,
        "can_manage": can_manage and case.status not in (CaseStatus.CLOSED, CaseStatus.PENALTY_PROPOSED),
        # one step at a time: a correction is ordered once (from an open case), then recorded
        "can_order": can_manage and case.status == CaseStatus.OPEN,
        "can_record": can_manage and case.status == CaseStatus.CORRECTION_ORDERED,
        "can_propose": user.has_perm("enforcement.propose_penalty") and live,
        "can_state": bool(penalty and penalty.status == PenaltyStatus.NOTIFIED and statement is None
                          and now <= penalty.statement_due_at and user.has_perm("enforcement.submit_statement")
                          and getattr(membership_of(user), "enterprise_id", None) == case.enterprise_id),
        "can_decide": can_decide,
        "decide_waiting": bool(penalty and penalty.status == PenaltyStatus.NOTIFIED and not can_decide
                               and user.has_perm("enforcement.decide_penalty")),
        "can_approve": bool(penalty and penalty.status == PenaltyStatus.DECIDED
                            and user.has_perm("enforcement.approve_penalty")
                            and user.pk not in (penalty.proposed_by_id, penalty.decided_by_id)),
        "order_form": forms.get("order") or OrderCorrectionForm(),
        "note_form": forms.get("record") or NoteForm(),
        "close_form": forms.get("close") or CloseForm(),
        "penalty_form": forms.get("penalize") or PenaltyForm(initial={"violation_date": timezone.localdate()}),
        "statement_form": forms.get("statement") or StatementForm(),
        "decide_form": forms.get("decide") or DecideForm(initial={"fine_cny": penalty.fine_cny if penalty else None}),
        "approve_summary": penalty_summary(penalty) if penalty else "",
        "reject_form": forms.get("reject") or RejectForm(),
        "indicator_types": IndicatorType.choices,
        "statement_days": settings.STATEMENT_PERIOD_DAYS,
        "hearing": Hearing.objects.filter(penalty=penalty).first() if penalty else None,
        "is_party": getattr(membership_of(user), "enterprise_id", None) == case.enterprise_id
        and user.has_perm("enforcement.submit_statement"),
        "can_decide_perm": user.has_perm("enforcement.decide_penalty"),
        "can_manage_perm": can_manage,
        "review_kinds": ReviewKind.choices,
        "penalty_publication": publication_of(PublicationKind.PENALTY, penalty.pk) if penalty else None,
        "can_publish": user.has_perm("organizations.publish"),
        "can_escalate": bool(user.has_perm("enforcement.open_case") and case.status == CaseStatus.CORRECTION_ORDERED
                             and case.correction_deadline and timezone.localdate() > case.correction_deadline),
    }


def _get_case(request, pk: int) -> Case:
    if not request.user.has_perm("enforcement.view_cases"):
        raise Http404
    try:
        return selectors.case_get(user=request.user, pk=pk)
    except Case.DoesNotExist:
        raise Http404


@login_required
def case_detail_view(request, pk: int):
    case = _get_case(request, pk)
    return render(request, "enforcement/case_detail.html", _case_context(request, case))


def _penalize(request, case: Case, penalty, d: dict) -> None:
    deductions = None if d["use_default_deductions"] else [
        {"indicator_type": t.value, "tonnes": d[f"deduct_{t.value}"]} for t in IndicatorType if d.get(f"deduct_{t.value}")]
    p = services.penalty_propose(
        actor=request.user, case=case, violation_type=d["violation_type"], violation_date=d["violation_date"],
        legal_basis=d["legal_basis"], facts=d["facts"], fine_cny=d["fine_cny"],
        illegal_income_cny=d["illegal_income_cny"], deductions=deductions)
    for w in p.fine_warnings:
        messages.warning(request, w)


def _state(request, case: Case, penalty, d: dict) -> None:
    services.statement_submit(actor=request.user, penalty=penalty, text=d["text"], waived=d["waived"],
                              files=request.FILES.getlist("files"))


def penalty_summary(penalty, *, warn: bool = True) -> str:
    """What approving a penalty does, in one sentence: "罚款 800,000 元；2027 年指标核减：冶炼分离 120.000 吨。"."""
    deductions = "、".join(d.get_indicator_type_display() + " " + _("%(tonnes)s t") % {"tonnes": tonnes_text(d.tonnes)}
                          for d in penalty.deductions.all())
    text = _("Fine %(fine)s yuan.") % {"fine": money_text(penalty.fine_cny)}
    if deductions:
        text += " " + _("Indicators of %(year)s reduced: %(deductions)s.") % {"year": penalty.deduction_year,
                                                                            "deductions": deductions}
    if warn:
        text += " " + _("Once approved the penalty takes effect and cannot be withdrawn.")
    return text


SUCCESS = {
    "order": gettext_lazy("Correction ordered; the enterprise has been notified."),
    "record": gettext_lazy("Correction recorded."),
    "close": gettext_lazy("Case closed."),
    "penalize": gettext_lazy("Notice of intended penalty issued; the enterprise may now state its case."),
    "statement": gettext_lazy("Your statement has been received."),
    "decide": gettext_lazy("Decision recorded; a second person must approve it."),
    "reject": gettext_lazy("Penalty proposal rejected."),
}


@dataclass(frozen=True)
class CaseAction:
    """A verb of the case page: the form that validates its POST (None: no fields) and the service call."""

    form: type[django_forms.Form] | None
    run: Callable[[Any, Case, Any, dict], object]  # (request, case, penalty in progress, cleaned data)
    needs_penalty: bool = False  # acts on the penalty in progress (404 when there is none)


CASE_ACTIONS: dict[str, CaseAction] = {
    "order": CaseAction(OrderCorrectionForm,
                        lambda r, case, _p, d: services.case_order_correction(actor=r.user, case=case, **d)),
    "record": CaseAction(NoteForm, lambda r, case, _p, d: services.case_record_correction(actor=r.user, case=case, **d)),
    "close": CaseAction(CloseForm, lambda r, case, _p, d: services.case_close(actor=r.user, case=case, **d)),
    "penalize": CaseAction(PenaltyForm, _penalize),
    "statement": CaseAction(StatementForm, _state, needs_penalty=True),
    "decide": CaseAction(DecideForm, lambda r, _c, penalty, d: services.penalty_decide(actor=r.user, penalty=penalty, **d),
                         needs_penalty=True),
    "approve": CaseAction(None, lambda r, _c, penalty, _d: services.penalty_approve(actor=r.user, penalty=penalty),
                          needs_penalty=True),
    "reject": CaseAction(RejectForm, lambda r, _c, penalty, d: services.penalty_reject(actor=r.user, penalty=penalty, **d),
                         needs_penalty=True),
}


@login_required
@require_POST
def case_action_view(request, pk: int, action: str):
    spec = CASE_ACTIONS.get(action)
    if spec is None:
        raise Http404
    case = _get_case(request, pk)
    form = spec.form(request.POST, request.FILES) if spec.form else None
    if form is None or form.is_valid():
        penalty = selectors.penalty_in_progress(case=case)
        if spec.needs_penalty and penalty is None:
            raise Http404
        try:
            spec.run(request, case, penalty, form.cleaned_data if form else {})
        except DomainError as exc:
            if form is None:
                messages.error(request, str(exc.message))
                return redirect("enforcement:case-detail", pk=case.pk)
            apply_to_form(form, exc)
        else:
            if action == "approve" and penalty is not None:
                penalty.refresh_from_db()
                messages.success(request, _("Penalty approved and in effect.") + " " + penalty_summary(penalty, warn=False))
            else:
                messages.success(request, str(SUCCESS.get(action, _("Saved."))))
            return redirect("enforcement:case-detail", pk=case.pk)
    case = _get_case(request, pk)
    return render(request, "enforcement/case_detail.html", _case_context(request, case, {action: form}), status=400)


@login_required
def penalty_check_view(request, pk: int):
    """htmx: the range of the rule in force on the violation date and a warning if the fine lies outside it."""
    _get_case(request, pk)
    rule, warnings = None, []
    try:
        on = dt.date.fromisoformat(request.GET.get("violation_date", ""))
    except ValueError:
        on = None
    if on is not None:
        rule = services.penalty_rule_in_force(violation_type=request.GET.get("violation_type", ""), on=on)
        try:
            fine = Decimal(request.GET.get("fine_cny") or "0")
            income = Decimal(request.GET["illegal_income_cny"]) if request.GET.get("illegal_income_cny") else None
        except InvalidOperation:
            fine, income = None, None
        if fine is not None:
            warnings = services.penalty_fine_warnings(rule=rule, fine_cny=fine, illegal_income_cny=income)
    return render(request, "enforcement/_penalty_check.html", {"rule": rule, "warnings": warnings, "on": on})


@login_required
def statement_attachment_view(request, pk: int, att: int):
    """Statement attachments are served only to users who can see the case (never from a public media URL)."""
    case = _get_case(request, pk)
    a = StatementAttachment.objects.filter(pk=att, statement__penalty__case=case).first()
    if a is None:
        raise Http404
    return FileResponse(a.file.open("rb"), as_attachment=True, filename=a.name)


# --- configuration and jobs ------------------------------------------------------------------------------


@login_required
def rule_list_view(request):
    return render(request, "enforcement/rule_list.html", {"rules": selectors.penalty_rule_list()})


@login_required
def job_list_view(request):
    if not request.user.has_perm("enforcement.view_jobs"):
        raise Http404
    page = Paginator(selectors.job_run_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "enforcement/job_list.html", {
        "page": page, "jobs": [(j, JOB_LABELS.get(j, j)) for j in JOBS], "can_run": request.user.has_perm("enforcement.run_jobs")})


@login_required
def job_progress_view(request, pk: int):
    if not request.user.has_perm("enforcement.view_jobs"):
        raise Http404
    run = JobRun.objects.filter(pk=pk).first()
    if run is None:
        raise Http404
    return render(request, "enforcement/_job_progress.html", {"run": run})


@login_required
@require_POST
def job_run_view(request):
    if not request.user.has_perm("enforcement.run_jobs"):
        raise Http404
    job = request.POST.get("job", "")
    if job not in JOBS:
        return HttpResponse(status=400)
    enqueue(JOBS[job], {}, dedup_key=f"manual:{job}")
    messages.success(request, _("The job has been queued; its progress appears below."))
    return redirect(reverse("enforcement:job-list"))
