"""Reads for the dashboards, the year-end projection and the public pages. Set-based: every function runs a
fixed number of queries whatever the number of enterprises, reports or flags."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q

from organizations.models import Activity, Authority, IndicatorType, Level, Licence, LicenceStatus

ZERO = Decimal("0.000")


# --- public pages ------------------------------------------------------------------------------------

def public_designated_enterprise_list(*, year: int, search: str = "") -> dict[str, list[dict]]:
    """Enterprises designated for mining or smelting separation in ``year`` (a designated licence valid on
    any day of that year), by activity. Two queries."""
    qs = (
        Licence.objects.filter(
            status=LicenceStatus.DESIGNATED,
            valid_from__lte=dt.date(year, 12, 31),
            valid_to__gte=dt.date(year, 1, 1),
        )
        .select_related("enterprise__county", "enterprise__group")
        .order_by("activity", "enterprise__name", "valid_from")
    )
    if search:
        qs = qs.filter(Q(enterprise__name__icontains=search) | Q(enterprise__credit_code__icontains=search.upper()))
    licences = list(qs)
    province_codes = {lic.enterprise.county.path.split("/")[1] for lic in licences
                      if lic.enterprise.county.path.count("/") >= 3}
    provinces = dict(Authority.objects.filter(level=Level.PROVINCE, code__in=province_codes).values_list("code", "name"))
    out: dict[str, list[dict]] = {Activity.MINING: [], Activity.SMELTING_SEPARATION: []}
    seen = set()
    for lic in licences:
        key = (lic.activity, lic.enterprise_id)
        if key in seen:
            continue
        seen.add(key)
        ent = lic.enterprise
        parts = ent.county.path.split("/")
        out.setdefault(lic.activity, []).append({
            "name": ent.name,
            "credit_code": ent.credit_code,
            "province": provinces.get(parts[1], "") if len(parts) > 2 else "",
            "county": ent.county.name,
            "group": (ent.group.short_name or ent.group.name) if ent.group_id else "",
        })
    return out


def public_national_total_list() -> list[dict]:
    """Approved national control indicators per year: {"year", "mining_rock", "mining_ion", "mining",
    "smelting_separation"} (None where not published). Only approved plans — never a draft, never a
    superseded revision. One query."""
    from allocations.models import NationalPlan, PlanStatus

    rows: dict[int, dict] = {}
    for year, itype, total in (
        NationalPlan.objects.filter(status=PlanStatus.APPROVED)
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
    cases, fines under consideration or statements. Delegates to enforcement when it publishes them."""
    try:
        from enforcement import selectors as enforcement_selectors
    except ImportError:
        return []
    fn = getattr(enforcement_selectors, "published_penalty_list", None)
    if fn is None:
        return []
    return fn(search=search)
