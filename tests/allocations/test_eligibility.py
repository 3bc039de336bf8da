"""Eligibility rules, checked when a line is added and again on approval; the error names the rule."""

import datetime as dt
from decimal import Decimal

import pytest

from allocations import services
from organizations.models import LicenceStatus
from organizations.services import enterprise_set_stop_rectify, enterprise_upsert, licence_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(plan, ministry):
    plan(2026, "smelting_separation", "100000")
    plan(2026, "mining_rock", "100000")
    return services.batch_create(actor=ministry["miit_official"], year=2026, title="draft")


def _add(api, batch, ent, itype="smelting_separation", tonnes="100"):
    return api("miit_official").post("/api/v1/batches/", {"year": 2026, "title": "x", "lines": [
        {"enterprise": ent.pk, "indicator_type": itype, "tonnes": tonnes}]}, format="json")


def test_licence_rule_wrong_activity_expired_or_suspended(draft, ministry, demo_orgs, api):
    ent = demo_orgs["enterprises"]
    # A smelter holds no mining licence.
    r = _add(api, draft, ent["huamei"], itype="mining_rock")
    assert r.status_code == 400 and r.json()["code"] == "not_eligible"
    assert "designated, unexpired licence" in r.json()["detail"] and "lines[0].enterprise" in r.json()["errors"]
    # Expired licence.
    lic = ent["hefa"].licences.get()
    licence_upsert(enterprise=ent["hefa"], activity=lic.activity, number=lic.number,
                   valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2025, 12, 31))
    with pytest.raises(services.NotEligible, match="designated, unexpired licence"):
        services.batch_line_add(actor=ministry["miit_official"], batch=draft, enterprise=ent["hefa"],
                                indicator_type="smelting_separation", tonnes=Decimal(10))
    # Suspended licence.
    lic = ent["tianhe"].licences.get()
    licence_upsert(enterprise=ent["tianhe"], activity=lic.activity, number=lic.number, valid_from=lic.valid_from,
                   valid_to=lic.valid_to, status=LicenceStatus.SUSPENDED)
    with pytest.raises(services.NotEligible, match="designated, unexpired licence"):
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
    # Between submission and approval the smelter's capacity is corrected downwards.
    h = ent["huamei"]
    enterprise_upsert(credit_code=h.credit_code, name=h.name, county=h.county, group=h.group,
                      smelting_capacity_t=Decimal("1999.999"))
    r = api("miit_approver").post(f"/api/v1/batches/{draft.pk}/approve/")
    assert r.status_code == 400 and r.json()["code"] == "not_eligible"
    assert "minimum smelting capacity" in r.json()["detail"]
    assert list(r.json()["errors"]) == ["lines[1].enterprise"]
    draft.refresh_from_db()
    assert draft.status == "submitted"


def test_group_line_needs_an_eligible_subsidiary(draft, ministry, demo_orgs):
    # The Xiamen Tungsten demo group has only a smelter: no subsidiary may mine.
    with pytest.raises(services.NotEligible, match="no subsidiary"):
        services.batch_line_add(actor=ministry["miit_official"], batch=draft, group=demo_orgs["groups"]["xtc"],
                                indicator_type="mining_rock", tonnes=Decimal(10))
    line = services.batch_line_add(actor=ministry["miit_official"], batch=draft, group=demo_orgs["groups"]["xtc"],
                                   indicator_type="smelting_separation", tonnes=Decimal(10))
    assert line.group_id
