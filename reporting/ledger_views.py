"""Pages of the shipment ledger: the list (with the incoming shipments awaiting confirmation), declaring a shipment,
recording an import, a shipment with its confirm / dispute / dispatch forms, and the chain-of-custody trace graph."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.selectors import membership_of
from quota_portal.errors import DomainError
from quota_portal.params import int_or_none as _int

from . import ledger, selectors, services
from .models import MonthlyReport, Product, ReportStatus, Shipment, ShipmentStatus
from .trace import attribution_rule, shipment_trace

PAGE_SIZE = 25
DECLARE_FIELDS = ["buyer_credit_code", "buyer_name", "buyer_country", "product", "lots", "net_weight_t", "reo_pct",
                  "dispatch_date", "document_no", "customs_no", "export_licence_no"]
IMPORT_FIELDS = ["seller_name", "origin_country", "customs_no", "product", "lots", "net_weight_t", "reo_pct",
                 "received_date"]


def _shipment_or_404(request, pk) -> Shipment:
    try:
        return ledger.shipment_get(user=request.user, pk=pk)
    except Shipment.DoesNotExist:
        raise Http404


def _own_enterprise(request):
    m = membership_of(request.user)
    if m is None or m.enterprise is None or not request.user.has_perm("reporting.file"):
        raise Http404
    return m.enterprise


@login_required
def ledger_list_view(request):
    if not request.user.has_perm("reporting.view_reports"):
        raise Http404
    g = request.GET
    status = g.get("status", "") if g.get("status", "") in ShipmentStatus.values else ""
    qs = ledger.shipment_list(user=request.user, status=status, direction=g.get("direction", ""),
                              search=g.get("q", ""), year=_int(g.get("year")))
    page = Paginator(qs, PAGE_SIZE).get_page(g.get("page"))
    m = membership_of(request.user)
    awaiting = ledger.shipments_awaiting(enterprise=m.enterprise) if m and m.enterprise_id else None
    return render(request, "ledger/list.html", {"page": page, "statuses": ShipmentStatus.choices, "status": status,
                                                "q": g.get("q", ""), "awaiting": awaiting,
                                                "can_file": bool(m and m.enterprise_id
                                                                 and request.user.has_perm("reporting.file"))})


def _form_page(request, *, template: str, fields: list[str], call, title: str):
    values = {f: request.POST.get(f, "").strip() for f in fields} if request.method == "POST" else {}
    errors: dict = {}
    error = ""
    if request.method == "POST":
        try:
            s = call(values)
        except DomainError as exc:
            errors, error = exc.errors, str(exc.message)
        else:
            messages.success(request, _("Shipment %(number)s recorded.") % {"number": s.number})
            return redirect("ledger:detail", s.pk)
    return render(request, template, {"values": values, "errors": errors, "error": error, "title": title,
                                      "products": Product.objects.order_by("code")},
                  status=400 if errors or error else 200)


@login_required
def ledger_declare_view(request):
    ent = _own_enterprise(request)
    return _form_page(request, template="ledger/declare.html", fields=DECLARE_FIELDS, title=_("Declare a shipment"),
                      call=lambda data: ledger.shipment_declare(actor=request.user, seller=ent, data=data))


@login_required
def ledger_import_view(request):
    ent = _own_enterprise(request)
    return _form_page(request, template="ledger/import.html", fields=IMPORT_FIELDS, title=_("Record an import"),
                      call=lambda data: ledger.import_record(actor=request.user, importer=ent, data=data))


@login_required
def ledger_detail_view(request, pk):
    s = _shipment_or_404(request, pk)
    m = membership_of(request.user)
    own = m.enterprise_id if m else None
    if request.method == "POST":
        verb = request.POST.get("verb", "")
        nxt = request.POST.get("next", "")
        try:
            if verb in ("confirm", "dispute"):
                ledger.shipment_confirm(actor=request.user, shipment_id=s.pk,
                                        received_tonnes=request.POST.get("received_tonnes"),
                                        received_date=request.POST.get("received_date"), dispute=verb == "dispute",
                                        dispute_reason=request.POST.get("reason", ""))
                messages.success(request, _("Shipment %(number)s confirmed.") % {"number": s.number}
                                 if verb == "confirm" else _("Shipment %(number)s disputed.") % {"number": s.number})
            elif verb == "dispatch":
                ledger.shipment_dispatch(actor=request.user, shipment=s)
                messages.success(request, _("Shipment %(number)s is in transit.") % {"number": s.number})
            else:
                raise Http404
        except DomainError as exc:
            msg = "; ".join(f"{m_}" for msgs in exc.errors.values() for m_ in msgs) or str(exc.message)
            messages.error(request, msg)
        if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
            return redirect(nxt)
        return redirect("ledger:detail", s.pk)
    s = Shipment.objects.select_related("seller", "buyer", "product", "receipt").get(pk=s.pk)
    return render(request, "ledger/detail.html", {
        "s": s, "receipt": getattr(s, "receipt", None),
        "can_confirm": own is not None and s.buyer_id == own and s.is_open and request.user.has_perm("reporting.file"),
        "can_dispatch": own is not None and s.seller_id == own and s.status == ShipmentStatus.DECLARED
        and request.user.has_perm("reporting.file")})


@login_required
def ledger_trace_view(request, pk):
    s = _shipment_or_404(request, pk)
    direction = request.GET.get("direction", "up")
    if direction not in ("up", "down"):
        direction = "up"
    depth = _int(request.GET.get("depth")) or 5
    trace = shipment_trace(user=request.user, shipment=s, direction=direction, depth=max(0, min(depth, 10)))
    return render(request, "ledger/trace.html", {"s": s, "trace": trace, "graph": trace.as_data(),
                                                 "direction": direction, "rule": attribution_rule()})


@login_required
@require_POST
def ledger_fill_report_view(request, pk):
    """Replace a draft's flow records with the month's ledger (declared shipments out, confirmed receipts in)."""
    try:
        report = selectors.report_get(user=request.user, pk=pk)
    except MonthlyReport.DoesNotExist:
        raise Http404
    m = membership_of(request.user)
    if not (m and m.enterprise_id == report.enterprise_id) or report.status != ReportStatus.DRAFT:
        raise Http404
    try:
        services.report_update(actor=request.user, report=report, data={
            "shipments": ledger.ledger_rows(enterprise=report.enterprise, year=report.year, month=report.month)})
    except DomainError as exc:
        messages.error(request, "; ".join(f"{k}: {v}" for k, vs in exc.errors.items() for v in vs)
                       or str(exc.message))
    else:
        messages.success(request, _("The flow records now follow the ledger."))
    return redirect("reporting:edit", report.pk)
