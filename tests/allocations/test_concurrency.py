"""Two real concurrent transactions (threads, separate PostgreSQL connections) never overshoot the national total,
and a deduction recorded twice at the same moment is recorded once."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from allocations import services
from allocations.models import AllocationLine, Deduction
from quota_portal.errors import QuotaExceeded
from quota_portal.transactions import durable_boundary

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(fn, results, key):
    def run():
        try:
            results[key] = fn()
        except Exception as exc:  # noqa: BLE001 — the outcome is what the test inspects
            results[key] = exc
        finally:
            connection.close()

    t = threading.Thread(target=run)
    t.start()
    return t


def test_concurrent_approvals_cannot_overshoot(plan, ministry, demo_orgs):
    plan(2026, "smelting_separation", "1000")
    ent = demo_orgs["enterprises"]
    batches = []
    for key in ("huamei", "hefa"):
        b = services.batch_create(actor=ministry["miit_official"], year=2026, title=key, lines=[
            {"enterprise": ent[key], "indicator_type": "smelting_separation", "tonnes": Decimal("600")}])
        batches.append(services.batch_submit(actor=ministry["miit_official"], batch=b))

    results: dict = {}
    a_approved, a_may_commit = threading.Event(), threading.Event()

    def first():
        with durable_boundary():  # hold the transaction open after the service
            out = services.batch_approve(actor=ministry["miit_approver"], batch=batches[0])
            a_approved.set()
            a_may_commit.wait(10)  # hold the plan-row lock while the second approval starts
        return out

    def second():
        return services.batch_approve(actor=ministry["miit_approver2"], batch=batches[1])

    ta = _in_thread(first, results, "a")
    assert a_approved.wait(10)
    tb = _in_thread(second, results, "b")
    tb.join(0.5)
    assert tb.is_alive(), "the second approval must wait for the first one's lock"
    a_may_commit.set()
    ta.join(10)
    tb.join(10)
    assert results["a"].status == "issued"
    assert isinstance(results["b"], QuotaExceeded)
    issued = sum(AllocationLine.objects.filter(batch__status="issued").values_list("tonnes", flat=True))
    assert issued == Decimal("600.000") <= Decimal("1000")


def test_concurrent_deductions_are_recorded_once(demo_orgs, ministry):
    hefa = demo_orgs["enterprises"]["hefa"]
    kw = {"enterprise": hefa, "year": 2027, "indicator_type": "smelting_separation", "tonnes": Decimal("50"),
          "penalty_id": 4242, "reason": "penalty"}
    results: dict = {}
    a_recorded, a_may_commit = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            d = services.record_deduction(actor=ministry["miit_official"], **kw)
            a_recorded.set()
            a_may_commit.wait(10)
        return d

    ta = _in_thread(first, results, "a")
    assert a_recorded.wait(10)
    tb = _in_thread(lambda: services.record_deduction(actor=ministry["miit_official2"], **kw), results, "b")
    tb.join(0.5)
    a_may_commit.set()
    ta.join(10)
    tb.join(10)
    assert not isinstance(results["b"], Exception), results["b"]
    assert results["a"].pk == results["b"].pk
    assert Deduction.objects.filter(penalty_id=4242).count() == 1
