"""The ministry's annual execution overview (年度执行情况): per enterprise and per group — issued, adjustments,
deductions, used, remaining, overrun, violations, penalties — with charts, an Excel export and a PDF for the record.

The portal sits on top of every app, so it may read allocations (quotas), reporting (year close) and enforcement
(flags, penalties) together. Set-based: one quota query, one flag count, one penalty aggregate.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from allocations.selectors import quota_list
from enforcement.models import Flag, Penalty, PenaltyStatus
from organizations.models import IndicatorType
from organizations.selectors import enterprise_q

from .charts import chart

ZERO = Decimal("0")
FIELDS = ["issued", "adjustments", "deductions", "effective", "used", "remaining", "overrun"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def annual_overview(*, user, year: int) -> dict:
    """{"enterprises": [...], "groups": [...], "totals": {...}} for the enterprises in the user's scope."""
    rows: dict[int, dict] = {}
    for q in quota_list(user=user, year=year):
        e = q.enterprise
        row = rows.setdefault(e.pk, {"enterprise": e, "group": e.group, "types": [], "violations": 0,
                                     "penalties": 0, "fines_cny": ZERO, **{f: ZERO for f in FIELDS}})
        over = max(q.used - q.effective, ZERO)
        row["types"].append(str(IndicatorType(q.indicator_type).label))
        for f, v in (("issued", q.allocated), ("adjustments", q.adjustments), ("deductions", q.deductions),
                     ("effective", q.effective), ("used", q.used), ("remaining", q.remaining), ("overrun", over)):
            row[f] += v
    scope = enterprise_q(user, "enterprise")
    for r in (Flag.objects.filter(scope, year=year, enterprise_id__in=list(rows)).values("enterprise_id")
              .annotate(n=Count("id"))):
        rows[r["enterprise_id"]]["violations"] = r["n"]
    for r in (Penalty.objects.filter(scope, enterprise_id__in=list(rows), status=PenaltyStatus.APPROVED)
              .filter(Q(violation_date__year=year)).values("enterprise_id")
              .annotate(n=Count("id"), fines=Sum("fine_cny"))):
        rows[r["enterprise_id"]]["penalties"] = r["n"]
        rows[r["enterprise_id"]]["fines_cny"] = r["fines"] or ZERO
    enterprises = sorted(rows.values(), key=lambda r: (r["group"].name if r["group"] else "~", r["enterprise"].name))
    groups: dict[int, dict] = {}
    for row in enterprises:
        key = row["group"].pk if row["group"] else 0
        g = groups.setdefault(key, {"name": row["group"].name if row["group"] else _("Not in a group"), "enterprises": 0,
                                    "violations": 0, "penalties": 0, "fines_cny": ZERO, **{f: ZERO for f in FIELDS}})
        g["enterprises"] += 1
        for f in [*FIELDS, "violations", "penalties", "fines_cny"]:
            g[f] += row[f]
    totals = {f: sum((r[f] for r in enterprises), ZERO) for f in [*FIELDS, "fines_cny"]}
    totals.update({"violations": sum(r["violations"] for r in enterprises),
                   "penalties": sum(r["penalties"] for r in enterprises)})
    return {"year": year, "enterprises": enterprises, "groups": list(groups.values()), "totals": totals}


def overview_chart(overview: dict) -> dict:
    groups = overview["groups"]
    return chart(id="annual-overview", title=_("Indicator execution by group (t REO)"), kind="bar",
                 labels=[g["name"] for g in groups], label_heading=_("Group"),
                 series=[{"label": _("Effective indicator"), "values": [g["effective"] for g in groups]},
                         {"label": _("Used"), "values": [g["used"] for g in groups]},
                         {"label": _("Overrun"), "values": [g["overrun"] for g in groups]}])


def _headers() -> list[str]:
    return [str(x) for x in (_("Issued"), _("Adjustments"), _("Deductions"), _("Effective indicator"), _("Used"),
                             _("Remaining"), _("Overrun"), _("Violations"), _("Penalties"), _("Fines (CNY)"))]


def overview_xlsx(overview: dict) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = str(_("Enterprises"))[:31]
    ws.append([str(_("Enterprise")), str(_("Unified social credit code")), str(_("Group")), *_headers()])
    for r in overview["enterprises"]:
        ws.append([r["enterprise"].name, r["enterprise"].credit_code, r["group"].name if r["group"] else "",
                   *[float(r[f]) for f in FIELDS], r["violations"], r["penalties"], float(r["fines_cny"])])
    gs = wb.create_sheet(str(_("Groups"))[:31])
    gs.append([str(_("Group")), str(_("Enterprises")), *_headers()])
    for g in overview["groups"]:
        gs.append([g["name"], g["enterprises"], *[float(g[f]) for f in FIELDS], g["violations"], g["penalties"],
                   float(g["fines_cny"])])
    for sheet in (ws, gs):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, float):
                    cell.number_format = "#,##0.000"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
