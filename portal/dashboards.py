"""Context for the role dashboards (organizations.views.home calls PortalConfig.dashboard_context).

Everything is under the ``portal`` key. Every chart is built with ``charts.chart`` so that its accessible
table shows exactly the numbers the canvas draws. A fixed number of queries per dashboard.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.translation import gettext as _

from enforcement import selectors as enforcement_selectors
from enforcement.models import Case, CaseStatus, FlagKind
from organizations.models import AUTHORITY_ROLES, IndicatorType, Role
from organizations.notifications import notification_list
from organizations.selectors import membership_of, scope_queryset
from quota_portal.formatting import percent_formatter, tonnes_formatter
from quota_portal.params import year_param
from reporting.ledger import ledger_figures
from reporting.models import MonthlyReport, ReportStatus
from reporting.selectors import enterprise_report_status

from . import selectors as s
from .charts import chart


def _month_labels():
    return [str(MONTHS_3[m]) for m in range(1, 13)]


def _year(request, now) -> int:
    return year_param(request.GET.get("year"), s.dashboard_year(now=now))


def _quota_chart(by_type, *, id: str, title):
    return chart(
        id=id, title=title, kind="bar", stacked=True, label_heading=_("Indicator type"),
        labels=[t["label"] for t in by_type],
        series=[
            {"label": _("Used"), "values": [t["used"] - t["over"] for t in by_type], "color": "#1f5fa8"},
            {"label": _("Remaining"), "values": [t["remaining"] for t in by_type], "color": "#9ec5ea"},
            {"label": _("Above the indicator"), "values": [t["over"] for t in by_type], "color": "#b3261e"},
        ],
    )


def _trend(monthly, *, now, year):
    due = s.last_due_period(now=now, year=year)
    return s.production_trend(monthly, through_month=due[1] if due else 0)


def _trend_chart(trend, *, id: str):
    return chart(
        id=id, title=_("Accepted production by month (t REO)"), kind="line", label_heading=_("Month"),
        labels=_month_labels(),
        series=[{"label": IndicatorType(t).label, "values": trend[t]} for t in s.TYPES],
    )


def _common(request, kind):
    now = timezone.now()
    year = _year(request, now)
    return now, year


def ministry_context(request) -> dict:
    user = request.user
    now, year = _common(request, "ministry")
    # national scale: aggregates in SQL and the monthly roll-up, never one object per enterprise (bench/README.md)
    overview = s.national_overview(user=user, year=year, now=now)
    by_type, groups, provinces = overview["by_type"], overview["groups"], overview["provinces"]
    tonnes, pct = tonnes_formatter(), percent_formatter()
    for row in (*groups, *provinces):  # 31 provinces: written once here, not cell by cell by template filters
        row["effective_text"], row["used_text"], row["ratio_text"] = (
            tonnes(row["effective"]), tonnes(row["used"]), pct(row["ratio"]))
    trend = _trend(overview["trend_monthly"], now=now, year=year)
    period = s.last_due_period(now=now, year=year)
    compliance = s.compliance_counts(user=user, year=period[0], month=period[1]) if period else None
    flags = _open_flags_by_kind(user, request)
    ctx = {
        "kind": "ministry", "year": year, "years": _years(year, now),
        "by_type": by_type,
        "quota_chart": _quota_chart(by_type, id="dash-quota", title=_("National effective quota and usage by indicator type (t REO)")),
        "trend_chart": _trend_chart(trend, id="dash-trend"),
        "groups": groups, "provinces": provinces,
        "group_chart": chart(
            id="dash-groups", title=_("Usage by enterprise group (t REO)"), kind="bar", horizontal=True,
            label_heading=_("Group"), labels=[g["name"] or _("No group") for g in groups],
            series=[{"label": _("Effective quota"), "values": [g["effective"] for g in groups], "color": "#9ec5ea"},
                    {"label": _("Used"), "values": [g["used"] for g in groups], "color": "#1f5fa8"}]),
        "province_chart": chart(
            id="dash-provinces", title=_("Usage by province (t REO)"), kind="bar", label_heading=_("Province"),
            labels=[p["name"] for p in provinces],
            series=[{"label": _("Effective quota"), "values": [p["effective"] for p in provinces], "color": "#9ec5ea"},
                    {"label": _("Used"), "values": [p["used"] for p in provinces], "color": "#1f5fa8"}]),
        "flags_chart": chart(
            id="dash-flags", title=_("Open flags by kind"), kind="bar", unit="n", label_heading=_("Kind"),
            labels=[label for label, _k, _n in flags], series=[{"label": _("Open flags"), "values": [n for _l, _k, n in flags], "color": "#b26a00"}]),
        "compliance": compliance,
        "compliance_chart": _compliance_chart(compliance, id="dash-compliance") if compliance else None,
        "at_risk": overview["at_risk"],
        **_ledger_charts(user, year),
    }
    return ctx


def _ledger_charts(user, year: int) -> dict:
    """The shipment ledger on the ministry dashboard: states, imports by country, exports by item (4 queries)."""
    led = ledger_figures(user=user, year=year)
    states = [(_("Declared"), led["declared"]), (_("In transit"), led["in_transit"]),
              (_("Received"), led["received"]), (_("Disputed"), led["disputed"])]
    return {
        "ledger": led,
        "ledger_state_chart": chart(
            id="dash-ledger-states", title=_("Shipments by state, %(year)s (t REO)") % {"year": year}, kind="bar",
            label_heading=_("State"), labels=[label for label, _x in states],
            series=[{"label": _("Tonnes REO"), "values": [x["t"] or 0 for _l, x in states], "color": "#1f5fa8"}]),
        "ledger_imports_chart": chart(
            id="dash-ledger-imports", title=_("Imports by country of origin, %(year)s (t REO)") % {"year": year},
            kind="bar", label_heading=_("Country"), labels=[row["origin_country"] for row in led["imports"]],
            series=[{"label": _("Tonnes REO"), "values": [row["t"] for row in led["imports"]], "color": "#2e7d32"}]),
        "ledger_exports_chart": chart(
            id="dash-ledger-exports", title=_("Exports by product, %(year)s (t REO; * export-controlled)")
            % {"year": year}, kind="bar", label_heading=_("Product"),
            labels=[row["product_id"] + (" *" if row["controlled"] else "") for row in led["exports"]],
            series=[{"label": _("Tonnes REO"), "values": [row["t"] for row in led["exports"]], "color": "#a3262a"}]),
    }


def _compliance_chart(c, *, id: str):
    return chart(
        id=id, kind="bar", unit="n", label_heading=_("Reports"),
        title=_("Reporting compliance for %(year)s-%(month)02d") % {"year": c["year"], "month": c["month"]},
        labels=[_("On time"), _("Late"), _("Missing")],
        series=[{"label": _("Enterprises"), "values": [c["on_time"], c["late"], c["missing"]], "color": "#1f5fa8"}],
    )


def _open_flags_by_kind(user, request=None) -> list[tuple]:
    counts = enforcement_selectors.open_flag_counts(user=user, request=request)  # shared with its own section
    return [(label, k, counts.get(k, 0)) for k, label in FlagKind.choices]


def _open_cases(user, limit: int = 8) -> tuple[int, list]:
    qs = scope_queryset(user, Case.objects.exclude(status=CaseStatus.CLOSED))
    return qs.count(), list(qs.select_related("enterprise").order_by("-opened_at", "-id")[:limit])


def _years(year: int, now) -> list[int]:
    this_year = now.year
    return list(range(max(this_year, year) + 1, min(this_year, year) - 5, -1))


def authority_context(request) -> dict:
    user = request.user
    m = membership_of(user)
    now, year = _common(request, "authority")
    rows = s.quota_rows(user=user, year=year)
    monthly = s.monthly_production(user=user, year=year)
    projection = s.year_end_projection(rows=rows, monthly=monthly, year=year, now=now)
    queue = scope_queryset(user, MonthlyReport.objects.filter(is_current=True, status=ReportStatus.SUBMITTED)).count()
    cases_count, cases = _open_cases(user)
    period = s.last_due_period(now=now, year=year)
    compliance = s.compliance_counts(user=user, year=period[0], month=period[1]) if period else None
    by_type = s.usage_by_type(rows)
    return {
        "kind": "authority", "year": year, "years": _years(year, now),
        "is_reviewer": bool(m and m.role == Role.AUTHORITY_REVIEWER), "is_authority": bool(m and m.role in AUTHORITY_ROLES),
        "queue": queue,
        "grid": s.compliance_grid(user=user, year=year, now=now),
        "nearing": s.at_risk(projection)[:20],
        "warning_ratio": settings.USAGE_WARNING_RATIO,
        "cases_count": cases_count, "cases": cases,
        "compliance": compliance,
        "by_type": by_type,
        "quota_chart": _quota_chart(by_type, id="dash-quota", title=_("Effective quota and usage in your area (t REO)")),
    }


def enterprise_context(request) -> dict:
    user = request.user
    m = membership_of(user)
    now, year = _common(request, "enterprise")
    rows = s.quota_rows(user=user, year=year)
    monthly = s.monthly_production(user=user, year=year)
    projection = s.year_end_projection(rows=rows, monthly=monthly, year=year, now=now)
    status = enterprise_report_status(enterprise=m.enterprise, now=now) if m and m.enterprise else None
    inbox = notification_list(user=user).order_by("-created_at", "-id")
    by_type = [r for r in s.usage_by_type(rows) if r["effective"] or r["used"]]
    deadline_day = (status["due_at"] - dt.timedelta(seconds=1)).astimezone(s.BEIJING).date() if status else None
    return {
        "kind": "enterprise", "year": year, "years": _years(year, now),
        "rows": rows, "projection": projection,
        "quota_chart": _quota_chart(by_type, id="dash-quota", title=_("Your indicators: used and remaining (t REO)")),
        "report": status, "deadline_day": deadline_day,
        "inbox": list(inbox[:5]),
        "inbox_unread": inbox.filter(read_at__isnull=True).count(),
    }


def group_context(request) -> dict:
    user = request.user
    now, year = _common(request, "group")
    rows = s.quota_rows(user=user, year=year)
    monthly = s.monthly_production(user=user, year=year)
    projection = s.year_end_projection(rows=rows, monthly=monthly, year=year, now=now)
    by_type = s.usage_by_type(rows)
    return {
        "kind": "group", "year": year, "years": _years(year, now),
        "rows": rows, "projection": projection, "at_risk": s.at_risk(projection),
        "quota_chart": _quota_chart(by_type, id="dash-quota", title=_("Group indicators: used and remaining (t REO)")),
        "trend_chart": _trend_chart(_trend(monthly, now=now, year=year), id="dash-trend"),
    }


BUILDERS = {"ministry": ministry_context, "authority": authority_context, "enterprise": enterprise_context,
            "group": group_context}


def dashboard_context(*, request, kind: str) -> dict:
    builder = BUILDERS.get(kind)
    if builder is None:
        return {}
    ctx = builder(request)
    ctx.setdefault("warning_ratio", settings.USAGE_WARNING_RATIO)
    return {"portal": ctx}
