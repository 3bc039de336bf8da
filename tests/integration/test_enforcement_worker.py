"""Acceptance with a REAL Celery worker and broker (not eager): acceptance → overrun flag; an approved
120 t penalty turns next year's 1,000 t into 880 t exactly once, however often and concurrently the
deduction job runs."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from allocations.models import Deduction
from allocations.selectors import quota_get
from enforcement import services
from enforcement.models import DeductionStatus, Flag, FlagKind, PenaltyDeduction
from enforcement.tasks import apply_deductions, flag_late_reports
from organizations.models import Notification
from tests.builders import U, bj, file_report, issue, second_reviewer, smelter_month

from .conftest import drain_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
SMELT = "smelting_separation"


def test_accepting_a_report_past_100_percent_raises_overrun(demo_orgs, celery_worker):
    huamei = demo_orgs["enterprises"]["huamei"]
    issue(2025, [(huamei, SMELT, 100)])
    file_report(huamei, 2025, 3, smelter_month(60))
    file_report(huamei, 2025, 4, smelter_month(50, month=4, prnd_opening=60))  # 110 t of 100 t; the worker scans after the commit
    flag = wait_for(lambda: Flag.objects.filter(kind=FlagKind.OVERRUN, enterprise=huamei, year=2025).first(),
                    message="the overrun flag")
    assert flag.indicator_type == SMELT and Decimal(flag.details["used_t"]) == Decimal("110.000")


def _penalty(demo_orgs, tonnes="120"):
    """Case → notice → waived statement → decision → approval by a second reviewer (violation in 2025)."""
    hefa = demo_orgs["enterprises"]["hefa"]
    reviewer, approver = U("jiuyuan_reviewer"), second_reviewer(hefa.county)
    case = services.case_open(actor=reviewer, enterprise=hefa, origin="inspection", title="Overproduction 2025")
    penalty = services.penalty_propose(
        actor=reviewer, case=case, violation_type="illegal_production", violation_date=dt.date(2025, 6, 30),
        fine_cny="800000", deductions=[{"indicator_type": SMELT, "tonnes": tonnes}])
    services.statement_submit(actor=U("hefa_filer"), penalty=penalty, waived=True)
    services.penalty_decide(actor=reviewer, penalty=penalty, consideration="No statement: waived.")
    # in effect in December 2025: the next year's (2026) indicator is reduced
    return hefa, services.penalty_approve(actor=approver, penalty=penalty,
                                          now=timezone.make_aware(dt.datetime(2025, 12, 15, 10)))


def _effective(hefa):
    return quota_get(enterprise=hefa, year=2026, indicator_type=SMELT).effective


def _run_concurrently(n=3):
    for _ in range(n):
        apply_deductions.delay(year=2026)  # to the worker

    def in_process():
        try:
            services.deduction_apply_waiting(year=2026)
        finally:
            connection.close()

    threads = [threading.Thread(target=in_process) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_approved_penalty_deducts_next_year_once(demo_orgs, celery_worker):
    hefa = demo_orgs["enterprises"]["hefa"]
    issue(2026, [(hefa, SMELT, 1000)])
    assert _effective(hefa) == Decimal("1000.000")
    hefa, penalty = _penalty(demo_orgs)
    wait_for(lambda: _effective(hefa) == Decimal("880.000"), message="effective quota 880 t")
    _run_concurrently()
    drain_worker()
    assert _effective(hefa) == Decimal("880.000")
    assert Deduction.objects.filter(penalty_id=penalty.pk).count() == 1


def test_waiting_deduction_applied_when_first_batch_issued(demo_orgs, celery_worker):
    hefa, penalty = _penalty(demo_orgs)
    # no 2026 indicator yet: the worker's run leaves the deduction waiting
    drain_worker()  # the approval's apply_deductions run has finished
    assert PenaltyDeduction.objects.get(penalty=penalty).status == DeductionStatus.WAITING
    issue(2026, [(hefa, SMELT, 1000)])  # batch_issued → apply_deductions on the worker
    _run_concurrently()
    wait_for(lambda: _effective(hefa) == Decimal("880.000"), message="effective quota 880 t")
    assert PenaltyDeduction.objects.get(penalty=penalty).status == DeductionStatus.APPLIED
    assert Deduction.objects.filter(penalty_id=penalty.pk).count() == 1


def test_flag_job_twice_at_once_creates_no_duplicates(demo_orgs, celery_worker):
    now = bj(2025, 4, 11, 0, 15)
    flag_late_reports.delay(now=now.isoformat())  # on the worker …
    barrier = threading.Barrier(3)

    def in_process():  # … and twice more in this process, at the same moment
        try:
            barrier.wait()
            services.flag_scan_late_reports(now=now)
        finally:
            connection.close()

    threads = [threading.Thread(target=in_process) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    drain_worker()
    # 14 demo enterprises × 3 looked-back months, each exactly once
    assert Flag.objects.filter(kind=FlagKind.MISSING).count() == 14 * 3

    keys = list(Notification.objects.filter(user__username="huamei_filer").values_list("dedup_key", flat=True))
    assert len(keys) == len(set(keys)) == 3
