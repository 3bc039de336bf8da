"""Reads of the enforcement app, scoped to the user's organisation (out of scope → absent → 404)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from organizations.models import MINISTRY_ROLES, PublicationKind
from organizations.publication import published_keys
from organizations.selectors import membership_of, scope_queryset
from quota_portal.db_router import read_connection

from .flag_totals import flag_totals
from .flag_totals import maintained as flag_totals_maintained
from .models import (
    Case,
    CaseStatus,
    DeductionBasis,
    Flag,
    FlagKind,
    FlagStatus,
    JobRun,
    Penalty,
    PenaltyDeduction,
    PenaltyRule,
    PenaltyStatus,
    ViolationType,
)

Q3 = Decimal("0.001")
ZERO = Decimal("0")


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


def penalty_in_progress(*, case: Case) -> Penalty | None:
    """The case's penalty that is not rejected — the one statement, decision and approval act on. There is at most
    one (a new penalty can only be proposed once the previous one was rejected); the latest if ever several.
    Uses the prefetched ``case.penalties`` when there is one (``case_get``)."""
    live = [p for p in case.penalties.all() if p.status != PenaltyStatus.REJECTED]
    return max(live, key=lambda p: p.pk, default=None)


def penalty_rule_list() -> QuerySet[PenaltyRule]:
    return PenaltyRule.objects.all().order_by("violation_type", "-valid_from")


def job_run_list(*, job: str = "") -> QuerySet[JobRun]:
    qs = JobRun.objects.all()
    if job:
        qs = qs.filter(job=job)
    return qs.order_by("-started_at", "-id")


def deduction_list(*, user) -> QuerySet[PenaltyDeduction]:
    return scope_queryset(user, PenaltyDeduction.objects.select_related("penalty", "enterprise"))


def _nationwide(user) -> bool:
    """A ministry user on PostgreSQL: the flag counts come from the trigger-kept ``FlagTotal`` roll-up."""
    m = membership_of(user)
    return flag_totals_maintained() and bool(m and m.role in MINISTRY_ROLES)


def open_flag_counts_direct(*, user) -> dict[str, int]:
    """Open flags per kind in the user's scope, counted from the flags (the consistency test's reference)."""
    flags = scope_queryset(user, Flag.objects.filter(status=FlagStatus.OPEN))
    return dict(flags.values_list("kind").annotate(n=Count("id")).values_list("kind", "n").order_by())


def open_flag_counts(*, user, request=None) -> dict[str, int]:
    """Open flags per kind in the user's scope (kinds without any left out): for the ministry (every flag) the
    ``FlagTotal`` roll-up where it is kept (a few dozen rows instead of ≈ 100,000 open flags of a national year),
    else counted. One query per request: given the request, the counts are kept on it for the other dashboard
    sections that show them."""
    kept = getattr(request, "_open_flag_counts", None)
    if kept is not None and kept[0] is user:
        return kept[1]
    counts = open_flag_counts_direct(user=user) if not _nationwide(user) else flag_totals(
        status=FlagStatus.OPEN, using=read_connection(Flag).alias)
    if request is not None:
        request._open_flag_counts = (user, counts)
    return counts


def dashboard_summary(*, user, request=None) -> dict:
    """Counts for the dashboard card: open flags by kind, cases needing action, penalties awaiting a step."""
    if membership_of(user) is None:
        return {}
    by_kind = open_flag_counts(user=user, request=request)
    cases = scope_queryset(user, Case.objects.exclude(status=CaseStatus.CLOSED)).aggregate(
        open=Count("id"), awaiting=Count("id", filter=Q(status=CaseStatus.PENALTY_PROPOSED)))
    penalties = scope_queryset(user, Penalty.objects.all()).aggregate(
        notified=Count("id", filter=Q(status=PenaltyStatus.NOTIFIED)),
        decided=Count("id", filter=Q(status=PenaltyStatus.DECIDED)))
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
    published = [int(k) for k in published_keys(PublicationKind.PENALTY) if k.isdigit()]
    # Only decisions a ministry user has published; an annulled decision leaves the public page.
    qs = (Penalty.objects.filter(status=PenaltyStatus.APPROVED, pk__in=published).select_related("enterprise")
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


# --- penalty rules (pure reads used by the penalty services and the fine-check page) -------------------


def penalty_rule_in_force(*, violation_type: str, on: dt.date) -> PenaltyRule | None:
    return (PenaltyRule.objects.filter(violation_type=violation_type, valid_from__lte=on)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)).order_by("-valid_from").first())


def penalty_fine_warnings(*, rule: PenaltyRule | None, fine_cny: Decimal,
                          illegal_income_cny: Decimal | None = None) -> list[str]:
    """Warnings (not errors) when a fine lies outside the range of the rule in force."""
    if rule is None:
        return [_("No penalty rule is in force for this violation type on that date.")]
    warnings = []
    if illegal_income_cny and illegal_income_cny > 0 and rule.income_multiple_min is not None:
        lo = illegal_income_cny * rule.income_multiple_min
        hi = illegal_income_cny * (rule.income_multiple_max or rule.income_multiple_min)
        if not lo <= fine_cny <= hi:
            warnings.append(_("The fine is outside %(a)s–%(b)s × the illegal income (CNY %(lo)s–%(hi)s).") % {
                "a": rule.income_multiple_min, "b": rule.income_multiple_max, "lo": f"{lo:,.2f}", "hi": f"{hi:,.2f}"})
        return warnings
    if rule.fine_min_cny is not None and fine_cny < rule.fine_min_cny or (
            rule.fine_max_cny is not None and fine_cny > rule.fine_max_cny):
        warnings.append(_("The fine is outside the range CNY %(lo)s–%(hi)s of the rule in force.") % {
            "lo": f"{rule.fine_min_cny or 0:,.2f}", "hi": f"{rule.fine_max_cny or 0:,.2f}"})
    return warnings


def penalty_default_deductions(*, case: Case, rule: PenaltyRule | None, year: int) -> dict[str, Decimal]:
    """The rule's default next-year deduction for a case: tonnes above the indicator × factor (from the case's
    overrun flags), or fixed tonnes per indicator type of those flags."""
    if rule is None or rule.deduction_basis == DeductionBasis.NONE:
        return {}
    out: dict[str, Decimal] = {}
    for flag in case.flags.filter(kind__in=[FlagKind.OVERRUN, FlagKind.PRODUCTION_WITHOUT_INDICATOR]):
        if not flag.indicator_type:
            continue
        if rule.deduction_basis == DeductionBasis.EXCESS:
            over = Decimal(flag.details.get("over_t") or flag.details.get("used_t") or 0)
            t = (over * rule.deduction_factor).quantize(Q3)
        else:
            t = rule.deduction_fixed_t
        if t > 0:
            out[flag.indicator_type] = out.get(flag.indicator_type, ZERO) + t
    return out

