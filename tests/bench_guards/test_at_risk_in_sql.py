"""The national dashboard's at-risk list is filtered, ordered and cut to its 15 rows in SQL (portal.selectors
``_at_risk_sql``); it must be exactly the first rows of ``at_risk(year_end_projection(...))`` computed in Python over
the same roll-ups, for every case the projection distinguishes: crossed in a past month, projected to cross (the
exact month, including the boundary where the run rate lands exactly on the quota), a projection rounded
half-even to the kilogram, no indicator at all (or a negative one) with production, ties between two indicator
types of one enterprise — and before any deadline of the year has passed, mid-year, and after the year."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from allocations.models import MonthlyUsage, QuotaFigure
from organizations.models import Enterprise
from portal import selectors as s
from reporting.periods import BEIJING

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D(0)
YEAR = 2031
TYPES = ["mining_rock", "mining_ion", "smelting_separation"]


def _series(rng, months: int, total_milli: int) -> list[int]:
    """``total_milli`` kilograms spread over ``months`` months (some of them zero)."""
    if months == 0:
        return []
    cuts = sorted(rng.randint(0, total_milli) for _ in range(months - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total_milli], strict=True)]


def _load(ents) -> None:
    rng = random.Random(15)
    figures, monthly = [], []

    def add(ent, itype, *, issued, deductions=ZERO, series):
        used = sum(series, D(0))
        figures.append(QuotaFigure(enterprise=ent, year=YEAR, indicator_type=itype, issued_t=issued,
                                   deductions_t=deductions, used_t=used, last_month=len(series) or None))
        monthly.extend(MonthlyUsage(enterprise=ent, year=YEAR, month=m, indicator_type=itype, used_t=t)
                       for m, t in enumerate(series, start=1))

    milli = D("0.001")
    special = [
        # used exactly the quota after 6 months: crosses in month 7 (projected)
        dict(issued=D("600.000"), series=[D(100)] * 6),
        # a third of the quota in 3 months: the run rate reaches it exactly at month 6 (not 7: no rounding)
        dict(issued=D("2.000"), series=[D("0.400"), D("0.300"), D("0.300")]),
        # 8 months, an odd number of kilograms: used × 12 / 8 ends in exactly half a kilogram, rounded half-even
        # (9 kg → 13.5 → 14, 11 kg → 16.5 → 16)
        dict(issued=D("0.012"), series=[D("0.001")] * 7 + [D("0.002")]),
        dict(issued=D("0.012"), series=[D("0.001")] * 5 + [D("0.002")] * 3),
        # production without an indicator, and with an indicator turned negative by a deduction
        dict(issued=D(0), series=[D(0), D(0), D("5.000"), D("1.000")]),
        dict(issued=D("1.000"), deductions=D("3.000"), series=[D("2.000")]),
        # over the quota: crossed in month 2 and month 5
        dict(issued=D("10.000"), series=[D("8.000"), D("4.000"), D("1.000")]),
        dict(issued=D("10.000"), series=[D("2.000")] * 4 + [D("2.001"), D("0.500")]),
    ]
    for i, ent in enumerate(ents):
        if i < len(special):
            add(ent, TYPES[0], **special[i])
            # the same figures under a second indicator type: a tie the order must settle the same way
            add(ent, TYPES[1], **special[i])
            continue
        for itype in TYPES:
            months = rng.choice([0, 1, 3, 5, 6, 7, 8, 9, 11, 12])
            quota_milli = rng.randint(1, 2_000_000)
            ratio = rng.choice([0.5, 0.85, 0.9, 0.95, 1.0, 1.05, 1.5, 2.0])
            share = rng.choice([months / 12, 1])  # on course for the ratio by year-end, or there already
            series = [D(x) * milli for x in _series(rng, months, int(quota_milli * ratio * share) + 1)]
            add(ent, itype, issued=D(quota_milli) * milli, series=series)
    QuotaFigure.objects.bulk_create(figures)
    MonthlyUsage.objects.bulk_create(monthly)


def _python(now) -> list[dict]:
    names = dict(Enterprise.objects.values_list("pk", "name"))
    rows = [s._Row(s._Ent(f.enterprise_id, names[f.enterprise_id]), f.indicator_type, f.used_t,
                   f.issued_t + f.received_t + f.adjustments_t - f.deductions_t)
            for f in QuotaFigure.objects.filter(year=YEAR)]
    monthly = {(m.enterprise_id, m.indicator_type, m.month): m.used_t for m in MonthlyUsage.objects.filter(year=YEAR)}
    return s.at_risk(s.year_end_projection(rows=rows, monthly=monthly, year=YEAR, now=now))


def _key(rows):
    return [(r["enterprise"].pk, r["enterprise"].name, r["indicator_type"], r["effective"], r["used"], r["months"],
             r["run_rate"], r["projected"], r["projected_ratio"], r["used_ratio"], r["cross_month"],
             r["already_crossed"]) for r in rows]


@pytest.mark.parametrize("now", [dt.datetime(YEAR, 1, 5, 12, tzinfo=BEIJING),    # no deadline passed yet
                                 dt.datetime(YEAR, 7, 20, 12, tzinfo=BEIJING),   # mid-year
                                 dt.datetime(YEAR + 1, 3, 1, 12, tzinfo=BEIJING)])  # the year is over
@pytest.mark.parametrize("limit", [15, 1000])
def test_the_sql_order_and_cut_equal_the_python_projection(demo_orgs, now, limit):
    ents = list(Enterprise.objects.order_by("pk"))
    assert len(ents) > len(TYPES) * 2
    _load(ents)
    expected = _python(now)
    assert len(expected) > 15, "more rows at risk than the dashboard shows"
    user = get_user_model().objects.get(username="miit_official")
    got = s.national_overview(user=user, year=YEAR, now=now, at_risk_limit=limit)["at_risk"]
    assert _key(got) == _key(expected[:limit])
    if limit > 15 and now.month == 7:
        projected = {r["used"]: r["projected"] for r in got if r["months"] == 8 and r["effective"] == D("0.012")}
        assert projected == {D("0.009"): D("0.014"), D("0.011"): D("0.016")}


def test_the_projected_month_is_exact(demo_orgs):
    """A run rate of ⅓ t a month from 1 t after 3 months reaches a 2 t quota in month 6 exactly: the month is not
    pushed to 7 by adding up a rounded rate."""
    ent = Enterprise.objects.order_by("pk").first()
    row = s._Row(s._Ent(ent.pk, ent.name), TYPES[0], D("1.000"), D("2.000"))
    monthly = {(ent.pk, TYPES[0], 1): D("1.000"), (ent.pk, TYPES[0], 3): D(0)}
    (p,) = s.year_end_projection(rows=[row], monthly=monthly, year=YEAR, now=dt.datetime(YEAR, 1, 5, tzinfo=BEIJING))
    assert (p["months"], p["cross_month"], p["already_crossed"], p["projected"]) == (3, 6, False, D("4.000"))
