"""Reads on monthly reports: scoped querysets, deadlines, roll-ups. Set-based (no per-row queries)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum, prefetch_related_objects
from django.db.models.functions import Substr

from organizations.models import Authority, Enterprise, IndicatorType, Level, Licence, LicenceStatus
from organizations.selectors import membership_of, scope_queryset

from .models import (
    FlowLine,
    InputLine,
    InventoryLine,
    MonthlyReport,
    PeriodCertification,
    ProductionLine,
    ReportStatus,
)

# The period helpers live in reporting.periods; re-exported here for the callers that import them from selectors.
from .periods import BEIJING as BEIJING
from .periods import due_label as due_label
from .periods import due_period as due_period
from .periods import next_period as next_period
from .periods import period_bounds as period_bounds
from .periods import period_due_at as period_due_at
from .periods import period_has_ended as period_has_ended
from .periods import previous_period as previous_period

# --- reports -------------------------------------------------------------------------------------------

def expected_enterprises(year: int, month: int) -> QuerySet[Enterprise]:
    """Enterprises that owe a report for the month: a designated licence in force during it."""
    first, last = period_bounds(year, month)
    licensed = Licence.objects.filter(enterprise=OuterRef("pk"), status=LicenceStatus.DESIGNATED,
                                      valid_from__lte=last, valid_to__gte=first)
    return Enterprise.objects.filter(Exists(licensed))


def report_list(*, user, year: int | None = None, month: int | None = None, status: str | None = None,
                late: bool | None = None, enterprise: int | None = None, current_only: bool = True,
                search: str = "") -> QuerySet[MonthlyReport]:
    """Reports the user may see (current versions by default), newest period first; constant queries."""
    qs = scope_queryset(user, MonthlyReport.objects.all()).select_related("enterprise__county", "submitted_by",
                                                                          "reviewed_by")
    if current_only:
        qs = qs.filter(is_current=True)
    if year:
        qs = qs.filter(year=year)
    if month:
        qs = qs.filter(month=month)
    if status:
        qs = qs.filter(status=status)
    if late is not None:
        qs = qs.filter(late=late)
    if enterprise:
        qs = qs.filter(enterprise_id=enterprise)
    if search:
        qs = qs.filter(Q(enterprise__name__icontains=search) | Q(enterprise__credit_code__icontains=search.upper()))
    return qs.annotate(attachment_count=Count("attachments")).order_by("-year", "-month", "enterprise__name", "-version")


def report_get(*, user, pk) -> MonthlyReport:
    """Any version the user may see; ``MonthlyReport.DoesNotExist`` (→ 404) otherwise."""
    return scope_queryset(user, MonthlyReport.objects.select_related(
        "enterprise__county", "submitted_by", "reviewed_by", "previous_version")).get(pk=pk)


def report_with_lines(report: MonthlyReport) -> MonthlyReport:
    """Prefetch the lines of one report (for detail pages and the API)."""
    prefetch_related_objects(
        [report], "production_lines__product", "input_lines__product", "flow_lines__product",
        "flow_lines__counterparty_enterprise", "flow_lines__shipment", "flow_lines__attachments", "inventory_lines__product", "attachments")
    return report


def report_versions(report: MonthlyReport) -> QuerySet[MonthlyReport]:
    return MonthlyReport.objects.filter(enterprise_id=report.enterprise_id, year=report.year,
                                        month=report.month).order_by("version")


def _line_keys(report: MonthlyReport) -> dict[tuple, dict]:
    """Lines keyed by section and natural key (with an occurrence number for repeated keys)."""
    out: dict[tuple, dict] = {}

    def put(section, key, values):
        n = 0
        while (section, key, n) in out:
            n += 1
        out[(section, key, n)] = values

    for pl in ProductionLine.objects.filter(report=report).order_by("id"):
        put("production", (pl.indicator_type, pl.product_id), {"tonnes": pl.tonnes})
    for il in InputLine.objects.filter(report=report).order_by("id"):
        put("inputs", (il.source, il.country, il.product_id), {"tonnes": il.tonnes})
    for fl in FlowLine.objects.filter(report=report).order_by("id"):
        put("shipments", (fl.direction, fl.counterparty_credit_code or fl.counterparty_name, fl.product_id,
                          fl.date.isoformat(), fl.document_no), {"tonnes": fl.tonnes})
    for inv in InventoryLine.objects.filter(report=report).order_by("id"):
        put("inventory", (inv.product_id,), {"opening": inv.opening, "closing": inv.closing})
    return out


def report_diff(old: MonthlyReport | None, new: MonthlyReport) -> list[dict]:
    """Changes from ``old`` to ``new``: one entry per added, removed or changed line value (and nil/comment)."""
    if old is None:
        return []
    a, b = _line_keys(old), _line_keys(new)
    changes = []
    for attr in ("nil", "comment"):
        if getattr(old, attr) != getattr(new, attr):
            changes.append({"section": "report", "key": attr, "field": attr, "change": "changed",
                            "old": getattr(old, attr), "new": getattr(new, attr)})
    for k in sorted(set(a) | set(b), key=lambda t: (t[0], [str(p) for p in t[1]], t[2])):
        section, key, _n = k
        label = " · ".join(str(p) for p in key if p)
        if k not in b:
            changes.append({"section": section, "key": label, "field": "", "change": "removed", "old": a[k], "new": None})
        elif k not in a:
            changes.append({"section": section, "key": label, "field": "", "change": "added", "old": None, "new": b[k]})
        else:
            for f, v in b[k].items():
                if a[k][f] != v:
                    changes.append({"section": section, "key": label, "field": f, "change": "changed",
                                    "old": a[k][f], "new": v})
    return changes


def enterprise_report_status(*, enterprise: Enterprise, now: dt.datetime) -> dict:
    """For the enterprise dashboard: the report due now, its Beijing deadline and time left, the last reports."""
    year, month = due_period(now)
    due = period_due_at(year, month)
    current = MonthlyReport.objects.filter(enterprise=enterprise, year=year, month=month, is_current=True).first()
    recent = list(MonthlyReport.objects.filter(enterprise=enterprise, is_current=True)
                  .order_by("-year", "-month")[:6])
    return {"year": year, "month": month, "due_at": due, "due_label": due_label(due), "time_left": due - now, "overdue": now > due,
            "current": current, "recent": recent}


# --- roll-ups ------------------------------------------------------------------------------------------

PATH_LEN = {Level.MINISTRY: 7, Level.PROVINCE: 14, Level.CITY: 21, Level.COUNTY: 28}


def summary_levels_for(user) -> list[str]:
    m = membership_of(user)
    if m is None or m.authority is None:
        return []
    order = [Level.MINISTRY, Level.PROVINCE, Level.CITY, Level.COUNTY]
    return [str(lv) for lv in order[order.index(Level(m.authority.level)):]]


def summary_rows(*, user, year: int, month: int, level: str) -> list[dict]:
    """Per authority of ``level`` in the user's scope: accepted totals per indicator type and the counts of
    expected / submitted / accepted / late / missing reports for the month. A fixed number of queries."""
    m = membership_of(user)
    if m is None or m.authority is None or level not in summary_levels_for(user):
        return []
    scope = m.authority.path
    length = PATH_LEN[Level(level)]
    authorities = list(Authority.objects.filter(level=level, path__startswith=scope)
                       .filter(path__in=Enterprise.objects.filter(county__path__startswith=scope)
                               .annotate(k=Substr("county__path", 1, length)).values("k"))
                       .order_by("code"))
    ents = expected_enterprises(year, month).filter(county__path__startswith=scope)
    counts = {row["k"]: row for row in ents.annotate(k=Substr("county__path", 1, length)).values("k")
              .annotate(expected=Count("pk"))}
    reports = (MonthlyReport.objects.filter(year=year, month=month, is_current=True, enterprise__in=ents)
               .annotate(k=Substr("enterprise__county__path", 1, length)).values("k")
               .annotate(submitted=Count("pk", filter=~Q(status=ReportStatus.DRAFT) | Q(version__gt=1)),
                         late=Count("pk", filter=Q(late=True) & (~Q(status=ReportStatus.DRAFT) | Q(version__gt=1))),
                         nil=Count("pk", filter=Q(nil=True, status=ReportStatus.ACCEPTED))))
    report_counts = {row["k"]: row for row in reports}
    accepted = {row["k"]: row["n"] for row in MonthlyReport.objects.filter(
        year=year, month=month, status=ReportStatus.ACCEPTED, enterprise__in=ents)
        .annotate(k=Substr("enterprise__county__path", 1, length)).values("k").annotate(n=Count("pk"))}
    totals: dict[str, dict[str, Decimal]] = {}
    for row in (ProductionLine.objects.filter(report__year=year, report__month=month,
                                              report__status=ReportStatus.ACCEPTED,
                                              report__enterprise__county__path__startswith=scope)
                .annotate(k=Substr("report__enterprise__county__path", 1, length)).values("k", "indicator_type")
                .annotate(total=Sum("tonnes"))):
        totals.setdefault(row["k"], {})[row["indicator_type"]] = row["total"]
    certified = set(PeriodCertification.objects.filter(authority__in=authorities, year=year, month=month,
                                                       certified=True).values_list("authority_id", flat=True))
    rows = []
    for a in authorities:
        c = counts.get(a.path, {})
        r = report_counts.get(a.path, {})
        expected = c.get("expected", 0)
        submitted = r.get("submitted", 0)
        t = totals.get(a.path, {})
        rows.append({
            "authority": a, "authority_id": a.pk, "code": a.code, "name": a.name, "level": a.level,
            "expected": expected, "submitted": submitted, "accepted": accepted.get(a.path, 0),
            "late": r.get("late", 0), "missing": max(expected - submitted, 0), "nil": r.get("nil", 0),
            "certified": a.pk in certified,
            "totals": {it: (t.get(it) or Decimal("0.000")) for it in IndicatorType.values},
        })
    return rows


def certification_list(*, user, year: int, month: int) -> list[dict]:
    """The user's own authority and the ones just below it, with their certification state for the month."""
    m = membership_of(user)
    if m is None or m.authority is None:
        return []
    own = m.authority
    levels = summary_levels_for(user)
    rows = []
    for level in levels[:2]:
        rows.extend(summary_rows(user=user, year=year, month=month, level=level))
    certs = {c.authority_id: c for c in PeriodCertification.objects.filter(
        authority_id__in=[r["authority_id"] for r in rows], year=year, month=month).select_related(
        "certified_by", "reopened_by")}
    for r in rows:
        r["certification"] = certs.get(r["authority_id"])
        r["own"] = r["authority_id"] == own.pk
    return rows
