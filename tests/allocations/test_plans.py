"""National plans: four eyes, revisions that keep history, drafts hidden outside the ministry."""

from decimal import Decimal

import pytest

from allocations import services
from allocations.models import NationalPlan

pytestmark = pytest.mark.django_db


def test_plan_four_eyes_via_api(ministry, api):
    r = api("miit_approver").post("/api/v1/plans/", {"year": 2026, "indicator_type": "mining_rock",
                                                      "total_t": "250850.000", "reserve_t": "10000"}, format="json")
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert r.json()["status"] == "draft" and r.json()["issuable_t"] == "240850.000"
    # The drafter may not approve their own plan.
    r = api("miit_approver").post(f"/api/v1/plans/{pk}/approve/")
    assert r.status_code == 403 and "Four eyes" in r.json()["detail"]
    # A ministry official has no approving role at all.
    assert api("miit_official").post(f"/api/v1/plans/{pk}/approve/").status_code == 403
    r = api("miit_approver2").post(f"/api/v1/plans/{pk}/approve/")
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["approved_by"] == "miit_approver2"


def test_plan_validation_and_reserve(ministry, api):
    c = api("miit_official")
    r = c.post("/api/v1/plans/", {"year": 2026, "indicator_type": "mining_rock", "total_t": "100",
                                  "reserve_t": "200"}, format="json")
    assert r.status_code == 400 and "reserve_t" in r.json()["errors"]
    r = c.post("/api/v1/plans/", {"year": 2026, "indicator_type": "bogus", "total_t": "100"}, format="json")
    assert r.status_code == 400 and "indicator_type" in r.json()["errors"]
    assert not NationalPlan.objects.exists()


def test_revision_keeps_history_and_needs_approval(ministry, plan, api, issue, demo_orgs):
    p1 = plan(2026, "smelting_separation", "1000")
    # An approved plan is never edited in place.
    with pytest.raises(services.InvalidTransition):
        services.plan_update(actor=ministry["miit_official"], plan=p1, total_t=Decimal(5))
    issue(2026, [{"enterprise": demo_orgs["enterprises"]["huamei"], "indicator_type": "smelting_separation",
                  "tonnes": Decimal("800")}])
    r = api("miit_official").post("/api/v1/plans/", {"revises": p1.pk, "total_t": "1500"}, format="json")
    assert r.status_code == 201 and r.json()["revision"] == 2 and r.json()["previous"] == p1.pk
    p2 = NationalPlan.objects.get(pk=r.json()["id"])
    p1.refresh_from_db()
    assert p1.status == "approved"  # still in force until the revision is approved
    services.plan_approve(actor=ministry["miit_approver"], plan=p2)
    p1.refresh_from_db()
    assert (p1.status, p1.total_t) == ("superseded", Decimal("1000.000"))
    history = list(NationalPlan.objects.filter(year=2026, indicator_type="smelting_separation")
                   .order_by("revision").values_list("revision", "status", "total_t"))
    assert history == [(1, "superseded", Decimal("1000.000")), (2, "approved", Decimal("1500.000"))]
    # A revision below what is already issued is refused.
    p3 = services.plan_revise(actor=ministry["miit_official"], plan=p2, total_t=Decimal("700"))
    with pytest.raises(services.QuotaExceeded, match="already issued"):
        services.plan_approve(actor=ministry["miit_approver"], plan=p3)


def test_county_user_does_not_see_draft_plans(ministry, plan, api):
    plan(2025, "mining_ion", "19150")
    draft = services.plan_create(actor=ministry["miit_official"], year=2026, indicator_type="mining_ion",
                                 total_t=Decimal("19150"))
    county = api("jiuyuan_reviewer")
    years = [p["year"] for p in county.get("/api/v1/plans/").json()["results"]]
    assert years == [2025]
    assert county.get(f"/api/v1/plans/{draft.pk}/").status_code == 404
    assert api("miit_official").get(f"/api/v1/plans/{draft.pk}/").status_code == 200
    assert county.post("/api/v1/plans/", {"year": 2027, "indicator_type": "mining_ion", "total_t": "1"},
                       format="json").status_code == 403
