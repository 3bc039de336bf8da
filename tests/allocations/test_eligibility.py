"""Eligibility rules, checked when a line is added and again on approval; the error names the rule and the
missing permit. Status, permits and capacity come from the register's dated records (organizations.register_*)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from allocations import services
from organizations.demo import designate_with_permits
from organizations.models import AuditEntry
from organizations.register_services import (
    capacity_record,
    designation_approve,
    designation_draft,
    permit_record,
)
from organizations.services import enterprise_set_stop_rectify
from organizations.validators import make_credit_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(plan, ministry):
    plan(2026, "smelting_separation", "100000")
    plan(2026, "mining_rock", "100000")
    return services.batch_create(actor=ministry["miit_official"], year=2026, title="draft")


def _add(api, batch, ent, itype="smelting_separation", tonnes="100"):
    return api("miit_official").post("/api/v1/batches/", {"year": 2026, "title": "x", "lines": [
        {"enterprise": ent.pk, "indicator_type": itype, "tonnes": tonnes}]}, format="json")


def test_designation_rule_wrong_activity_or_suspended(draft, ministry, demo_orgs, api):
    ent = demo_orgs["enterprises"]
    # A smelter is not designated for mining (and holds no mining licence).
    r = _add(api, draft, ent["huamei"], itype="mining_rock")
    assert r.status_code == 400 and r.json()["code"] == "not_eligible"
    assert "designation in force" in r.json()["detail"] and "lines[0].enterprise" in r.json()["errors"]
    assert any("Mining licence" in m for m in r.json()["errors"]["lines[0].enterprise"])
    # Suspended from today.
    dec = designation_draft(actor=ministry["miit_official"], enterprise=ent["tianhe"], activity="smelting_separation",
                            kind="suspend", document_no="工信部原函〔2026〕9号", effective_from=timezone.localdate(),
                            basis="整改")
    designation_approve(actor=ministry["miit_approver"], decision=dec)
    with pytest.raises(services.NotEligible, match="status: Suspended"):
        services.batch_line_add(actor=ministry["miit_official"], batch=draft, enterprise=ent["tianhe"],
                                indicator_type="smelting_separation", tonnes=Decimal(10))
    assert draft.lines.count() == 0


def test_stop_and_rectify_rule(draft, ministry, demo_orgs):
    dnsep = demo_orgs["enterprises"]["dnsep"]
    enterprise_set_stop_rectify(enterprise=dnsep, ordered=True)
    with pytest.raises(services.NotEligible, match="no stop-and-rectify order") as exc:
        services.batch_line_add(actor=ministry["miit_official"], batch=draft, enterprise=dnsep,
                                indicator_type="smelting_separation", tonnes=Decimal(10))
    assert exc.value.errors == {"enterprise": [str(exc.value.message)]}


def test_smelter_capacity_rule_uses_the_setting(draft, ministry, demo_orgs, settings):
    ynsep = demo_orgs["enterprises"]["ynsep"]  # 1,500 t capacity
    with pytest.raises(services.NotEligible, match="minimum smelting capacity.*below the minimum of 2000"):
        services.batch_line_add(actor=ministry["miit_official"], batch=draft, enterprise=ynsep,
                                indicator_type="smelting_separation", tonnes=Decimal(10))
    settings.SMELTER_MIN_CAPACITY_T = Decimal("1000")
    line = services.batch_line_add(actor=ministry["miit_official"], batch=draft, enterprise=ynsep,
                                   indicator_type="smelting_separation", tonnes=Decimal(10))
    assert line.pk


def test_eligibility_checked_again_on_approval(draft, ministry, demo_orgs, api):
    ent = demo_orgs["enterprises"]
    services.batch_line_add(actor=ministry["miit_official"], batch=draft, enterprise=ent["bymine"],
                            indicator_type="mining_rock", tonnes=Decimal(10))
    services.batch_line_add(actor=ministry["miit_official"], batch=draft, enterprise=ent["huamei"],
                            indicator_type="smelting_separation", tonnes=Decimal(10))
    services.batch_submit(actor=ministry["miit_official"], batch=draft)
    # Between submission and approval the smelter's capacity is corrected downwards (a new dated record).
    capacity_record(actor=ministry["miit_official"], enterprise=ent["huamei"], activity="smelting_separation",
                    tonnes="1999.999", effective_from=timezone.localdate(), source="复核")
    r = api("miit_approver").post(f"/api/v1/batches/{draft.pk}/approve/")
    assert r.status_code == 400 and r.json()["code"] == "not_eligible"
    assert "minimum smelting capacity" in r.json()["detail"]
    assert list(r.json()["errors"]) == ["lines[1].enterprise"]
    draft.refresh_from_db()
    assert draft.status == "submitted"


def test_permit_expiring_today_makes_the_enterprise_ineligible_tomorrow(draft, ministry, demo_orgs, api,
                                                                      monkeypatch):
    """Acceptance: a permit expiring today → batch approval tomorrow is refused, naming the permit."""
    today = timezone.localdate()
    # A mine whose safety production licence expires today (its mining licence runs on).
    mine = designate_with_permits(official=ministry["miit_official"], approver=ministry["miit_approver"],
                                  new_enterprise={"name": "今日到期矿业", "credit_code": make_credit_code("91150206MA0000001"),
                                                  "county_code": "150206", "group_code": ""},
                                  activity="mining_rock", number="EXP-1", since=today - dt.timedelta(days=30),
                                  until=today)
    permit_record(actor=ministry["miit_official"], enterprise=mine, kind="mining", number="C-LONG-1",
                  issuer="自然资源部", valid_from=today, valid_to=today + dt.timedelta(days=3650))
    services.batch_line_add(actor=ministry["miit_official"], batch=draft, enterprise=mine,
                            indicator_type="mining_rock", tonnes=Decimal(10))  # eligible today
    services.batch_submit(actor=ministry["miit_official"], batch=draft)
    tomorrow = today + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: tomorrow)
    r = api("miit_approver").post(f"/api/v1/batches/{draft.pk}/approve/")
    assert r.status_code == 400 and r.json()["code"] == "not_eligible", r.json()
    msgs = r.json()["errors"]["lines[0].enterprise"]
    assert msgs == [f"Eligibility rule “valid permits” failed: 今日到期矿业 holds no valid Safety production licence on "
                    f"{tomorrow.isoformat()}."]
    draft.refresh_from_db()
    assert draft.status == "submitted"


def test_capacity_warning_and_refusal_unless_a_reason(draft, ministry, demo_orgs, api, settings):
    """Acceptance: a line above the enterprise's capacity is shown as a warning and refused at the default 1.0×
    unless the approver records a reason; a higher multiple lets it through (with the warning in the audit)."""
    huamei = demo_orgs["enterprises"]["huamei"]  # 15,000 t capacity
    services.batch_line_add(actor=ministry["miit_official"], batch=draft, enterprise=huamei,
                            indicator_type="smelting_separation", tonnes=Decimal("15000.001"))
    services.batch_submit(actor=ministry["miit_official"], batch=draft)
    overruns = services.batch_capacity_overruns(draft)
    assert [(o["total"], o["capacity"], o["refuse"]) for o in overruns] == [
        (Decimal("15000.001"), Decimal("15000.000"), True)]
    page = api("miit_approver")
    r = page.post(f"/api/v1/batches/{draft.pk}/approve/", {}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "capacity_exceeded"
    assert set(r.json()["errors"]) == {"lines[0].tonnes", "capacity_reason"}
    draft.refresh_from_db()
    assert draft.status == "submitted"
    # With the multiple at 1.5× it is only a warning: approved, and the warning is audited.
    settings.CAPACITY_REFUSAL_MULTIPLE = Decimal("1.5")
    assert services.batch_capacity_overruns(draft)[0]["refuse"] is False
    settings.CAPACITY_REFUSAL_MULTIPLE = Decimal("1.0")
    r = page.post(f"/api/v1/batches/{draft.pk}/approve/", {"capacity_reason": "扩产已获批复"}, format="json")
    assert r.status_code == 200, r.json()
    entry = AuditEntry.objects.filter(action="batch.approve").latest("id")
    assert entry.after["capacity_reason"] == "扩产已获批复" and len(entry.after["capacity_warnings"]) == 1


def test_group_line_needs_an_eligible_subsidiary(draft, ministry, demo_orgs):
    # The Xiamen Tungsten demo group has only a smelter: no subsidiary may mine.
    with pytest.raises(services.NotEligible, match="no subsidiary"):
        services.batch_line_add(actor=ministry["miit_official"], batch=draft, group=demo_orgs["groups"]["xtc"],
                                indicator_type="mining_rock", tonnes=Decimal(10))
    line = services.batch_line_add(actor=ministry["miit_official"], batch=draft, group=demo_orgs["groups"]["xtc"],
                                   indicator_type="smelting_separation", tonnes=Decimal(10))
    assert line.group_id
