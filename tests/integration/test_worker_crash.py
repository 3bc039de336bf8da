"""A real worker is killed (SIGKILL) in the middle of apply_deductions over many penalties; a new worker takes
the unacknowledged task over (acks_late + reject_on_worker_lost, Redis visibility timeout) and every deduction
exists exactly once (issue 7)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from allocations.models import Deduction
from allocations.selectors import quota_get
from enforcement import services
from enforcement.models import DeductionStatus, JobRun, PenaltyDeduction
from quota_portal.celery import app
from tests.builders import U, issue, second_reviewer

from .conftest import wait_for
from .test_durability import PrivateRedis, _start_worker, _use_broker

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.integration]
SMELT = "smelting_separation"
PENALTIES = 120


def _approved_penalties(ents, n):
    reviewer, approver = U("jiuyuan_reviewer"), second_reviewer(ents[0].county)
    ids = []
    for i in range(n):
        ent = ents[i % len(ents)]
        case = services.case_open(actor=reviewer, enterprise=ent, origin="inspection", title=f"Inspection {i}")
        penalty = services.penalty_propose(
            actor=reviewer, case=case, violation_type="illegal_production", violation_date=dt.date(2025, 6, 30),
            fine_cny="600000", legal_basis="《稀土管理条例》第二十五条",
            deductions=[{"indicator_type": SMELT, "tonnes": "1"}])
        services.statement_submit(actor=U("hefa_filer" if ent.name.startswith("内蒙古") else "huamei_filer"),
                                  penalty=penalty, waived=True)
        services.penalty_decide(actor=reviewer, penalty=penalty, consideration="Waived.")
        ids.append(services.penalty_approve(actor=approver, penalty=penalty,  # in effect 2025 → deducts 2026
                                            now=timezone.make_aware(dt.datetime(2025, 12, 15, 10))).pk)
    return ids


def test_worker_killed_mid_job_leaves_every_deduction_exactly_once(demo_orgs, monkeypatch):
    ents = [demo_orgs["enterprises"]["huamei"], demo_orgs["enterprises"]["hefa"]]
    redis = PrivateRedis()
    redis.start()
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    # a lost message comes back after 3 s instead of an hour
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "3")
    mail_dir = tempfile.mkdtemp(prefix="quota-mail-")
    workers = []
    try:
        _use_broker(redis.url)
        penalty_ids = _approved_penalties(ents, PENALTIES)  # no 2026 indicator yet: deductions wait
        assert PenaltyDeduction.objects.filter(status=DeductionStatus.WAITING).count() == PENALTIES
        # the year's first batch triggers apply_deductions (queued: no worker runs yet)
        issue(2026, [(ents[0], SMELT, 10000), (ents[1], SMELT, 10000)])

        log1 = tempfile.NamedTemporaryFile(prefix="worker1-", suffix=".log", delete=False).name
        workers.append(_start_worker(redis.url, mail_dir, log1))
        applied = PenaltyDeduction.objects.filter(status=DeductionStatus.APPLIED)
        wait_for(lambda: applied.count() >= 5, timeout=120, message="the job to be under way")
        os.kill(workers[0].pid, signal.SIGKILL)  # in the middle of the job
        workers[0].wait()
        done_when_killed = applied.count()
        assert done_when_killed < PENALTIES, "the job finished before it could be killed; raise PENALTIES"
        assert JobRun.objects.filter(job="apply_deductions", status="running").exists()

        log2 = tempfile.NamedTemporaryFile(prefix="worker2-", suffix=".log", delete=False).name
        workers.append(_start_worker(redis.url, mail_dir, log2))
        wait_for(lambda: applied.count() == PENALTIES, timeout=180,
                 message=f"the new worker to finish the job ({Path(log2).read_text(errors='replace')[-2000:]})")

        assert Deduction.objects.filter(penalty_id__in=penalty_ids).count() == PENALTIES
        for ent in ents:
            q = quota_get(enterprise=ent, year=2026, indicator_type=SMELT)
            assert q.effective == Decimal("10000") - Decimal(PENALTIES // len(ents))
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()
                w.wait(timeout=15)
        _use_broker(saved[0])
        app.conf.task_always_eager = saved[1]
        redis.stop()
