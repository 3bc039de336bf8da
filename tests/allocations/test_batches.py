"""Issuance batches: draft → submitted → approved (= issued), four eyes, the national cap, notification, scope."""

from decimal import Decimal

import pytest

from allocations import services
from allocations.models import IssuanceBatch
from allocations.signals import batch_issued
from organizations.models import Notification

pytestmark = pytest.mark.django_db


def _create(client, lines, year=2026, **kw):
    return client.post("/api/v1/batches/", {"year": year, "title": kw.get("title", "2026年第一批"),
                                            "document_no": kw.get("document_no", ""), "lines": lines}, format="json")


def test_batch_lifecycle_over_issuance_and_four_eyes(plan, api, demo_orgs, django_capture_on_commit_callbacks,
                                                     settings):
    settings.CAPACITY_REFUSAL_MULTIPLE = Decimal("100")  # national totals here, not capacities (see test_register)
    plan(2026, "smelting_separation", "100000", reserve="10000")
    ent = demo_orgs["enterprises"]
    official, approver = api("miit_official"), api("miit_approver")
    r = _create(official, [{"enterprise": ent["huamei"].pk, "indicator_type": "smelting_separation",
                            "tonnes": "60000"}], document_no="工信部联原〔2026〕1号")
    assert r.status_code == 201, r.json()
    first = r.json()
    assert (first["sequence"], first["status"], len(first["lines"])) == (1, "draft", 1)
    # The approver cannot approve a draft; the official cannot approve at all.
    assert approver.post(f"/api/v1/batches/{first['id']}/approve/").status_code == 409
    assert official.post(f"/api/v1/batches/{first['id']}/submit/").json()["status"] == "submitted"
    assert official.post(f"/api/v1/batches/{first['id']}/approve/").status_code == 403
    received = []
    batch_issued.connect(lambda sender, batch, **kw: received.append(batch.pk), weak=False, dispatch_uid="t1")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            r = approver.post(f"/api/v1/batches/{first['id']}/approve/")
    finally:
        batch_issued.disconnect(dispatch_uid="t1")
    assert r.status_code == 200 and r.json()["status"] == "issued" and r.json()["issued_at"]
    assert received == [first["id"]]

    # Second batch: 60,000 issued + 35,000 > 100,000 − 10,000 reserve → 409 with a clear message.
    r = _create(official, [{"enterprise": ent["hefa"].pk, "indicator_type": "smelting_separation",
                            "tonnes": "35000"}])
    second = r.json()
    assert second["sequence"] == 2
    # Submitting already checks the cap.
    r = official.post(f"/api/v1/batches/{second['id']}/submit/")
    assert r.status_code == 409 and r.json()["code"] == "quota_exceeded"
    assert "60000.000" in r.json()["detail"] and "10000.000" in r.json()["detail"]
    assert "30000.000 t left" in r.json()["detail"]


def test_over_issuance_checked_again_on_approval(plan, issue, ministry, api, demo_orgs):
    plan(2026, "smelting_separation", "1000")
    ent = demo_orgs["enterprises"]
    b1 = services.batch_create(actor=ministry["miit_official"], year=2026, title="A", lines=[
        {"enterprise": ent["huamei"], "indicator_type": "smelting_separation", "tonnes": Decimal("700")}])
    b2 = services.batch_create(actor=ministry["miit_official"], year=2026, title="B", lines=[
        {"enterprise": ent["hefa"], "indicator_type": "smelting_separation", "tonnes": Decimal("400")}])
    services.batch_submit(actor=ministry["miit_official"], batch=b1)
    services.batch_submit(actor=ministry["miit_official"], batch=b2)  # each fits alone
    assert api("miit_approver").post(f"/api/v1/batches/{b1.pk}/approve/").status_code == 200
    r = api("miit_approver").post(f"/api/v1/batches/{b2.pk}/approve/")
    assert r.status_code == 409 and "Over-issuance refused" in r.json()["detail"]
    b2.refresh_from_db()
    assert b2.status == "submitted"


def test_no_plan_no_issue(ministry, api, demo_orgs):
    r = _create(api("miit_official"), [{"enterprise": demo_orgs["enterprises"]["lnmine"].pk,
                                        "indicator_type": "mining_ion", "tonnes": "10"}])
    r = api("miit_official").post(f"/api/v1/batches/{r.json()['id']}/submit/")
    assert r.status_code == 409 and "no approved national plan" in r.json()["detail"]


def test_four_eyes_drafter_cannot_approve(plan, ministry, api, demo_orgs):
    plan(2026, "mining_rock", "1000")
    c = api("miit_approver")  # an approver may draft, but then someone else approves
    r = _create(c, [{"enterprise": demo_orgs["enterprises"]["bymine"].pk, "indicator_type": "mining_rock",
                     "tonnes": "10"}])
    pk = r.json()["id"]
    assert c.post(f"/api/v1/batches/{pk}/submit/").status_code == 200
    r = c.post(f"/api/v1/batches/{pk}/approve/")
    assert r.status_code == 403 and "Four eyes" in r.json()["detail"]
    assert IssuanceBatch.objects.get(pk=pk).status == "submitted"
    assert api("miit_approver2").post(f"/api/v1/batches/{pk}/approve/").status_code == 200


def test_bad_lines_are_400_with_paths_and_write_nothing(plan, api, demo_orgs):
    plan(2026, "mining_rock", "1000")
    ent = demo_orgs["enterprises"]
    r = _create(api("miit_official"), [
        {"enterprise": ent["bymine"].pk, "indicator_type": "mining_rock", "tonnes": "10"},
        {"enterprise": ent["mnmine"].pk, "indicator_type": "mining_rock", "tonnes": "-5"}])
    assert r.status_code == 400 and "lines[1].tonnes" in r.json()["errors"]
    r = _create(api("miit_official"), [{"indicator_type": "mining_rock", "tonnes": "10"}])
    assert r.status_code == 400 and "lines[0].recipient" in r.json()["errors"]
    r = _create(api("miit_official"), [{"enterprise": 999999, "indicator_type": "mining_rock", "tonnes": "1"}])
    assert r.status_code == 400
    assert not IssuanceBatch.objects.exists()


def test_recipients_and_provinces_notified_and_see_the_batch(plan, issue, api, demo_orgs, user):
    plan(2026, "smelting_separation", "100000")
    g, ent = demo_orgs["groups"], demo_orgs["enterprises"]
    batch = issue(2026, [{"group": g["north"], "indicator_type": "smelting_separation", "tonnes": Decimal("5000")},
                         {"enterprise": ent["dnsep"], "indicator_type": "smelting_separation",
                          "tonnes": Decimal("1000")}], title="第一批")
    inbox = lambda u: Notification.objects.filter(user=user(u), kind="allocations.batch_issued")  # noqa: E731
    assert inbox("north_manager").count() == 1 and "5000.000" in inbox("north_manager").get().body
    assert inbox("nmg_viewer").count() == 1  # Inner Mongolia holds the north group's subsidiaries
    assert inbox("crg_manager").count() == 0 and inbox("huamei_filer").count() == 0

    # The province concerned sees the batch and the group's line; a county sees only its enterprises' lines.
    r = api("nmg_viewer").get(f"/api/v1/batches/{batch.pk}/")
    assert r.status_code == 200 and [ln["recipient_name"] for ln in r.json()["lines"]] == [g["north"].name]
    assert api("longnan_reviewer").get(f"/api/v1/batches/{batch.pk}/").status_code == 404
    assert api("jiuyuan_reviewer").get(f"/api/v1/batches/{batch.pk}/").status_code == 404
    # The group sees its line; an enterprise not concerned sees nothing.
    assert len(api("north_manager").get(f"/api/v1/batches/{batch.pk}/").json()["lines"]) == 1
    assert api("lnmine_filer").get("/api/v1/batches/").json()["count"] == 0


def test_drafts_invisible_outside_ministry(plan, ministry, api, demo_orgs):
    plan(2026, "smelting_separation", "1000")
    b = services.batch_create(actor=ministry["miit_official"], year=2026, title="draft", lines=[
        {"enterprise": demo_orgs["enterprises"]["huamei"], "indicator_type": "smelting_separation",
         "tonnes": Decimal("10")}])
    assert api("huamei_filer").get(f"/api/v1/batches/{b.pk}/").status_code == 404
    assert api("jiuyuan_reviewer").get("/api/v1/batches/").json()["count"] == 0
    assert api("miit_official2").get("/api/v1/batches/?status=draft").json()["count"] == 1
