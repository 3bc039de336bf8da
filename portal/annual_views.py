"""The ministry's annual execution overview (page, Excel, PDF) and publication decisions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from weasyprint import HTML

from organizations.models import PublicationKind
from organizations.publication import publication_of, publication_publish
from organizations.selectors import is_authority, is_ministry
from quota_portal.errors import DomainError
from reporting.annual import year_is_closed

from . import annual


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", timezone.localdate().year - 1))
    except (TypeError, ValueError):
        return timezone.localdate().year - 1
    return year if 2000 <= year <= 2100 else timezone.localdate().year - 1


def _context(request) -> dict:
    if not (is_ministry(request.user) or is_authority(request.user)):
        raise Http404
    year = _year(request)
    overview = annual.annual_overview(user=request.user, year=year)
    return {"overview": overview, "year": year, "closed": year_is_closed(year),
            "published": publication_of(PublicationKind.NATIONAL_TOTALS, year),
            "can_publish": request.user.has_perm("organizations.publish")}


@login_required
def annual_overview_view(request):
    ctx = _context(request)
    if request.GET.get("format") == "xlsx":
        resp = HttpResponse(annual.overview_xlsx(ctx["overview"]), content_type=annual.XLSX)
        resp["Content-Disposition"] = f'attachment; filename="annual-overview-{ctx["year"]}.xlsx"'
        return resp
    ctx["chart"] = annual.overview_chart(ctx["overview"])
    return render(request, "portal/annual_overview.html", ctx)


@login_required
def annual_overview_pdf_view(request):
    ctx = _context(request)
    html = render_to_string("portal/annual_overview_pdf.html", {**ctx, "generated_at": timezone.now()},
                            request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="annual-overview-{ctx["year"]}.pdf"'
    return resp


@login_required
@require_POST
def publish_view(request):
    """A ministry user publishes national totals of a year, a penalty decision or a designation decision."""
    if not is_ministry(request.user):
        raise Http404
    try:
        publication_publish(actor=request.user, kind=request.POST.get("kind", ""), key=request.POST.get("key", ""),
                            note=request.POST.get("note", ""))
        messages.success(request, _("Published."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    nxt = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    return redirect(nxt)
