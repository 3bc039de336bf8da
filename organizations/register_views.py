"""Pages of the register (ministry; read-only and scoped for authorities), onboarding and staff. Thin: forms in,
services decide, selectors scope (out of scope = 404)."""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quota_portal.errors import DomainError, DomainValidationError, NotFound, apply_to_form

from . import accounts, register_import, register_services
from .forms import (
    AcceptForm,
    CapacityForm,
    DesignationForm,
    ImportForm,
    InvitationForm,
    PasswordResetRequestForm,
    PermitForm,
    RoleForm,
)
from .models import (
    Authority,
    DecisionStatus,
    DesignationState,
    Enterprise,
    EnterpriseGroup,
    IndicatorType,
    Level,
    RegisterImport,
    Role,
)
from .register_selectors import (
    capacity_list,
    decision_list,
    designation_status_map,
    import_list,
    invitation_list,
    permit_list,
    register_enterprise_list,
)
from .selectors import authority_list, enterprise_get, membership_of

PAGE_SIZE = 25


def _base_url(request) -> str:
    return request.build_absolute_uri("/")[:-1]


def _enterprise_or_404(request, pk: int) -> Enterprise:
    try:
        return enterprise_get(user=request.user, pk=pk)
    except Enterprise.DoesNotExist:
        raise Http404


def _filters(request) -> dict:
    return {
        "search": request.GET.get("q", "").strip()[:100],
        "province": request.GET.get("province", "").strip()[:6],
        "activity": request.GET.get("activity", "") if request.GET.get("activity") in IndicatorType.values else "",
        "status": request.GET.get("status", "") if request.GET.get("status") in DesignationState.values else "",
        "expiring": request.GET.get("expiring") == "1",
    }


@login_required
def register_list_view(request):
    """The register: every enterprise in scope with its designation status today, searchable and filterable."""
    f = _filters(request)
    today = timezone.localdate()
    qs = register_enterprise_list(user=request.user, on=today, **f)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    states = designation_status_map(enterprise_ids=[e.pk for e in page], on=today)
    rows = [(e, [(IndicatorType(a).label, d) for (eid, a), d in sorted(states.items()) if eid == e.pk]) for e in page]
    return render(request, "organizations/enterprise_list.html", {
        "page": page, "rows": rows, "q": f["search"], "f": f, "today": today,
        "provinces": authority_list(user=request.user).filter(level=Level.PROVINCE).order_by("code"),
        "activities": IndicatorType.choices, "statuses": DesignationState.choices,
        "pending": decision_list(user=request.user).filter(status=DecisionStatus.DRAFT).count()
        if request.user.has_perm("organizations.draft_designation") else 0,
    })


@login_required
def register_export_view(request, fmt: str):
    if not request.user.has_perm("organizations.view_register"):
        raise Http404
    today = timezone.localdate()
    qs = register_enterprise_list(user=request.user, on=today, **_filters(request))
    stamp = today.strftime("%Y%m%d")
    if fmt == "xlsx":
        resp = HttpResponse(register_import.export_xlsx(qs, on=today),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        resp = HttpResponse(register_import.export_csv(qs, on=today), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="register-{stamp}.{fmt}"'
    return resp


@login_required
def enterprise_detail_view(request, pk: int):
    ent = _enterprise_or_404(request, pk)
    today = timezone.localdate()
    states = designation_status_map(enterprise_ids=[ent.pk], on=today)
    panels: dict = {"sections": []}
    for config in apps.get_app_configs():  # higher apps add their panels (indicators, reports)
        provider = getattr(config, "enterprise_context", None)
        if provider is not None:
            panels.update(provider(request, ent) or {})
            panels["sections"] += getattr(config, "enterprise_sections", [])
    return render(request, "organizations/enterprise_detail.html", {
        **panels, "enterprise": ent, "today": today,
        "states": [(IndicatorType(a).label, d) for (_e, a), d in sorted(states.items())],
        "decisions": decision_list(user=request.user).filter(enterprise=ent).order_by("effective_from", "id"),
        "permits": permit_list(user=request.user).filter(enterprise=ent).order_by("kind", "-valid_to"),
        "capacities": capacity_list(user=request.user).filter(enterprise=ent).order_by("activity", "-effective_from"),
        "licences": ent.licences.all(),
        "can_manage_staff": accounts.can_manage(request.user, ent),
    })


@login_required
def designation_list_view(request):
    """Decisions awaiting approval (and the latest decided ones) with approve/reject for approvers."""
    if not request.user.has_perm("organizations.view_register"):
        raise Http404
    qs = decision_list(user=request.user).order_by("status", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "organizations/designation_list.html", {
        "page": page, "imports": import_list(user=request.user).filter(status=DecisionStatus.DRAFT)})


@login_required
def designation_new_view(request):
    if not request.user.has_perm("organizations.draft_designation"):
        raise Http404
    initial = {}
    ent = None
    if request.GET.get("enterprise"):
        try:
            ent = _enterprise_or_404(request, int(request.GET["enterprise"]))
        except ValueError:
            raise Http404
        initial["enterprise"] = ent.pk
    form = DesignationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        target = None
        if d.get("enterprise"):
            target = _enterprise_or_404(request, d["enterprise"])
        try:
            dec = register_services.designation_draft(
                actor=request.user, enterprise=target,
                new_enterprise=None if target else {"name": d["name"], "credit_code": d["credit_code"],
                                                    "county_code": d["county"], "group_code": d["group"]},
                activity=d["activity"], kind=d["kind"], document_no=d["document_no"],
                effective_from=d["effective_from"], effective_to=d.get("effective_to"), basis=d["basis"])
        except DomainError as exc:
            errors = {{"county_code": "county", "group_code": "group"}.get(k, k): v for k, v in exc.errors.items()}
            apply_to_form(form, type(exc)(exc.message, errors=errors))
        else:
            messages.success(request, _("Decision drafted: another ministry approver must approve it."))
            return redirect("designation-list") if not target else redirect("enterprise-detail", dec.enterprise_id)
    return render(request, "organizations/designation_form.html", {"form": form, "enterprise": ent},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def designation_decide_view(request, pk: int):
    dec = decision_list(user=request.user).filter(pk=pk).first()
    if dec is None:
        raise Http404
    try:
        if request.POST.get("action") == "reject":
            register_services.designation_reject(actor=request.user, decision=dec,
                                                 reason=request.POST.get("reason", ""))
            messages.success(request, _("Decision rejected."))
        else:
            register_services.designation_approve(actor=request.user, decision=dec)
            messages.success(request, _("Decision approved."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("designation-list")


@login_required
def permit_new_view(request, pk: int):
    ent = _enterprise_or_404(request, pk)
    if not request.user.has_perm("organizations.record_permit"):
        raise Http404
    form = PermitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            register_services.permit_record(actor=request.user, enterprise=ent, **form.cleaned_data)
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("Permit recorded."))
            return redirect("enterprise-detail", ent.pk)
    return render(request, "organizations/simple_form.html", {
        "form": form, "enterprise": ent, "title": _("Record a permit"), "multipart": True},
        status=400 if form.errors else 200)


@login_required
def capacity_new_view(request, pk: int):
    ent = _enterprise_or_404(request, pk)
    if not request.user.has_perm("organizations.record_capacity"):
        raise Http404
    form = CapacityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            register_services.capacity_record(actor=request.user, enterprise=ent, **form.cleaned_data)
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("Capacity recorded."))
            return redirect("enterprise-detail", ent.pk)
    return render(request, "organizations/simple_form.html", {
        "form": form, "enterprise": ent, "title": _("Record capacity")}, status=400 if form.errors else 200)


@login_required
def import_template_view(request):
    if not request.user.has_perm("organizations.import_register"):
        raise Http404
    resp = HttpResponse(register_import.template_workbook(),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = 'attachment; filename="register-template.xlsx"'
    return resp


@login_required
def import_view(request):
    """Upload → dry run. A valid file can be kept as a drafted import (approved by another person); a file with
    any bad row lists every bad row and cell and writes nothing."""
    if not request.user.has_perm("organizations.import_register"):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    rows, problems = None, []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if request.POST.get("action") == "draft":
                imp = register_import.import_draft(actor=request.user, upload=upload)
                messages.success(request, _("Import of %(n)s rows drafted: another ministry approver must approve it.")
                                 % {"n": len(imp.rows)})
                return redirect("designation-list")
            rows, problems = register_import.parse_file(upload)
        except DomainValidationError as exc:
            if list(exc.errors) == ["file"] and len(exc.errors["file"]) > 1:
                problems = exc.errors["file"]
            else:
                apply_to_form(form, exc)
    status = 400 if form.errors or problems else 200
    return render(request, "organizations/import.html", {"form": form, "rows": rows, "problems": problems},
                  status=status)


@login_required
@require_POST
def import_decide_view(request, pk: int):
    imp = import_list(user=request.user).filter(pk=pk).first()
    if imp is None:
        raise Http404
    try:
        register_import.import_approve(actor=request.user, register_import=imp)
        messages.success(request, _("Import approved: the enterprises are in the register."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        for m in exc.errors.get("file", []):
            messages.error(request, m)
    return redirect("designation-list")


# --- staff and onboarding ---------------------------------------------------------------------------------

def _organisation(request, kind: str, pk: int) -> Authority | Enterprise | EnterpriseGroup:
    """An organisation the user may manage (the ministry: any; a manager: its own). Otherwise 404."""
    org: Authority | Enterprise | EnterpriseGroup | None
    if kind not in ("authority", "enterprise", "group"):
        raise Http404
    if kind == "authority":
        org = authority_list(user=request.user).filter(pk=pk).first()
    elif kind == "enterprise":
        org = Enterprise.objects.filter(pk=pk).first()
    else:
        org = EnterpriseGroup.objects.filter(pk=pk).first()
    if org is None or not accounts.can_manage(request.user, org):
        raise Http404
    return org


@login_required
def staff_view(request, kind: str = "", pk: int = 0):
    """The staff of one organisation, invitations into it, role changes and deactivation."""
    if not kind:
        m = membership_of(request.user)
        if m is None:
            raise Http404
        org = m.organisation
        kind = "authority" if m.authority_id else ("enterprise" if m.enterprise_id else "group")
        if not accounts.can_manage(request.user, org):
            raise Http404
    else:
        org = _organisation(request, kind, pk)
    form = InvitationForm(request.POST or None)
    role_field = form.fields["role"]
    assert isinstance(role_field, forms.ChoiceField)
    role_field.choices = [(r, label) for r, label in Role.choices if r in accounts.roles_for(org)]
    if request.method == "POST" and form.is_valid():
        try:
            accounts.invitation_create(actor=request.user, organisation=org, base_url=_base_url(request),
                                       **form.cleaned_data)
        except NotFound:
            raise Http404
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect(request.path)
    field = "authority" if kind == "authority" else kind
    return render(request, "organizations/staff.html", {
        "org": org, "kind": kind, "form": form, "role_form": RoleForm(),
        "members": accounts.staff_list(actor=request.user, organisation=org),
        "invitations": invitation_list(user=request.user).filter(**{field: org}).order_by("-id")[:50],
        "roles": [(r, label) for r, label in Role.choices if r in accounts.roles_for(org)],
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def staff_member_view(request, pk: int):
    """Change a member's role or deactivate them (own organisation only; others → 404)."""
    target = get_user_model().objects.filter(pk=pk).first()
    if target is None:
        raise Http404
    try:
        if request.POST.get("action") == "deactivate":
            accounts.staff_deactivate(actor=request.user, user=target)
            messages.success(request, _("%(user)s is deactivated; their sessions and API token no longer work.")
                             % {"user": target.get_username()})
        else:
            accounts.staff_change_role(actor=request.user, user=target, role=request.POST.get("role", ""))
            messages.success(request, _("Role changed."))
    except NotFound:
        raise Http404
    except DomainError as exc:
        messages.error(request, str(exc.message))
        for msgs in exc.errors.values():
            for m in msgs:
                messages.error(request, m)
    return redirect(request.POST.get("next") or "staff")


def invitation_accept_view(request, token: str):
    """No login: the invited person chooses a user name and password (validators apply)."""
    try:
        inv = accounts.invitation_by_token(token)
    except DomainValidationError as exc:
        return render(request, "organizations/invitation_accept.html", {"error": exc.errors["token"][0]}, status=400)
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.invitation_accept(token=token, username=form.cleaned_data["username"],
                                       password=form.cleaned_data["password"])
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("Your account is ready: log in with your new password."))
            return redirect("login")
    return render(request, "organizations/invitation_accept.html", {"form": form, "invitation": inv},
                  status=400 if form.errors else 200)


def password_reset_view(request):
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accounts.password_reset_request(email=form.cleaned_data["email"], base_url=_base_url(request))
        return render(request, "organizations/password_reset.html", {"sent": True})
    return render(request, "organizations/password_reset.html", {"form": form}, status=400 if form.errors else 200)


__all__ = ["RegisterImport"]
