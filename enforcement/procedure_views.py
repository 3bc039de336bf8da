"""Pages of the penalty procedure: hearing, payment, reconsideration/litigation, escalation, and the decision
document (行政处罚决定书) as a page and a PDF. Thin: parse → service → redirect with a message."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from weasyprint import HTML

from quota_portal.errors import DomainError, DomainValidationError

from . import selectors, services
from .models import Case, PenaltyReview, PenaltyStatus

VERBS = {"hearing", "schedule-hearing", "record-hearing", "payment", "file-review", "decide-review", "escalate"}


def _case(request, pk: int) -> Case:
    if not request.user.has_perm("enforcement.view_cases"):
        raise Http404
    try:
        return selectors.case_get(user=request.user, pk=pk)
    except Case.DoesNotExist:
        raise Http404


def _error_text(exc: DomainError) -> str:
    parts = [str(exc.message)]
    for path, msgs in (exc.errors or {}).items():
        parts.extend(f"{path}: {m}" for m in msgs)
    return " ".join(parts)


def _date(value: str, field: str) -> dt.date:
    d = parse_date(value or "")
    if d is None:
        raise DomainValidationError(errors={field: [_("Enter a date (YYYY-MM-DD).")]})
    return d


@login_required
@require_POST
def procedure_action_view(request, pk: int, verb: str):
    if verb not in VERBS:
        raise Http404
    case = _case(request, pk)
    p = request.POST
    live = next((x for x in case.penalties.all() if x.status != PenaltyStatus.REJECTED), None)
    try:
        if verb == "escalate":
            new = services.case_escalate(actor=request.user, case=case, reason=p.get("reason", ""))
            messages.success(request, _("Further case opened."))
            return redirect("enforcement:case-detail", pk=new.pk)
        if live is None:
            raise Http404
        if verb == "hearing":
            services.hearing_request(actor=request.user, penalty=live, waive=bool(p.get("waive")))
        elif verb == "schedule-hearing":
            at = parse_datetime(p.get("scheduled_for", ""))
            if at is None:
                raise DomainValidationError(errors={"scheduled_for": [_("Give the date and time of the hearing.")]})
            services.hearing_schedule(actor=request.user, penalty=live,
                                      scheduled_for=timezone.make_aware(at) if timezone.is_naive(at) else at,
                                      participants=p.get("participants", ""))
        elif verb == "record-hearing":
            services.hearing_record(actor=request.user, penalty=live, record=p.get("record", ""),
                                    participants=p.get("participants", ""))
        elif verb == "payment":
            services.payment_record(actor=request.user, penalty=live, receipt_no=p.get("receipt_no", ""),
                                    paid_on=parse_date(p.get("paid_on", "")) if p.get("paid_on") else None)
        elif verb == "file-review":
            services.review_file(actor=request.user, penalty=live, kind=p.get("kind", ""),
                                 filed_on=_date(p.get("filed_on", ""), "filed_on"), body=p.get("body", ""))
        elif verb == "decide-review":
            review = PenaltyReview.objects.filter(penalty=live, pk=p.get("review") or 0).first()
            if review is None:
                raise Http404
            services.review_decide(actor=request.user, review=review, outcome=p.get("outcome", ""),
                                   decided_on=_date(p.get("decided_on", ""), "decided_on"), text=p.get("text", ""))
        messages.success(request, _("Saved."))
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect("enforcement:case-detail", pk=case.pk)


def _decision(request, pk: int):
    case = _case(request, pk)
    penalty = next((x for x in case.penalties.all() if x.status in (PenaltyStatus.APPROVED, PenaltyStatus.ANNULLED)),
                   None)
    if penalty is None:
        raise Http404
    return case, penalty


@login_required
def decision_view(request, pk: int):
    case, penalty = _decision(request, pk)
    return render(request, "enforcement/decision.html", {**services.decision_document(penalty), "case": case})


@login_required
def decision_pdf_view(request, pk: int):
    case, penalty = _decision(request, pk)
    html = render_to_string("enforcement/decision.html",
                            {**services.decision_document(penalty), "case": case, "pdf": True}, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="decision-{penalty.pk}.pdf"'
    return response
