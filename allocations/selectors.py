"""Reads of the allocations app: scoped querysets and set-based aggregates (no per-row queries)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db.models import BooleanField, Case, Count, Exists, OuterRef, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from organizations.models import MINISTRY_ROLES, AuditEntry, Enterprise, IndicatorType, Level
from organizations.selectors import NOTHING, enterprise_q, is_ministry, membership_of, scope_queryset
from quota_portal.db_router import read_connection

from .models import (
    Adjustment,
    AdjustmentStatus,
    AllocationLine,
    BatchStatus,
    BreakdownShare,
    Deduction,
    GroupBreakdown,
    IssuanceBatch,
    NationalPlan,
    PlanStatus,
    QuotaFigure,
)

ZERO = Decimal("0.000")
Q3 = Decimal("0.001")
TYPE_ORDER = {t.value: i for i, t in enumerate(IndicatorType)}


def _dec(value) -> Decimal:
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(Q3)


# --- Effective quotas -------------------------------------------------------------------------------


@dataclass
class QuotaRow:
    """One enterprise's indicator for a year and type.

    effective = issued + breakdown_received + adjustments − deductions; remaining = effective − used.
    """

    enterprise: Enterprise
    year: int
    indicator_type: str
    issued: Decimal = ZERO
    breakdown_received: Decimal = ZERO
    adjustments: Decimal = ZERO
    deductions: Decimal = ZERO
    used: Decimal = ZERO
    effective: Decimal = field(init=False)
    remaining: Decimal = field(init=False)

    def __post_init__(self) -> None:
        self.effective = self.issued + self.breakdown_received + self.adjustments - self.deductions
        self.remaining = self.effective - self.used

    @property
    def enterprise_id(self) -> int:
        return self.enterprise.pk

    @property
    def allocated(self) -> Decimal:
        """What was issued to the enterprise, directly or through its group's breakdown."""
        return self.issued + self.breakdown_received

    @property
    def usage_ratio(self) -> Decimal | None:
        if self.effective <= 0:
            return None
        return self.used / self.effective

    @property
    def usage_percent(self) -> int:
        ratio = self.usage_ratio
        if ratio is None:
            return 100 if self.used > 0 else 0
        return int(min(ratio * 100, Decimal(999)))

    def get_indicator_type_display(self) -> str:
        return str(IndicatorType(self.indicator_type).label)


def _quota_sums(*, year: int, enterprise_qs: QuerySet, indicator_type: str | None) -> list[tuple]:
    """One SQL statement: the five sources summed per (enterprise, type) for the enterprises of ``enterprise_qs``."""
    built = _quota_sums_sql(year=year, enterprise_qs=enterprise_qs, indicator_type=indicator_type)
    if built is None:
        return []
    with read_connection().cursor() as cur:
        cur.execute(*built)
        return cur.fetchall()


def _quota_sums_sql(*, year: int, enterprise_qs: QuerySet, indicator_type: str | None) -> tuple[str, list] | None:
    """The five sources per (enterprise, type) for the enterprises of ``enterprise_qs``, read from the ``QuotaFigure``
    roll-up the services maintain (``allocations.figures``; ``figures.sources_sql`` is the same from the source
    tables). Columns: enterprise_id, indicator_type, issued, received, adj, ded, used."""
    try:
        scope_sql, scope_params = enterprise_qs.values("pk").query.sql_with_params()
    except EmptyResultSet:  # e.g. no membership, or an empty list of enterprises
        return None
    type_sql = " AND f.indicator_type = %s" if indicator_type else ""
    sql = (f"SELECT f.enterprise_id, f.indicator_type, f.issued_t, f.received_t, f.adjustments_t, f.deductions_t, "
           f"f.used_t FROM {QuotaFigure._meta.db_table} f WHERE f.year = %s AND f.enterprise_id IN ({scope_sql})"
           f"{type_sql}")
    params = [year, *scope_params]
    if indicator_type:
        params.append(indicator_type)
    return sql, params


class QuotaRowPages(Sequence):
    """The rows of ``quota_list`` computed a page at a time, in the same order (enterprise name, id, type).

    ``len()`` is one aggregate query; a slice is one aggregate query with ORDER BY … LIMIT/OFFSET in SQL plus one
    query for the enterprises of that slice — so a paginated list of 10,000 enterprises never builds 10,000 rows.
    """

    def __init__(self, *, year: int, enterprise_qs: QuerySet, indicator_type: str | None):
        self.year = year
        self._built = _quota_sums_sql(year=year, enterprise_qs=enterprise_qs, indicator_type=indicator_type)
        self._len: int | None = None

    def __len__(self) -> int:
        if self._len is None:
            if self._built is None:
                self._len = 0
            else:
                sql, params = self._built
                with read_connection().cursor() as cur:
                    cur.execute(f"SELECT COUNT(*) FROM ({sql}) q", params)
                    self._len = cur.fetchone()[0]
        return self._len

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            rows = self._window(start, max(stop - start, 0))
            return rows[::step] if step != 1 else rows
        if index < 0:
            index += len(self)
        rows = self._window(index, 1)
        if not rows:
            raise IndexError(index)
        return rows[0]

    def _window(self, offset: int, limit: int) -> list[QuotaRow]:
        if self._built is None or limit <= 0:
            return []
        sql, params = self._built
        order = " ".join(f"WHEN '{t}' THEN {i}" for t, i in TYPE_ORDER.items())
        # Code-point order of the names, as ``_quota_rows`` sorts in Python: PostgreSQL needs the "C" collation for
        # it; SQLite (make run) compares text as binary UTF-8 by default, which is the same order, and has no "C".
        collate = ' COLLATE "C"' if read_connection().vendor == "postgresql" else ""
        sql = (f"SELECT q.* FROM ({sql}) q JOIN {Enterprise._meta.db_table} e ON e.id = q.enterprise_id "
               f"ORDER BY e.name{collate}, e.id, CASE q.indicator_type {order} ELSE 9 END LIMIT %s OFFSET %s")
        with read_connection().cursor() as cur:
            cur.execute(sql, [*params, limit, offset])
            sums = cur.fetchall()
        enterprises = Enterprise.objects.select_related("county", "group").in_bulk({r[0] for r in sums})
        return [
            QuotaRow(enterprise=enterprises[ent_id], year=self.year, indicator_type=itype, issued=_dec(issued),
                     breakdown_received=_dec(received), adjustments=_dec(adj), deductions=_dec(ded), used=_dec(used))
            for ent_id, itype, issued, received, adj, ded, used in sums
        ]


def _quota_rows(*, year: int, enterprise_qs: QuerySet, indicator_type: str | None) -> list[QuotaRow]:
    sums = _quota_sums(year=year, enterprise_qs=enterprise_qs, indicator_type=indicator_type)
    if not sums:
        return []
    enterprises = Enterprise.objects.select_related("county", "group").in_bulk({r[0] for r in sums})
    rows = [
        QuotaRow(enterprise=enterprises[ent_id], year=year, indicator_type=itype, issued=_dec(issued),
                 breakdown_received=_dec(received), adjustments=_dec(adj), deductions=_dec(ded), used=_dec(used))
        for ent_id, itype, issued, received, adj, ded, used in sums
    ]
    rows.sort(key=lambda r: (r.enterprise.name, r.enterprise.pk, TYPE_ORDER.get(r.indicator_type, 9)))
    return rows


def quota_list(*, user, year: int, indicator_type: str | None = None, enterprise_ids: Iterable[int] | None = None,
               search: str = "") -> list[QuotaRow]:
    """Effective quotas of the enterprises in the user's scope for a year: two queries for any number of them.

    One row per (enterprise, indicator type) that has anything issued, broken down, adjusted, deducted or used.
    """
    qs = Enterprise.objects.filter(enterprise_q(user))
    if enterprise_ids is not None:
        qs = qs.filter(pk__in=list(enterprise_ids))
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(credit_code__icontains=search.upper()))
    return _quota_rows(year=year, enterprise_qs=qs, indicator_type=indicator_type)


def quota_list_paged(*, user, year: int, indicator_type: str | None = None,
                     enterprise_ids: Iterable[int] | None = None, search: str = "") -> QuotaRowPages:
    """``quota_list`` for paginated lists (API, pages): the same rows in the same order, built one page at a time
    (constant queries, and the cost of one page rather than of every enterprise in scope)."""
    qs = Enterprise.objects.filter(enterprise_q(user))
    if enterprise_ids is not None:
        qs = qs.filter(pk__in=list(enterprise_ids))
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(credit_code__icontains=search.upper()))
    return QuotaRowPages(year=year, enterprise_qs=qs, indicator_type=indicator_type)


def quota_get(*, enterprise: Enterprise, year: int, indicator_type: str) -> QuotaRow:
    """One enterprise's quota without user scoping (for services of higher apps); zeros when nothing exists."""
    rows = _quota_rows(year=year, enterprise_qs=Enterprise.objects.filter(pk=enterprise.pk),
                       indicator_type=indicator_type)
    if rows:
        return rows[0]
    return QuotaRow(enterprise=enterprise, year=year, indicator_type=indicator_type)


# --- Plans -------------------------------------------------------------------------------------------


def plan_list(*, user, year: int | None = None, indicator_type: str | None = None) -> QuerySet[NationalPlan]:
    """The ministry sees every plan including drafts; everyone else only approved (and superseded) plans."""
    m = membership_of(user)
    if m is None:
        return NationalPlan.objects.none()
    qs = NationalPlan.objects.select_related("drafted_by", "approved_by", "previous")
    if m.role not in MINISTRY_ROLES:
        qs = qs.exclude(status=PlanStatus.DRAFT)
    if year:
        qs = qs.filter(year=year)
    if indicator_type:
        qs = qs.filter(indicator_type=indicator_type)
    return qs.order_by("-year", "indicator_type", "-revision")


def plan_returns(*, plan: NationalPlan) -> list[dict]:
    """Reasons an approver gave for returning this draft plan, newest first (from the audit trail)."""
    entries = AuditEntry.objects.filter(action="plan.return", object_type="allocations.NationalPlan",
                                        object_id=str(plan.pk)).select_related("actor").order_by("-id")
    return [{"at": e.at, "actor": e.actor, "reason": (e.after or {}).get("reason", "")} for e in entries]


def plan_history(*, user, plan: NationalPlan) -> QuerySet[NationalPlan]:
    return plan_list(user=user, year=plan.year, indicator_type=plan.indicator_type)


# --- Batches and lines -------------------------------------------------------------------------------


def line_q(user, prefix: str = "") -> Q:
    """Allocation lines a user may see: all (ministry); lines to enterprises in scope; a group its own lines and
    its subsidiaries'; a province also the lines of groups with a subsidiary in its region (it is notified)."""
    p = prefix
    m = membership_of(user)
    if m is None:
        return NOTHING
    if m.role in MINISTRY_ROLES:
        return Q()
    if m.enterprise_id:
        return Q(**{f"{p}enterprise_id": m.enterprise_id})
    if m.group_id:
        return Q(**{f"{p}group_id": m.group_id}) | Q(**{f"{p}enterprise__group_id": m.group_id})
    if m.authority_id:
        q = Q(**{f"{p}enterprise__county__path__startswith": m.authority.path})
        if m.authority.level == Level.PROVINCE:
            q |= Q(Exists(Enterprise.objects.filter(group_id=OuterRef(f"{p}group_id"),
                                                    county__path__startswith=m.authority.path)))
        return q
    return NOTHING


def batch_list(*, user, year: int | None = None, status: str | None = None) -> QuerySet[IssuanceBatch]:
    """Ministry: every batch. Others: issued batches with at least one line they may see."""
    qs = IssuanceBatch.objects.select_related("created_by", "approved_by")
    if not is_ministry(user):
        visible = AllocationLine.objects.filter(line_q(user), batch_id=OuterRef("pk"))
        qs = qs.filter(status=BatchStatus.ISSUED).filter(Exists(visible))
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(
        n_lines=Count("lines", distinct=True),
    ).order_by("-year", "-sequence")


def batch_get(*, user, pk) -> IssuanceBatch:
    """The batch if the user may see it (IssuanceBatch.DoesNotExist → 404)."""
    return batch_list(user=user).get(pk=pk)


def batch_lines(*, user, batch: IssuanceBatch) -> QuerySet[AllocationLine]:
    """A batch's lines the user may see, with the recipient and any filed breakdown."""
    return (AllocationLine.objects.filter(batch=batch).filter(line_q(user))
            .select_related("enterprise__county", "group", "breakdown").order_by("indicator_type", "id"))


def batch_totals(lines) -> list[tuple[str, str, Decimal]]:
    """Totals per indicator type of already-fetched lines: (type, label, tonnes)."""
    totals: dict[str, Decimal] = {}
    for ln in lines:
        totals[ln.indicator_type] = totals.get(ln.indicator_type, ZERO) + ln.tonnes
    return [(t, str(IndicatorType(t).label), totals[t]) for t in sorted(totals, key=lambda t: TYPE_ORDER[t])]


# --- Group breakdowns --------------------------------------------------------------------------------


def breakdown_list(*, user) -> QuerySet[GroupBreakdown]:
    """Filed breakdowns: the ministry all, a group its own, others those with a share to an enterprise in scope."""
    m = membership_of(user)
    qs = GroupBreakdown.objects.select_related("line__batch", "line__group", "filed_by")
    if m is None:
        return qs.none()
    if m.role in MINISTRY_ROLES:
        return qs
    if m.group_id:
        return qs.filter(line__group_id=m.group_id)
    shares = BreakdownShare.objects.filter(enterprise_q(user, "enterprise"), breakdown_id=OuterRef("pk"))
    return qs.filter(Exists(shares))


def breakdown_shares(*, user, breakdown: GroupBreakdown) -> QuerySet[BreakdownShare]:
    m = membership_of(user)
    qs = breakdown.shares.select_related("enterprise__county").order_by("enterprise__name")
    if m is not None and (m.role in MINISTRY_ROLES or m.group_id == breakdown.line.group_id):
        return qs
    return qs.filter(enterprise_q(user, "enterprise"))


def group_lines(*, user, year: int | None = None) -> QuerySet[AllocationLine]:
    """Issued lines to groups the user may see, with their breakdown state; ``overdue`` when the deadline has
    passed without a filed breakdown."""
    today = timezone.localdate()
    qs = (AllocationLine.objects.filter(line_q(user), group__isnull=False, batch__status=BatchStatus.ISSUED)
          .select_related("batch", "group", "breakdown"))
    if year:
        qs = qs.filter(batch__year=year)
    return qs.annotate(
        filed=Exists(GroupBreakdown.objects.filter(line_id=OuterRef("pk"))),
    ).annotate(
        overdue=Case(When(Q(filed=False) & Q(batch__breakdown_due__lt=today), then=Value(True)),
                     default=Value(False), output_field=BooleanField()),
    ).order_by("-batch__year", "-batch__sequence", "indicator_type")


def group_line_get(*, user, pk) -> AllocationLine:
    return group_lines(user=user).get(pk=pk)


def breakdown_candidates(*, line: AllocationLine) -> list[Enterprise]:
    """The group's subsidiaries holding a licence for the line's activity (eligible or not: the form says why)."""
    return list(Enterprise.objects.filter(group_id=line.group_id).select_related("county").order_by("name"))


# --- National balance --------------------------------------------------------------------------------


@dataclass
class BalanceRow:
    indicator_type: str
    plan: NationalPlan | None
    issued: Decimal
    adjustments: Decimal
    pending: Decimal

    @property
    def label(self) -> str:
        return str(IndicatorType(self.indicator_type).label)

    @property
    def approved(self) -> Decimal:
        return self.plan.total_t if self.plan else ZERO

    @property
    def reserve(self) -> Decimal:
        return self.plan.reserve_t if self.plan else ZERO

    @property
    def committed(self) -> Decimal:
        return self.issued + self.adjustments

    @property
    def remaining(self) -> Decimal:
        return self.approved - self.reserve - self.committed

    @property
    def percent(self) -> int:
        cap = self.approved - self.reserve
        return int(min(self.committed / cap * 100, Decimal(100))) if cap > 0 else 0


def national_balance(*, year: int) -> list[BalanceRow]:
    """Per indicator type: approved total, reserve, issued, net adjustments, pending (submitted) and remaining."""
    plans = {p.indicator_type: p for p in NationalPlan.objects.filter(year=year, status=PlanStatus.APPROVED)}
    sums = (AllocationLine.objects.filter(batch__year=year, batch__status__in=[BatchStatus.ISSUED, BatchStatus.SUBMITTED])
            .values_list("indicator_type", "batch__status").annotate(s=Sum("tonnes")).order_by())
    issued: dict[str, Decimal] = {}
    pending: dict[str, Decimal] = {}
    for itype, status, s in sums:
        (issued if status == BatchStatus.ISSUED else pending)[itype] = _dec(s)
    adjustments = dict(Adjustment.objects.filter(year=year, status=AdjustmentStatus.APPROVED)
                       .values_list("indicator_type").annotate(s=Sum("tonnes")).order_by())
    return [BalanceRow(indicator_type=t.value, plan=plans.get(t.value), issued=issued.get(t.value, ZERO),
                       adjustments=_dec(adjustments.get(t.value)), pending=pending.get(t.value, ZERO))
            for t in IndicatorType]


def adjustment_list(*, user, year: int | None = None) -> QuerySet[Adjustment]:
    qs = scope_queryset(user, Adjustment.objects.select_related("enterprise", "created_by", "approved_by"))
    if not is_ministry(user):
        qs = qs.filter(status=AdjustmentStatus.APPROVED)
    if year:
        qs = qs.filter(year=year)
    return qs


def deduction_list(*, user, year: int | None = None) -> QuerySet[Deduction]:
    qs = scope_queryset(user, Deduction.objects.select_related("enterprise"))
    if year:
        qs = qs.filter(year=year)
    return qs
