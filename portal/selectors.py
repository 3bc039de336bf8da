"""Reads for the dashboards, the year-end projection and the public pages. Set-based: every function runs a
fixed number of queries whatever the number of enterprises, reports or flags."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db.models import Count, Max, Q, Sum

from allocations import usage_totals
from allocations.models import BatchStatus, IssuanceBatch, MonthlyUsage, NationalPlan, PlanStatus, QuotaFigure
from allocations.selectors import quota_list
from enforcement import selectors as enforcement_selectors
from organizations.models import (
    Authority,
    Enterprise,
    EnterpriseGroup,
    IndicatorType,
    Level,
    Licence,
    LicenceStatus,
    PublicationKind,
)
from organizations.publication import published_keys
from organizations.selectors import enterprise_q, is_ministry
from quota_portal.db_router import read_connection
from reporting.models import MonthlyReport, ProductionLine, ReportStatus
from reporting.periods import BEIJING, due_period, period_due_at, previous_period
from reporting.selectors import expected_enterprises

ZERO = Decimal("0.000")


# --- public pages ------------------------------------------------------------------------------------

def public_national_total_list() -> list[dict]:
    """Approved national control indicators per year: {"year", "mining_rock", "mining_ion", "mining",
    "smelting_separation"} (None where not published). Only approved plans — never a draft, never a
    superseded revision — of the years a ministry user has published (publication is a decision). One query."""
    published = [int(k) for k in published_keys(PublicationKind.NATIONAL_TOTALS) if k.isdigit()]
    rows: dict[int, dict] = {}
    for year, itype, total in (
        NationalPlan.objects.filter(status=PlanStatus.APPROVED, year__in=published)
        .order_by("year", "indicator_type")
        .values_list("year", "indicator_type", "total_t")
    ):
        row = rows.setdefault(year, {"year": year, **{t.value: None for t in IndicatorType}})
        row[itype] = total
    for row in rows.values():
        parts = [row[IndicatorType.MINING_ROCK], row[IndicatorType.MINING_ION]]
        row["mining"] = sum((p for p in parts if p is not None), ZERO) if any(p is not None for p in parts) else None
    return [rows[y] for y in sorted(rows)]


def public_penalty_list(*, search: str = ""):
    """Decided (approved) administrative penalties: enterprise, violation, date, decision. Nothing of open
    cases, fines under consideration or statements: enforcement publishes them."""
    return enforcement_selectors.published_penalty_list(search=search)


# --- dashboards --------------------------------------------------------------------------------------

TYPES = [t.value for t in IndicatorType]


def dashboard_year(*, now: dt.datetime) -> int:
    """The year a dashboard shows by default: this (Beijing) year if indicators were issued for it, otherwise
    the latest earlier year with issued indicators (so January shows last year until the first batch)."""
    this_year = now.astimezone(BEIJING).year
    latest = IssuanceBatch.objects.filter(status=BatchStatus.ISSUED, year__lte=this_year).aggregate(y=Max("year"))["y"]
    return latest or this_year


def last_due_period(*, now: dt.datetime, year: int) -> tuple[int, int] | None:
    """The latest period of ``year`` whose reporting deadline has passed at ``now`` (None if none has)."""
    y, m = due_period(now)
    if now <= period_due_at(y, m):
        y, m = previous_period(y, m)
    if y > year:
        return year, 12
    if y < year:
        return None
    return y, m


def quota_rows(*, user, year: int):
    """Effective / used / remaining per (enterprise, indicator type) in the user's scope (allocations selector)."""
    return quota_list(user=user, year=year)


def usage_by_type(rows) -> list[dict]:
    """Sum effective / used / remaining per indicator type over quota rows."""
    out: dict[str, dict[str, Any]] = {
        t: {"indicator_type": t, "label": IndicatorType(t).label, "effective": ZERO, "used": ZERO} for t in TYPES}
    for r in rows:
        o = out[r.indicator_type]
        o["effective"] += r.effective
        o["used"] += r.used
    result = []
    for o in out.values():
        o["remaining"] = max(o["effective"] - o["used"], ZERO)
        o["over"] = max(o["used"] - o["effective"], ZERO)
        o["ratio"] = (o["used"] / o["effective"]) if o["effective"] > 0 else None
        result.append(o)
    return result


def _province_names(codes) -> dict[str, str]:
    return dict(Authority.objects.filter(level=Level.PROVINCE, code__in=set(codes)).values_list("code", "name"))


def usage_by_group_and_province(rows) -> tuple[list[dict], list[dict]]:
    """Effective and used summed per enterprise group and per province (one query for the province names)."""
    groups: dict = {}
    provinces: dict = {}
    for r in rows:
        ent = r.enterprise
        gkey = ent.group_id or 0
        g = groups.setdefault(gkey, {"name": (ent.group.short_name or ent.group.name) if ent.group_id else None,
                                     "effective": ZERO, "used": ZERO})
        g["effective"] += r.effective
        g["used"] += r.used
        parts = ent.county.path.split("/")
        pcode = parts[1] if len(parts) > 2 else ""
        p = provinces.setdefault(pcode, {"code": pcode, "effective": ZERO, "used": ZERO})
        p["effective"] += r.effective
        p["used"] += r.used
    names = _province_names(provinces)
    for p in provinces.values():
        p["name"] = names.get(p["code"], p["code"])
    for d in list(groups.values()) + list(provinces.values()):
        d["ratio"] = (d["used"] / d["effective"]) if d["effective"] > 0 else None
    return (sorted(groups.values(), key=lambda g: (g["name"] is None, -g["effective"], g["name"] or "")),
            sorted(provinces.values(), key=lambda p: p["code"]))


def monthly_production(*, user, year: int) -> dict[tuple[int, str, int], Decimal]:
    """Accepted production per (enterprise id, indicator type, month) of ``year`` in the user's scope. One query."""
    qs = (ProductionLine.objects.filter(enterprise_q(user, "report__enterprise"), report__year=year,
                                        report__status=ReportStatus.ACCEPTED)
          .values("report__enterprise_id", "indicator_type", "report__month").annotate(t=Sum("tonnes")))
    return {(r["report__enterprise_id"], r["indicator_type"], r["report__month"]): r["t"] for r in qs}


def production_trend(monthly: dict, *, through_month: int = 12) -> dict[str, list[Decimal | None]]:
    """Monthly totals per indicator type (12 values each) from ``monthly_production``; months after
    ``through_month`` (the last one whose report is due) without any figure are None, not a drop to zero."""
    out: dict[str, list] = {t: [ZERO] * 12 for t in TYPES}
    seen = set()
    for (_ent, itype, month), t in monthly.items():
        out[itype][month - 1] += t
        seen.add(month)
    for m in range(through_month + 1, 13):
        if m not in seen:
            for t in TYPES:
                out[t][m - 1] = None
    return out


def year_end_projection(*, rows, monthly: dict, year: int, now: dt.datetime) -> list[dict]:
    """Per (enterprise, indicator type): projected year-end usage at the year-to-date monthly run rate and the
    month in which cumulative usage crosses (or crossed) 100 % of the effective quota.

    The run rate divides year-to-date accepted production by the months elapsed: the months whose reporting
    deadline has passed, or later if the enterprise already reported a later month. Past years count 12.
    """
    due = last_due_period(now=now, year=year)
    base_months = due[1] if due else 0
    last_month: dict[tuple[int, str], int] = {}
    for (ent, itype, month) in monthly:
        key = (ent, itype)
        last_month[key] = max(last_month.get(key, 0), month)
    out = []
    for r in rows:
        key = (r.enterprise.pk, r.indicator_type)
        elapsed = min(12, max(base_months, last_month.get(key, 0)))
        ytd = r.used
        if elapsed == 0:
            rate = None
            projected = None
        else:
            rate = ytd / elapsed
            projected = (rate * 12).quantize(Decimal("0.001"))
        cross_month = None
        already = False
        if r.effective > 0:
            cumulative = ZERO
            for m in range(1, elapsed + 1):
                cumulative += monthly.get((r.enterprise.pk, r.indicator_type, m), ZERO)
                if cumulative > r.effective:
                    cross_month, already = m, True
                    break
            if cross_month is None and ytd > r.effective:
                cross_month, already = elapsed, True
            if cross_month is None and rate and rate > 0 and elapsed < 12:
                # the first later month m with ytd + (m - elapsed) × rate ≥ effective, in exact arithmetic (no
                # rounded run rate added up month by month): ceil((effective − ytd) × elapsed / ytd), at least 1
                q, rest = divmod((r.effective - ytd) * elapsed, ytd)
                m = elapsed + max(1, int(q) + (1 if rest > 0 else 0))
                if m <= 12:
                    cross_month = m
        elif ytd > 0:  # production without any indicator: over from its first month of production
            months = [m for m in range(1, 13) if monthly.get((r.enterprise.pk, r.indicator_type, m), ZERO) > 0]
            cross_month, already = (months[0] if months else max(elapsed, 1)), True
        out.append({
            "enterprise": r.enterprise, "indicator_type": r.indicator_type,
            "indicator_label": IndicatorType(r.indicator_type).label,
            "effective": r.effective, "used": ytd, "months": elapsed, "run_rate": rate,
            "projected": projected,
            "projected_ratio": (projected / r.effective) if (projected is not None and r.effective > 0) else None,
            "used_ratio": r.usage_ratio,
            "cross_month": cross_month, "already_crossed": already,
        })
    return out


def at_risk(projection: list[dict]) -> list[dict]:
    """Projection rows that reach the warning ratio now or by year-end, worst first."""
    warn = settings.USAGE_WARNING_RATIO
    risky = [p for p in projection
             if p["cross_month"] is not None
             or (p["used_ratio"] is not None and p["used_ratio"] >= warn)
             or (p["projected_ratio"] is not None and p["projected_ratio"] >= warn)]
    return sorted(risky, key=lambda p: (p["cross_month"] or 13, -(p["projected_ratio"] or p["used_ratio"] or 0),
                                        p["enterprise"].name, p["enterprise"].pk, p["indicator_type"]))


def compliance_counts(*, user, year: int, month: int) -> dict:
    """Expected / on time / late / missing reports for one period in the user's scope. Two queries."""
    expected_qs = expected_enterprises(year, month).filter(enterprise_q(user))
    expected = expected_qs.count()
    filed = ~Q(status=ReportStatus.DRAFT) | Q(version__gt=1)
    agg = MonthlyReport.objects.filter(year=year, month=month, is_current=True, enterprise__in=expected_qs).aggregate(
        submitted=Count("pk", filter=filed),
        late=Count("pk", filter=filed & Q(late=True)),
    )
    submitted = agg["submitted"] or 0
    late = agg["late"] or 0
    return {"year": year, "month": month, "expected": expected, "on_time": submitted - late, "late": late,
            "missing": max(expected - submitted, 0)}


def compliance_grid(*, user, year: int, now: dt.datetime) -> dict:
    """Enterprise × month status for ``year`` in the user's scope: accepted / submitted / returned / draft /
    missing (deadline passed, nothing filed) / none (not due yet). Two queries."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    licensed = Licence.objects.filter(status=LicenceStatus.DESIGNATED, valid_from__lte=last, valid_to__gte=first)
    licences = list(licensed.filter(enterprise_q(user, "enterprise"))
                    .values("enterprise_id", "enterprise__name", "valid_from", "valid_to")
                    .order_by("enterprise__name", "enterprise_id"))
    ents: dict[int, dict] = {}
    for lic in licences:
        e = ents.setdefault(lic["enterprise_id"], {"id": lic["enterprise_id"], "name": lic["enterprise__name"],
                                                   "spans": []})
        e["spans"].append((lic["valid_from"], lic["valid_to"]))
    reports = {
        (r["enterprise_id"], r["month"]): r
        for r in MonthlyReport.objects.filter(year=year, is_current=True, enterprise_id__in=list(ents))
        .values("enterprise_id", "month", "status", "late", "version", "pk")
    }
    due = [period_due_at(year, m) for m in range(1, 13)]
    rows = []
    for e in ents.values():
        cells = []
        for m in range(1, 13):
            start = dt.date(year, m, 1)
            end = (dt.date(year + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1))
            owes = any(a <= end and b >= start for a, b in e["spans"])
            r = reports.get((e["id"], m))
            if r is not None and (r["status"] != "draft" or r["version"] > 1):
                status = r["status"]
                if status == "superseded":
                    status = "accepted"
            elif not owes:
                status = "none"
            elif now > due[m - 1]:
                status = "missing"
            elif r is not None:
                status = "draft"
            else:
                status = "none"
            cells.append({"month": m, "status": status, "late": bool(r and r["late"]),
                          "report_id": r["pk"] if r else None})
        rows.append({"enterprise_id": e["id"], "name": e["name"], "cells": cells})
    return {"year": year, "months": list(range(1, 13)), "rows": rows}


# --- the national dashboard at national scale ---------------------------------------------------------------


class _Ent:
    """What the dashboard tables need of an enterprise (pk, name) without loading the model."""

    __slots__ = ("pk", "name")

    def __init__(self, pk: int, name: str):
        self.pk, self.name = pk, name

    @property
    def id(self) -> int:
        return self.pk


class _Row:
    """A quota row as ``year_end_projection`` reads it (enterprise, indicator_type, used, effective, usage_ratio)."""

    __slots__ = ("enterprise", "indicator_type", "used", "effective")

    def __init__(self, enterprise: _Ent, indicator_type: str, used: Decimal, effective: Decimal):
        self.enterprise, self.indicator_type, self.used, self.effective = enterprise, indicator_type, used, effective

    @property
    def usage_ratio(self) -> Decimal | None:
        return None if self.effective <= 0 else self.used / self.effective


def _at_risk_sql(*, mu: str, vendor: str) -> str:
    """The ``candidate`` branch of ``national_overview``'s statement: the ``at_risk(year_end_projection(...))``
    filter and order computed in SQL over the roll-ups (``k``: QuotaFigure ⋈ enterprise), ``LIMIT``-ed, so that
    Python projects only the rows it shows. Exact arithmetic where the Python path is exact: the run rate's
    projection rounded half-even to the kilogram in integers, the projected crossing month as an integer ceiling,
    the month already crossed from the running sum of the monthly roll-up. Parameters, in this order: the year
    (2×), the months whose deadline passed (2×), the warning ratio (2×) and max(months, 1) for the pre-filter, the
    warning ratio (2×), the limit."""
    ratio_cast = "NUMERIC(60,30)" if vendor == "postgresql" else "REAL"
    # PostgreSQL would inline each level into the next and evaluate the crossing month (and its sub-queries) once
    # per reference; OFFSET 0 keeps the levels apart, so each is computed once per candidate
    fence = "OFFSET 0" if vendor == "postgresql" else ""
    name = 'name COLLATE "C"' if vendor == "postgresql" else "name"
    return f"""
        SELECT * FROM (
          SELECT 'candidate', indicator_type, enterprise_id, name, effective, used, last_month FROM (
            SELECT c.*,
                   CASE WHEN cross_month IS NULL OR cross_month = 0 THEN 13 ELSE cross_month END AS sort_month,
                   CASE WHEN effective <= 0 THEN 0
                        WHEN el = 0 THEN CAST(used AS {ratio_cast}) / effective
                        ELSE CAST(projected_milli AS {ratio_cast}) / (effective * 1000) END AS sort_ratio
            FROM (
              SELECT c.*,
                     CASE
                       WHEN effective <= 0 THEN COALESCE(
                         (SELECT MIN(m.month) FROM {mu} m WHERE m.enterprise_id = c.enterprise_id AND m.year = %s
                             AND m.indicator_type = c.indicator_type AND m.used_t > 0),
                         CASE WHEN el > 1 THEN el ELSE 1 END)
                       WHEN used > effective THEN COALESCE(
                         (SELECT MIN(s.month) FROM (
                             SELECT m.month, SUM(m.used_t) OVER (ORDER BY m.month) AS cum FROM {mu} m
                              WHERE m.enterprise_id = c.enterprise_id AND m.year = %s
                                AND m.indicator_type = c.indicator_type AND m.month <= c.el) s
                           WHERE s.cum > c.effective),
                         el)
                       WHEN el = 0 THEN NULL
                       WHEN el + (CASE WHEN gap_milli <= 0 THEN 1
                                       ELSE (gap_milli * el + used_milli - 1) / used_milli END) <= 12
                         THEN el + (CASE WHEN gap_milli <= 0 THEN 1
                                         ELSE (gap_milli * el + used_milli - 1) / used_milli END)
                     END AS cross_month,
                     CASE WHEN el = 0 THEN NULL
                          ELSE (used_milli * 12) / el
                               + CASE WHEN 2 * ((used_milli * 12) %% el) > el
                                        OR (2 * ((used_milli * 12) %% el) = el AND ((used_milli * 12) / el) %% 2 = 1)
                                      THEN 1 ELSE 0 END
                     END AS projected_milli
              FROM (
                SELECT k.*,
                       CASE WHEN COALESCE(last_month, 0) > 12 THEN 12
                            WHEN COALESCE(last_month, 0) > %s THEN last_month ELSE %s END AS el,
                       CAST(ROUND(used * 1000) AS BIGINT) AS used_milli,
                       CAST(ROUND((effective - used) * 1000) AS BIGINT) AS gap_milli
                  FROM k
                 WHERE used > 0 AND (effective <= 0 OR used >= effective * %s OR used * 12 >= effective * %s * %s)
                 {fence}
              ) c
              {fence}
            ) c
          ) r
          WHERE cross_month IS NOT NULL OR (effective > 0 AND used >= effective * %s)
             OR (el > 0 AND effective > 0 AND projected_milli >= effective * 1000 * %s)
          ORDER BY sort_month, sort_ratio DESC, {name}, enterprise_id, indicator_type
          LIMIT %s
        ) risky
    """


def national_overview(*, user, year: int, now: dt.datetime, at_risk_limit: int = 15) -> dict:
    """The ministry dashboard's figures in five queries whatever the number of enterprises: usage by indicator
    type, by group and by province (one aggregate over the per-enterprise quota sums), the monthly totals for
    ``production_trend`` (for the ministry the national ``MonthlyUsageTotal`` roll-up, else ``MonthlyUsage`` in
    scope), and the enterprises most at risk — the same rows and order as ``at_risk(year_end_projection(...))``:
    filtered, ordered and cut to ``at_risk_limit`` in SQL (``_at_risk_sql``), projected in Python for those rows only.
    """
    scope = Enterprise.objects.filter(enterprise_q(user))
    try:
        # the ministry sees every enterprise: no need to join the scope
        built = ("", []) if is_ministry(user) else scope.values("pk").query.sql_with_params()
    except EmptyResultSet:
        built = None
    by_type: dict[str, dict[str, Any]] = {t: {"indicator_type": t, "label": IndicatorType(t).label, "effective": ZERO, "used": ZERO}
               for t in TYPES}
    groups: dict = {}
    provinces: dict = {}
    trend_monthly: dict[tuple[int, str, int], Decimal] = {}  # (0, type, month) → t, as production_trend reads it
    candidates: list[_Row] = []
    last_months: dict[tuple[int, str], int] = {}
    due = last_due_period(now=now, year=year)
    base_months = due[1] if due else 0
    warn = Decimal(settings.USAGE_WARNING_RATIO)
    if built is not None:
        scope_sql, scope_params = built
        conn = read_connection()
        ent, auth, qf = Enterprise._meta.db_table, Authority._meta.db_table, QuotaFigure._meta.db_table
        # one narrow row per (enterprise, type) from the QuotaFigure roll-up the services maintain: the effective
        # quota, the year-to-date usage and the last month with production (no five-source sum, no sub-query)
        q = f"""
            WITH k AS (SELECT f.enterprise_id, f.indicator_type,
                              f.issued_t + f.received_t + f.adjustments_t - f.deductions_t AS effective,
                              f.used_t AS used, f.last_month, e.group_id, e.name, SUBSTR(a.path, 8, 6) AS province
                         FROM {qf} f JOIN {ent} e ON e.id = f.enterprise_id JOIN {auth} a ON a.id = e.county_id
                        WHERE f.year = %s{f" AND f.enterprise_id IN ({scope_sql})" if scope_sql else ""})
            SELECT 'total' AS what, indicator_type, CAST(NULL AS BIGINT), CAST(NULL AS TEXT), SUM(effective), SUM(used),
                   CAST(NULL AS INTEGER)
              FROM k GROUP BY indicator_type
            UNION ALL SELECT 'group', NULL, group_id, NULL, SUM(effective), SUM(used), NULL FROM k GROUP BY group_id
            UNION ALL SELECT 'province', NULL, NULL, province, SUM(effective), SUM(used), NULL FROM k GROUP BY province
            UNION ALL {_at_risk_sql(mu=MonthlyUsage._meta.db_table, vendor=conn.vendor)}
        """
        params = [year, *scope_params, year, year, base_months, base_months, warn, warn, max(base_months, 1),
                  warn, warn, at_risk_limit]
        with conn.cursor() as cur:
            cur.execute(q, params)
            rows = cur.fetchall()
        group_ids = set()
        for what, itype, num, text, effective, used, last_month in rows:
            effective, used = Decimal(effective or 0).quantize(Decimal("0.001")), Decimal(used or 0).quantize(
                Decimal("0.001"))
            if what == "total":
                by_type[itype]["effective"] += effective
                by_type[itype]["used"] += used
            elif what == "group":
                groups[num or 0] = {"id": num, "effective": effective, "used": used}
                group_ids.add(num)
            elif what == "province":
                provinces[text] = {"code": text, "effective": effective, "used": used}
            else:
                candidates.append(_Row(_Ent(num, text), itype, used, effective))
                if last_month:
                    last_months[(num, itype)] = last_month
        names = {g.pk: g.short_name or g.name for g in EnterpriseGroup.objects.filter(pk__in=group_ids - {None})}
        for key, g in groups.items():
            g["name"] = names.get(key) if key else None
        pnames = _province_names(provinces)
        for p in provinces.values():
            p["name"] = pnames.get(p["code"], p["code"])
        if is_ministry(user) and usage_totals.maintained():
            # every enterprise: the national monthly roll-up (a few dozen rows, not 120,000)
            trend_rows = usage_totals.usage_totals(year=year, using=conn.alias)
        else:
            in_scope = MonthlyUsage.objects.filter(year=year)
            if not is_ministry(user):  # the ministry sees every enterprise: no need to join the scope
                in_scope = in_scope.filter(enterprise__in=scope)
            trend_rows = list(in_scope.values_list("indicator_type", "month").annotate(t=Sum("used_t"))
                              .values_list("indicator_type", "month", "t").order_by())
        for itype, month, t in trend_rows:
            trend_monthly[(0, itype, month)] = t
    # ``year_end_projection`` reads each row's last reported month, and the months themselves only where the
    # year-to-date usage is above the quota (to find when it crossed): the series of those rows only.
    monthly: dict = {(ent_id, itype, m): ZERO for (ent_id, itype), m in last_months.items()}
    crossed = {(r.enterprise.pk, r.indicator_type) for r in candidates if r.used > r.effective}
    if crossed:
        for ent_id, itype, month, t in (MonthlyUsage.objects.filter(year=year,
                                                                    enterprise_id__in={k[0] for k in crossed})
                                        .values_list("enterprise_id", "indicator_type", "month", "used_t")):
            if (ent_id, itype) in crossed:
                monthly[(ent_id, itype, month)] = t
    risky = at_risk(year_end_projection(rows=candidates, monthly=monthly, year=year, now=now))[:at_risk_limit]
    result_types = []
    for o in by_type.values():
        o["remaining"] = max(o["effective"] - o["used"], ZERO)
        o["over"] = max(o["used"] - o["effective"], ZERO)
        o["ratio"] = (o["used"] / o["effective"]) if o["effective"] > 0 else None
        result_types.append(o)
    for d in list(groups.values()) + list(provinces.values()):
        d["ratio"] = (d["used"] / d["effective"]) if d["effective"] > 0 else None
    return {
        "by_type": result_types,
        "groups": sorted(groups.values(), key=lambda g: (g["name"] is None, -g["effective"], g["name"] or "")),
        "provinces": sorted(provinces.values(), key=lambda p: p["code"]),
        "trend_monthly": trend_monthly,
        "at_risk": risky,
    }
