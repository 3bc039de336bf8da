"""Clients that retry and race (issue 7): 20 concurrent POSTs of one report with one Idempotency-Key file one
report; 20 concurrent approvals of batches that together exceed the national total never exceed it."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from allocations import services as alloc
from allocations.models import AllocationLine
from reporting.models import MonthlyReport

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.integration]
N = 20


def _race(fn, n=N):
    results, barrier = [None] * n, threading.Barrier(n)

    def run(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _client(username):
    c = APIClient()
    c.force_authenticate(get_user_model().objects.get(username=username))
    return c


def test_twenty_concurrent_posts_with_one_key_file_one_report(demo_orgs):
    huamei = demo_orgs["enterprises"]["huamei"]
    payload = {"enterprise": huamei.pk, "year": 2025, "month": 4, "nil": True, "comment": "停产检修",
               "production": [], "inputs": [], "shipments": [], "inventory": []}

    def post(_i):
        r = _client("huamei_filer").post("/api/v1/reports/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-2025-04")
        return r.status_code, r.json().get("id")

    results = _race(post)
    assert all(code in (200, 201) for code, _ in results), results
    assert len({rid for _, rid in results}) == 1
    assert MonthlyReport.objects.filter(enterprise=huamei, year=2025, month=4).count() == 1


def test_twenty_concurrent_approvals_never_exceed_the_national_total(demo_orgs):
    U = get_user_model().objects.get
    official, official2, approver = U(username="miit_official"), U(username="miit_official2"), U(username="miit_approver")
    plan = alloc.plan_create(actor=official, year=2026, indicator_type="smelting_separation", total_t=Decimal("1000"))
    alloc.plan_approve(actor=approver, plan=plan)
    ents = [e for e in demo_orgs["enterprises"].values()
            if e.licences.filter(activity="smelting_separation").exists() and (e.smelting_capacity_t or 0) >= 2000]
    batch_ids = []
    for i in range(N):
        b = alloc.batch_create(actor=official, year=2026, title=f"第{i + 1}批", lines=[
            {"enterprise": ents[i % len(ents)], "indicator_type": "smelting_separation", "tonnes": Decimal("100")}])
        batch_ids.append(alloc.batch_submit(actor=official2, batch=b).pk)

    def approve(i):
        return _client("miit_approver").post(f"/api/v1/batches/{batch_ids[i]}/approve/", {}, format="json").status_code

    codes = _race(approve)
    assert codes.count(200) == 10 and codes.count(409) == 10, codes
    issued = sum(AllocationLine.objects.filter(batch__year=2026, batch__status="issued",
                                               indicator_type="smelting_separation").values_list("tonnes", flat=True))
    assert issued == Decimal("1000.000")
