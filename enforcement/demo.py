"""Demo enforcement data, built through the services acting as the demo users: the scans raise flags from the
demo reports and quotas, the Jiuyuan county reviewer opens one case (still open) and takes one penalty through
notice, statement, decision and approval (by the ministry approver, the second person). Idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from organizations.models import PublicationKind
from organizations.publication import publication_publish

from . import services
from .models import Case, Flag, FlagStatus

OPEN_TITLE = "华美 2026 年报送与库存核查"
PENALTY_TITLE = "和发 2025 年超指标生产"


def seed(context: dict) -> dict:
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=["jiuyuan_reviewer", "hefa_filer", "miit_approver"])}
    ents = context["enterprises"]
    now = timezone.now()
    year = timezone.localdate().year
    services.flag_scan_late_reports(now=now)
    for y in (year - 1, year):
        services.flag_scan_quota_usage(year=y)
        services.flag_scan_flows(year=y)

    reviewer = users["jiuyuan_reviewer"]
    huamei, hefa = ents["huamei"], ents["hefa"]
    open_case = Case.objects.filter(title=OPEN_TITLE).first()
    if open_case is None:
        flag_ids = list(Flag.objects.filter(enterprise=huamei, status=FlagStatus.OPEN).order_by("pk")
                        .values_list("pk", flat=True)[:3])
        open_case = services.case_open(
            actor=reviewer, enterprise=huamei, flag_ids=flag_ids, origin="flags" if flag_ids else "inspection",
            title=OPEN_TITLE, description="核对月报与库存，必要时责令改正。")
        services.case_order_correction(actor=reviewer, case=open_case, order="补报并更正月报库存数据。",
                                       deadline=timezone.localdate() + dt.timedelta(days=15))

    penalty_case = Case.objects.filter(title=PENALTY_TITLE).first()
    if penalty_case is None:
        penalty_case = services.case_open(actor=reviewer, enterprise=hefa, origin="inspection", title=PENALTY_TITLE,
                                          description="现场检查发现 2025 年冶炼分离产量超出下达指标。")
        penalty = services.penalty_propose(
            actor=reviewer, case=penalty_case, violation_type="illegal_production",
            violation_date=dt.date(year - 1, 11, 30), fine_cny=Decimal("800000"),
            facts="2025 年 11 月冶炼分离产量超出指标 120 吨。",
            deductions=[{"indicator_type": "smelting_separation", "tonnes": Decimal("120")}])
        services.statement_submit(actor=users["hefa_filer"], penalty=penalty,
                                  text="超产系设备调试期间计量误差所致，请求从轻处罚。")
        services.hearing_request(actor=users["hefa_filer"], penalty=penalty, waive=True)
        services.penalty_decide(actor=reviewer, penalty=penalty,
                                consideration="计量误差未能提供校准记录予以证明，申辩理由不予采纳；罚款维持。")
        services.penalty_approve(actor=users["miit_approver"], penalty=penalty)
        services.deduction_apply_waiting(year=penalty.deduction_year)
        publication_publish(actor=users["miit_approver"], kind=PublicationKind.PENALTY, key=penalty.pk)
    return {"enforcement_open_case": open_case, "enforcement_penalty_case": penalty_case}
