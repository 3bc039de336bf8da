from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from organizations.models import IndicatorType
from organizations.selectors import is_authority, is_ministry, membership_of

from . import selectors

PAGE_SIZE = 50
SORTS = {
    "cross": lambda p: (p["cross_month"] or 13, -(p["projected_ratio"] or 0)),
    "projected": lambda p: -(p["projected_ratio"] or 0),
    "used": lambda p: -(p["used_ratio"] or 0),
    "name": lambda p: (p["enterprise"].name, p["indicator_type"]),
}


@login_required
def early_warning_view(request):
    """Counties' (and every authority's) early-warning list: enterprises projected to reach the warning level
    or cross 100 % of their effective quota by year-end, from the year-to-date monthly run rate."""
    user = request.user
    if not (is_authority(user) or is_ministry(user) or (membership_of(user) and membership_of(user).group_id)):
        raise Http404
    now = timezone.now()
    default_year = selectors.dashboard_year(now=now)
    try:
        year = int(request.GET.get("year", default_year))
    except ValueError:
        year = default_year
    q = request.GET.get("q", "").strip()[:100]
    itype = request.GET.get("type", "")
    show_all = request.GET.get("all") == "1"
    sort = request.GET.get("sort", "cross")
    rows = selectors.quota_rows(user=user, year=year)
    if q:
        ql = q.lower()
        rows = [r for r in rows if ql in r.enterprise.name.lower() or q.upper() in r.enterprise.credit_code]
    if itype in IndicatorType.values:
        rows = [r for r in rows if r.indicator_type == itype]
    monthly = selectors.monthly_production(user=user, year=year)
    projection = selectors.year_end_projection(rows=rows, monthly=monthly, year=year, now=now)
    listed = projection if show_all else selectors.at_risk(projection)
    listed = sorted(listed, key=SORTS.get(sort, SORTS["cross"]))
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    extra = f"year={year}&type={itype}&sort={sort}&" + ("all=1&" if show_all else "")
    return render(request, "portal/early_warning.html", {
        "page": page, "q": q, "year": year, "type": itype, "show_all": show_all, "sort": sort,
        "types": IndicatorType.choices, "years": list(range(now.year + 1, now.year - 6, -1)),
        "warning_ratio": settings.USAGE_WARNING_RATIO, "extra_qs": extra, "total": len(projection),
    })
