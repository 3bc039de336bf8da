"""Query-count guards for the list endpoints and list pages not already guarded in the apps' own tests
(reports, summaries, quotas API, flags, cases and the four dashboards are guarded there): the number of queries
must not change when every kind of listed row grows.

Every API route of the router with a ``list`` action is checked as the ministry (which sees everything), so a
new list endpoint is guarded the day it is registered.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from allocations import services as alloc
from allocations.figures import figures_rebuild
from allocations.models import AllocationLine, BatchStatus, IssuanceBatch, QuotaUsage
from enforcement.models import JobRun, PenaltyRule
from organizations.audit import audit_record
from organizations.demo import _credit_body
from organizations.models import Authority, CapacityRecord, DesignationDecision, Enterprise, Licence, Permit
from organizations.notifications import notify
from organizations.validators import make_credit_code
from quota_portal.api import router
from reporting.models import MonthlyReport, PeriodCertification, Product, ProductionLine
from reporting.selectors import period_due_at

pytestmark = pytest.mark.django_db

PAGES = [
    ("miit_official", "/enterprises/"),
    ("miit_official", "/audit/"),
    ("miit_official", "/inbox/"),
    ("miit_official", "/allocations/plans/"),
    ("miit_official", "/allocations/batches/"),
    ("miit_official", "/allocations/quotas/?year=2026"),
    ("miit_official", "/allocations/breakdowns/"),
    ("miit_official", "/allocations/adjustments/"),
    ("miit_official", "/allocations/balance/"),
    ("miit_official", "/reports/summaries/"),
    ("miit_official", "/enforcement/rules/"),
    ("miit_official", "/enforcement/jobs/"),
    ("jiuyuan_reviewer", "/enterprises/"),
    ("jiuyuan_reviewer", "/reports/certification/"),
    ("jiuyuan_reviewer", "/allocations/quotas/?year=2026"),
]


def _api_list_urls() -> list[str]:
    urls = []
    for prefix, viewset, _basename in router.registry:
        if hasattr(viewset, "list"):
            urls.append(f"/api/v1/{prefix}/")
    return urls


def _count(client, url) -> int | None:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    if r.status_code != 200:
        return None
    return len(ctx.captured_queries)


def _grow_enterprises(n: int) -> None:
    """n more designated enterprises in a demo county, each with an indicator and accepted reports (as
    tests/portal grows them)."""
    huamei = Enterprise.objects.get(name="包头华美稀土高科有限公司")
    batch = IssuanceBatch.objects.filter(status=BatchStatus.ISSUED, year=2026).first()
    product = Product.objects.filter(indicator_type="smelting_separation").first()
    start = Enterprise.objects.count()
    for i in range(start, start + n):
        ent = Enterprise.objects.create(name=f"守卫测试企业{i}", credit_code=make_credit_code(_credit_body(700 + i, "150207")),
                                        county=huamei.county, group=huamei.group, smelting_capacity_t=5000)
        Licence.objects.create(enterprise=ent, activity="smelting_separation", number=f"G{i}-{ent.pk}",
                               valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2029, 12, 31))
        # the register's records that make it eligible (set up in bulk here; the services are tested elsewhere)
        DesignationDecision.objects.create(enterprise=ent, activity="smelting_separation", kind="designate",
                                           document_no="G", effective_from=dt.date(2024, 1, 1), basis="test",
                                           status="approved")
        Permit.objects.create(enterprise=ent, kind="discharge", number=f"PW-G{i}-{ent.pk}", issuer="test",
                              valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2029, 12, 31))
        CapacityRecord.objects.create(enterprise=ent, activity="smelting_separation", tonnes=Decimal("5000"),
                                      effective_from=dt.date(2024, 1, 1), source="test")
        AllocationLine.objects.create(batch=batch, enterprise=ent, indicator_type="smelting_separation",
                                      tonnes=Decimal("1000"))
        QuotaUsage.objects.create(enterprise=ent, year=2026, indicator_type="smelting_separation", used_t=Decimal("300"))
        for m in (1, 2, 3):
            rep = MonthlyReport.objects.create(enterprise=ent, year=2026, month=m, due_at=period_due_at(2026, m))
            ProductionLine.objects.create(report=rep, indicator_type="smelting_separation", product=product,
                                          tonnes=Decimal("100"))
            MonthlyReport.objects.filter(pk=rep.pk).update(
                status="accepted", submitted_at=period_due_at(2026, m) - dt.timedelta(days=2))

    # rows inserted behind the services' back: rebuild the quota roll-up from them, as bench/generate.py does
    figures_rebuild(year=2026)

def _grow_everything(n: int) -> None:
    """n more of every listed thing, through the services where they exist."""
    User = get_user_model()
    official = User.objects.get(username="miit_official")
    _grow_enterprises(n)
    ents = list(Enterprise.objects.order_by("-pk")[:n])
    for i, ent in enumerate(ents):
        year = 2040 + Enterprise.objects.count() % 50 + i
        alloc.plan_create(actor=official, year=year, indicator_type="smelting_separation",
                          total_t=Decimal("1000"))
        alloc.batch_create(actor=official, year=year, title=f"bench guard batch {year}",
                           lines=[{"enterprise": ent, "indicator_type": "smelting_separation", "tonnes": "10"}])
        alloc.adjustment_propose(actor=official, enterprise=ent, year=2026, indicator_type="smelting_separation",
                                 tonnes=Decimal("1"), reason=f"guard {i}")
        audit_record(actor=official, action="guard.test", obj=ent, org=ent, after={"i": i})
        notify(kind="guard", subject=f"guard {i}", users=[official], orgs=[ent, ent.county])
        JobRun.objects.create(job="flag_late_reports", params={"guard": i})
        rule = PenaltyRule.objects.order_by("pk").first()
        if rule is not None:
            rule.pk = None
            rule.valid_from = dt.date(year, 1, 1)
            rule.valid_to = dt.date(year, 12, 31)
            rule.save()
    counties = list(Authority.objects.filter(level="county").order_by("pk")[:n])
    month = PeriodCertification.objects.count() % 12
    for i, county in enumerate(counties):
        PeriodCertification.objects.get_or_create(authority=county, year=2025, month=1 + (month + i) % 12,
                                                  defaults={"certified_by": official})


def test_every_api_list_and_list_page_runs_constant_queries(demo, api, page):
    clients = {u: page(u) for u in {u for u, _ in PAGES}}
    ministry_api = api("miit_official")
    targets = [("api", url) for url in _api_list_urls()] + [(u, url) for u, url in PAGES]

    def measure():
        out = {}
        for who, url in targets:
            client = ministry_api if who == "api" else clients[who]
            out[(who, url)] = _count(client, url)
        return out

    _grow_everything(2)  # every list non-empty first: an empty list may legitimately skip a query
    measure()  # warm per-process caches (content types, catalogue, membership)
    before = measure()
    _grow_everything(6)
    after = measure()
    checked = [k for k, v in before.items() if v is not None]
    assert len(checked) >= len(targets) - 3, f"too many list URLs did not answer 200: {before}"
    grown = {k: (before[k], after[k]) for k in checked if after[k] != before[k]}
    assert not grown, f"query count changed with the number of rows: {grown}"
