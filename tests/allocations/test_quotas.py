"""Effective quotas: issued + breakdowns + adjustments − deductions; scoped; constant queries for any list size."""

from decimal import Decimal

import pytest

from allocations import services
from allocations.selectors import quota_get, quota_list
from organizations.demo import designate_with_permits
from organizations.validators import make_credit_code

pytestmark = pytest.mark.django_db
D = Decimal


def test_effective_quota_with_adjustments_and_deductions(plan, issue, ministry, demo_orgs, api):
    plan(2026, "smelting_separation", "100000")
    ent, g = demo_orgs["enterprises"], demo_orgs["groups"]
    batch = issue(2026, [{"enterprise": ent["huamei"], "indicator_type": "smelting_separation", "tonnes": D("1000")},
                         {"group": g["north"], "indicator_type": "smelting_separation", "tonnes": D("500")}])
    services.breakdown_file(actor=ministry["miit_official"].__class__.objects.get(username="north_manager"),
                            line=batch.lines.get(group=g["north"]),
                            shares=[{"enterprise": ent["huamei"], "tonnes": D("300")},
                                    {"enterprise": ent["hefa"], "tonnes": D("200")}])
    plus = services.adjustment_propose(actor=ministry["miit_official"], enterprise=ent["huamei"], year=2026,
                                       indicator_type="smelting_separation", tonnes=D("150.5"),
                                       reason="Capacity expansion approved")
    # Not counted until approved, and never by the proposer (four eyes).
    assert quota_get(enterprise=ent["huamei"], year=2026, indicator_type="smelting_separation").adjustments == 0
    with pytest.raises(services.NotPermitted):
        services.adjustment_approve(actor=ministry["miit_official"], adjustment=plus)
    minus = services.adjustment_propose(actor=ministry["miit_approver"], enterprise=ent["huamei"], year=2026,
                                        indicator_type="smelting_separation", tonnes=D("-50"), reason="Correction")
    with pytest.raises(services.NotPermitted):
        services.adjustment_approve(actor=ministry["miit_approver"], adjustment=minus)
    services.adjustment_approve(actor=ministry["miit_approver"], adjustment=plus)
    services.adjustment_approve(actor=ministry["miit_approver2"], adjustment=minus)
    with pytest.raises(services.DomainValidationError):
        services.adjustment_propose(actor=ministry["miit_official"], enterprise=ent["huamei"], year=2026,
                                    indicator_type="smelting_separation", tonnes=D("5"), reason="  ")
    services.record_deduction(actor=None, enterprise=ent["huamei"], year=2026, indicator_type="smelting_separation",
                              tonnes=D("75.25"), penalty_id=1)
    services.quota_usage_set(enterprise_id=ent["huamei"].pk, year=2026, indicator_type="smelting_separation",
                             used=D("400"))

    row = quota_get(enterprise=ent["huamei"], year=2026, indicator_type="smelting_separation")
    assert (row.issued, row.breakdown_received, row.adjustments, row.deductions) == (
        D("1000.000"), D("300.000"), D("100.500"), D("75.250"))
    assert row.effective == D("1325.250")  # 1000 + 300 + 150.5 − 50 − 75.25
    assert (row.used, row.remaining) == (D("400.000"), D("925.250"))

    r = api("huamei_filer").get("/api/v1/quotas/?year=2026")
    assert r.status_code == 200 and r.json()["count"] == 1
    q = r.json()["results"][0]
    assert (q["effective"], q["allocated"], q["used"], q["remaining"]) == ("1325.250", "1300.000", "400.000",
                                                                             "925.250")


def test_positive_adjustment_respects_the_national_total(plan, issue, ministry, demo_orgs):
    plan(2026, "mining_rock", "100")
    bymine = demo_orgs["enterprises"]["bymine"]
    issue(2026, [{"enterprise": bymine, "indicator_type": "mining_rock", "tonnes": D("90")}])
    adj = services.adjustment_propose(actor=ministry["miit_official"], enterprise=bymine, year=2026,
                                      indicator_type="mining_rock", tonnes=D("20"), reason="more")
    with pytest.raises(services.QuotaExceeded, match="10.000 t left"):
        services.adjustment_approve(actor=ministry["miit_approver"], adjustment=adj)


def test_scoping_of_quotas(plan, issue, demo_orgs, api):
    plan(2026, "smelting_separation", "100000")
    plan(2026, "mining_ion", "100000")
    ent = demo_orgs["enterprises"]
    issue(2026, [{"enterprise": ent["huamei"], "indicator_type": "smelting_separation", "tonnes": D("10")},
                 {"enterprise": ent["hefa"], "indicator_type": "smelting_separation", "tonnes": D("20")},
                 {"enterprise": ent["lnmine"], "indicator_type": "mining_ion", "tonnes": D("30")}])

    def names(who, qs=""):
        return sorted(r["enterprise_name"] for r in api(who).get(f"/api/v1/quotas/?year=2026{qs}").json()["results"])

    assert len(names("miit_official")) == 3
    assert names("huamei_filer") == [ent["huamei"].name]
    assert names("lnmine_filer") == [ent["lnmine"].name]
    assert names("jiuyuan_reviewer") == sorted([ent["huamei"].name, ent["hefa"].name])  # its county only
    assert names("longnan_reviewer") == [ent["lnmine"].name]
    assert names("north_manager") == sorted([ent["huamei"].name, ent["hefa"].name])
    # Asking for another region's enterprise gives nothing, not its data.
    assert names("jiuyuan_reviewer", f"&enterprise={ent['lnmine'].pk}") == []
    assert names("miit_official", "&indicator_type=mining_ion") == [ent["lnmine"].name]
    assert api("miit_official").get("/api/v1/quotas/?year=abc").status_code == 400


def test_quota_list_query_count_is_constant(plan, issue, demo_orgs, api, user, ministry, django_assert_max_num_queries):
    plan(2026, "smelting_separation", "1000000")
    county, group = demo_orgs["enterprises"]["huamei"].county, demo_orgs["groups"]["north"]
    few = [demo_orgs["enterprises"]["huamei"]]
    issue(2026, [{"enterprise": e, "indicator_type": "smelting_separation", "tonnes": D("1")} for e in few])
    with django_assert_max_num_queries(6) as small:
        assert api("miit_official").get("/api/v1/quotas/?year=2026").json()["count"] == 1
    many = []
    for i in range(40):
        e = designate_with_permits(official=ministry["miit_official"], approver=ministry["miit_approver"],
                                   new_enterprise={"name": f"Smelter {i:02d}", "credit_code": _code(i),
                                                   "county_code": county.code, "group_code": group.credit_code},
                                   activity="smelting_separation", capacity=D("5000"), number=f"TEST-S-{i}")
        services.quota_usage_set(enterprise_id=e.pk, year=2026, indicator_type="smelting_separation", used=D(i))
        many.append(e)
    issue(2026, [{"enterprise": e, "indicator_type": "smelting_separation", "tonnes": D("2")} for e in many])
    with django_assert_max_num_queries(len(small.captured_queries)) as big:
        assert api("miit_official").get("/api/v1/quotas/?year=2026").json()["count"] == 41
    assert len(big.captured_queries) == len(small.captured_queries)
    rows = quota_list(user=user("miit_official"), year=2026, enterprise_ids=[many[5].pk])
    assert [(r.issued, r.used, r.remaining) for r in rows] == [(D("2.000"), D("5.000"), D("-3.000"))]


def _code(i: int) -> str:
    return make_credit_code(f"91150207{(880000000 + i * 37):09d}")
