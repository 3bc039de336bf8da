"""Demo allocations: the real national totals 2021–2024 and the real 2024 first batch by group (DOMAIN.md), broken
down to the demo subsidiaries; plus a 2026 plan and batches so the demo enterprises have quotas this year.

Built through the services, acting as the demo users (miit_official drafts, miit_approver approves, the group
managers file the breakdowns). Idempotent: every step is skipped when its natural key already exists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from organizations.models import PublicationKind
from organizations.publication import is_published, publication_publish

from .models import AllocationLine, BatchStatus, GroupBreakdown, IssuanceBatch, NationalPlan, PlanStatus
from .services import batch_approve, batch_create, batch_submit, breakdown_file, plan_approve, plan_create

TZ = timezone.get_default_timezone()  # settings.TIME_ZONE, Asia/Shanghai (allocations sits below reporting.periods)
D = Decimal

_SPLIT_NOTE = "当年未公布岩矿型与离子型的划分；按2021年离子型指标（19,150吨）计，其余开采指标计入岩矿型。"

# year → (mining_rock, mining_ion, smelting_separation, basis)
PLANS = {
    2021: (D("148850"), D("19150"), D("162000"), "2021年公布总量：开采168,000吨（岩矿型148,850吨、离子型19,150吨），"
                                                 "冶炼分离162,000吨；分一批下达。"),
    2022: (D("190850"), D("19150"), D("202000"), "2022年公布总量：开采210,000吨，冶炼分离202,000吨；分两批下达。"
                                                 + _SPLIT_NOTE),
    2023: (D("235850"), D("19150"), D("243850"), "2023年公布总量：开采255,000吨，冶炼分离243,850吨；分三批下达。"
                                                 + _SPLIT_NOTE),
    2024: (D("250850"), D("19150"), D("254000"), "2024年公布总量：开采270,000吨，冶炼分离254,000吨；分两批下达。"
                                                 + _SPLIT_NOTE),
    2026: (D("250850"), D("19150"), D("254000"), "演示数据：2025、2026年总量未公布，沿用2024年总量。"),
}

# Batches: (year, sequence key, title, document no, issued at (Asia/Shanghai) or None = leave submitted,
#           lines [(group key, type, tonnes)], breakdowns {(group, type): [(enterprise key, tonnes)]})
BATCHES = [
    (2024, "2024年第一批稀土开采、冶炼分离总量控制指标", "工信部联原〔2024〕25号", dt.datetime(2024, 2, 6, 10, 0),
     [("north", "mining_rock", D("94580")), ("north", "smelting_separation", D("88010")),
      ("crg", "mining_rock", D("30280")), ("crg", "mining_ion", D("10140")), ("crg", "smelting_separation", D("38990"))],
     {("north", "mining_rock"): [("bymine", D("94580"))],
      ("north", "smelting_separation"): [("huamei", D("40000")), ("hefa", D("28010")), ("tianhe", D("20000"))],
      ("crg", "mining_rock"): [("mnmine", D("30280"))],
      ("crg", "mining_ion"): [("lnmine", D("6140")), ("hnmine", D("4000"))],
      ("crg", "smelting_separation"): [("dnsep", D("18990")), ("lssep", D("12000")), ("gxsep", D("8000"))]}),
    (2026, "2026年第一批稀土开采、冶炼分离总量控制指标（演示）", "工信部联原〔2026〕9号", dt.datetime(2026, 2, 6, 10, 0),
     [("north", "mining_rock", D("94580")), ("north", "smelting_separation", D("88010")),
      ("crg", "mining_rock", D("30280")), ("crg", "mining_ion", D("10140")), ("crg", "smelting_separation", D("38990"))],
     {("north", "mining_rock"): [("bymine", D("94580"))],
      ("north", "smelting_separation"): [("huamei", D("40000")), ("hefa", D("28010")), ("tianhe", D("20000"))],
      ("crg", "mining_rock"): [("mnmine", D("30280"))],
      ("crg", "mining_ion"): [("lnmine", D("6140")), ("hnmine", D("4000"))],
      ("crg", "smelting_separation"): [("dnsep", D("18990")), ("lssep", D("12000")), ("gxsep", D("8000"))]}),
    # Issued a few days ago: the north group still has to break it down (shows on its dashboard).
    (2026, "2026年第二批稀土冶炼分离总量控制指标（演示）", "工信部联原〔2026〕88号", dt.datetime(2026, 11, 20, 10, 0),
     [("north", "smelting_separation", D("5000"))], {}),
    # Submitted, awaiting the approver.
    (2026, "2026年第三批稀土开采总量控制指标（演示）", "工信部联原〔2026〕95号", None,
     [("crg", "mining_ion", D("2000"))], {}),
]


def seed(context: dict) -> dict:
    User = get_user_model()
    official = User.objects.get(username="miit_official")
    approver = User.objects.get(username="miit_approver")
    managers = {"north": User.objects.get(username="north_manager"), "crg": User.objects.get(username="crg_manager")}
    groups, enterprises = context["groups"], context["enterprises"]

    plans = {}
    for year, (rock, ion, smelting, basis) in PLANS.items():
        for itype, total in (("mining_rock", rock), ("mining_ion", ion), ("smelting_separation", smelting)):
            plan = NationalPlan.objects.filter(year=year, indicator_type=itype).exclude(
                status=PlanStatus.SUPERSEDED).first()
            if plan is None:
                plan = plan_create(actor=official, year=year, indicator_type=itype, total_t=total, basis=basis)
            if plan.status == PlanStatus.DRAFT:
                plan = plan_approve(actor=approver, plan=plan)
            plans[(year, itype)] = plan
    # Publication is a decision: the ministry has published the past years' totals; the current year's stay
    # internal until a ministry user publishes them (the demo leaves that step to try).
    this_year = timezone.localdate().year
    for year in PLANS:
        if year < this_year and not is_published(PublicationKind.NATIONAL_TOTALS, year):
            publication_publish(actor=approver, kind=PublicationKind.NATIONAL_TOTALS, key=year)

    batches = {}
    for year, title, doc_no, issued_at, lines, breakdowns in BATCHES:
        batch = IssuanceBatch.objects.filter(document_no=doc_no).first()
        if batch is None:
            batch = batch_create(actor=official, year=year, title=title, document_no=doc_no, lines=[
                {"group": groups[g], "indicator_type": t, "tonnes": tonnes} for g, t, tonnes in lines])
        if batch.status == BatchStatus.DRAFT:
            batch = batch_submit(actor=official, batch=batch)
        if batch.status == BatchStatus.SUBMITTED and issued_at is not None:
            batch = batch_approve(actor=approver, batch=batch, issued_at=issued_at.replace(tzinfo=TZ))
        batches[doc_no] = batch
        for (gkey, itype), shares in breakdowns.items():
            line = AllocationLine.objects.get(batch=batch, group=groups[gkey], indicator_type=itype)
            if GroupBreakdown.objects.filter(line=line).exists():
                continue
            assert issued_at is not None  # a batch with breakdowns was issued
            filed = (issued_at + dt.timedelta(days=3)).replace(tzinfo=TZ)
            breakdown_file(actor=managers[gkey], line=line, filed_at=filed,
                           note="已征求相关省级主管部门意见（演示）。",
                           shares=[{"enterprise": enterprises[e], "tonnes": t} for e, t in shares])
    return {"plans": plans, "batches": batches}
