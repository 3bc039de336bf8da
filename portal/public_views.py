"""Public pages: no login, only data that is published by law — designated enterprises, approved national
totals, decided administrative penalties."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.models import IndicatorType
from organizations.register_selectors import public_register
from quota_portal.params import year_param

from . import selectors
from .charts import chart

PAGE_SIZE = 50


def _year_param(request, default: int) -> int:
    return year_param(request.GET.get("year"), default)


def public_index(request):
    return render(request, "portal/public_index.html", {"year": timezone.localdate().year})


def public_enterprises(request):
    """The published register (Regulations Art. 8) as of a day, generated from the approved decisions: designated
    enterprises by activity with the date and number of their designation; suspended and revoked ones marked with
    the date. ``?year=`` shows the register as of the end of that year (today for the current year)."""
    today = timezone.localdate()
    this_year = today.year
    year = _year_param(request, this_year)
    on = today if year == this_year else (dt.date(year, 12, 31) if year < this_year else dt.date(year, 1, 1))
    q = request.GET.get("q", "").strip()[:100]
    lists = public_register(on=on, search=q)
    sections = [(t.value, t.label, lists.get(t.value, [])) for t in IndicatorType]
    return render(request, "portal/public_enterprises.html", {
        "year": year, "on": on, "q": q, "sections": sections,
        "years": list(range(this_year + 1, this_year - 6, -1)),
    })


def public_totals(request):
    rows = selectors.public_national_total_list()
    types = [
        (IndicatorType.MINING_ROCK, IndicatorType.MINING_ROCK.label),
        (IndicatorType.MINING_ION, IndicatorType.MINING_ION.label),
        (IndicatorType.SMELTING_SEPARATION, IndicatorType.SMELTING_SEPARATION.label),
    ]
    totals_chart = chart(
        id="public-totals",
        title=_("Approved national control indicators by year (t REO)"),
        kind="bar",
        labels=[r["year"] for r in rows],
        series=[{"label": label, "values": [r[t] for r in rows], "stack": "mining" if t != IndicatorType.SMELTING_SEPARATION else "smelting"}
                for t, label in types],
        stacked=True,
        label_heading=_("Year"),
    )
    return render(request, "portal/public_totals.html", {"rows": rows, "chart": totals_chart})


def public_penalties(request):
    q = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.public_penalty_list(search=q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/public_penalties.html", {"page": page, "q": q})
