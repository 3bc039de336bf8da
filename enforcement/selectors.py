"""Reads of the enforcement app, scoped to the user's organisation (out of scope → absent → 404)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from organizations.selectors import membership_of, scope_queryset

from .models import Case, CaseStatus, Flag, FlagStatus, JobRun, Penalty, PenaltyDeduction, PenaltyRule, PenaltyStatus


def flag_list(*, user, kind: str = "", status: str = "", region: str = "", year=None, month=None,
              enterprise=None) -> QuerySet[Flag]:
    """Flags in scope, filterable by kind, status, region (a division code: the authority's subtree) and period."""
    qs = scope_queryset(user, Flag.objects.select_related("enterprise__county", "resolved_by"))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if region:
        qs = qs.filter(enterprise__county__path__contains=f"/{region}/")
    if year:
        qs = qs.filter(year=year)
    if month:
        qs = qs.filter(month=month)
    if enterprise:
        qs = qs.filter(enterprise_id=enterprise)
    return qs.order_by("-raised_at", "-id")


def flag_get(*, user, pk) -> Flag:
    return flag_list(user=user).get(pk=pk)


def case_list(*, user, status: str = "", enterprise=None) -> QuerySet[Case]:
    qs = scope_queryset(user, Case.objects.select_related("enterprise__county", "opened_by")).annotate(
        flag_count=Count("flags", distinct=True))
    if status:
        qs = qs.filter(status=status)
    if enterprise:
        qs = qs.filter(enterprise_id=enterprise)
    return qs.order_by("-opened_at", "-id")


def case_get(*, user, pk) -> Case:
    """One case in scope with its flags, timeline and penalties (statement and deductions) prefetched."""
    return (
        scope_queryset(user, Case.objects.select_related("enterprise__county", "opened_by"))
        .prefetch_related(
            Prefetch("flags", queryset=Flag.objects.order_by("pk")),
            "events__actor",
            Prefetch("penalties", queryset=Penalty.objects.select_related(
                "proposed_by", "decided_by", "approved_by", "rule", "statement__submitted_by")
                .prefetch_related("deductions", "statement__attachments").order_by("pk")),
        )
        .get(pk=pk)
    )


def penalty_get(*, user, pk) -> Penalty:
    return scope_queryset(user, Penalty.objects.select_related("case", "enterprise")).get(pk=pk)


def penalty_rule_list() -> QuerySet[PenaltyRule]:
    return PenaltyRule.objects.all().order_by("violation_type", "-valid_from")


def job_run_list(*, job: str = "") -> QuerySet[JobRun]:
    qs = JobRun.objects.all()
    if job:
        qs = qs.filter(job=job)
    return qs.order_by("-started_at", "-id")


def deduction_list(*, user) -> QuerySet[PenaltyDeduction]:
    return scope_queryset(user, PenaltyDeduction.objects.select_related("penalty", "enterprise"))


def dashboard_summary(*, user) -> dict:
    """Counts for the dashboard card: open flags by kind, cases needing action, penalties awaiting a step."""
    if membership_of(user) is None:
        return {}
    flags = scope_queryset(user, Flag.objects.filter(status=FlagStatus.OPEN))
    by_kind = {row["kind"]: row["n"] for row in flags.values("kind").annotate(n=Count("id"))}
    cases = scope_queryset(user, Case.objects.exclude(status=CaseStatus.CLOSED)).aggregate(
        open=Count("id"), awaiting=Count("id", filter=Q(status=CaseStatus.PENALTY_PROPOSED)))
    penalties = scope_queryset(user, Penalty.objects).aggregate(
        notified=Count("id", filter=Q(status=PenaltyStatus.NOTIFIED)),
        decided=Count("id", filter=Q(status=PenaltyStatus.DECIDED)))
    from .models import FlagKind

    return {
        "open_flags": sum(by_kind.values()),
        "flags_by_kind": [(FlagKind(k).label, k, n) for k, n in sorted(by_kind.items())],
        "open_cases": cases["open"],
        "penalties_notified": penalties["notified"],
        "penalties_decided": penalties["decided"],
    }


def published_penalty_list(*, search: str = "") -> list[dict]:
    """Approved administrative penalties for the public page: enterprise, violation, date and the decision —
    nothing of open cases, fines under consideration or statements."""
    from django.utils.translation import gettext as _

    from .models import ViolationType

    qs = (Penalty.objects.filter(status=PenaltyStatus.APPROVED).select_related("enterprise")
          .prefetch_related("deductions").order_by("-approved_at", "-id"))
    if search:
        qs = qs.filter(enterprise__name__icontains=search)
    rows = []
    for p in qs:
        ded = ", ".join(f"{d.get_indicator_type_display()} {d.tonnes} t ({d.year})" for d in p.deductions.all())
        decision = _("Fine CNY %(fine)s") % {"fine": f"{p.fine_cny:,.2f}"}
        if ded:
            decision += "; " + _("indicator reduced: %(d)s") % {"d": ded}
        rows.append({"enterprise_name": p.enterprise.name, "credit_code": p.enterprise.credit_code,
                     "violation": ViolationType(p.violation_type).label, "decided_on": p.approved_at,
                     "decision": decision})
    return rows
