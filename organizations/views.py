from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from .audit_display import audit_rows
from .models import AUTHORITY_ROLES, ENTERPRISE_ROLES, MINISTRY_ROLES
from .selectors import audit_entry_list, membership_of

PAGE_SIZE = 25


def dashboard_kind(user) -> str:
    m = membership_of(user)
    if m is None:
        return "none"
    if m.role in MINISTRY_ROLES:
        return "ministry"
    if m.role in AUTHORITY_ROLES:
        return "authority"
    if m.group_id:
        return "group"
    if m.role in ENTERPRISE_ROLES:
        return "enterprise"
    return "none"


def dashboard_sections(request, kind: str) -> list[str]:
    """Templates that make up a role's dashboard; higher apps add theirs (see DASHBOARD_SECTIONS)."""
    sections = []
    for config in apps.get_app_configs():
        for k, template in getattr(config, "dashboard_sections", []):
            if k == kind:
                sections.append(template)
    return sections


@login_required
def home(request):
    kind = dashboard_kind(request.user)
    context = {"kind": kind, "sections": dashboard_sections(request, kind)}
    for config_ctx in _dashboard_contexts(request, kind):
        context.update(config_ctx)
    return render(request, "organizations/dashboard.html", context)


def _dashboard_contexts(request, kind):
    for config in apps.get_app_configs():
        provider = getattr(config, "dashboard_context", None)
        if provider is not None:
            ctx = provider(request, kind)
            if ctx:
                yield ctx


@login_required
def audit_list_view(request):
    if not request.user.has_perm("organizations.view_audit"):
        raise Http404
    q = request.GET.get("q", "").strip()
    qs = audit_entry_list(user=request.user).order_by("-id")
    if q:
        qs = qs.filter(action__icontains=q) | qs.filter(actor_username__icontains=q) | qs.filter(object_id=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "organizations/audit_list.html", {"page": page, "q": q, "rows": audit_rows(page.object_list)})
