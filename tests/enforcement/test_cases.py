"""Cases and penalties: county scope, the right to state one's case, four eyes, dated rules, deductions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from allocations.models import Deduction
from allocations.selectors import quota_get
from allocations.services import record_deduction
from enforcement import services
from enforcement.models import (
    CaseStatus,
    DeductionStatus,
    FlagKind,
    FlagStatus,
    Penalty,
    PenaltyDeduction,
    PenaltyRule,
    PenaltyStatus,
)
from quota_portal.errors import Conflict, DeadlinePassed, DomainValidationError, NotPermitted
from tests.builders import U, bj, file_report, issue, second_reviewer, smelter_month

pytestmark = pytest.mark.django_db
SMELT = "smelting_separation"


@pytest.fixture
def hefa(demo_orgs):
    return demo_orgs["enterprises"]["hefa"]


def _notice(hefa, **kw):
    case = services.case_open(actor=U("jiuyuan_reviewer"), enterprise=hefa, origin="inspection",
                              title="Inspection findings")
    args = {"violation_type": "flow_records", "violation_date": dt.date(2025, 5, 1), "fine_cny": "100000",
            "deductions": [{"indicator_type": SMELT, "tonnes": "50"}]}
    args.update(kw)
    return services.penalty_propose(actor=U("jiuyuan_reviewer"), case=case, **args)


def test_county_cannot_open_case_on_another_countys_enterprise(demo_orgs, api):
    lnmine = demo_orgs["enterprises"]["lnmine"]
    with pytest.raises(NotPermitted):
        services.case_open(actor=U("jiuyuan_reviewer"), enterprise=lnmine, origin="inspection")
    r = api("jiuyuan_reviewer").post("/api/v1/cases/", {"enterprise": lnmine.pk, "origin": "inspection"},
                                     format="json")
    assert r.status_code == 403
    # the Longnan reviewer may
    case = services.case_open(actor=U("longnan_reviewer"), enterprise=lnmine, origin="inspection_refused")
    assert case.enterprise == lnmine
    assert api("jiuyuan_reviewer").get(f"/api/v1/cases/{case.pk}/").status_code == 404


def test_only_reviewers_open_cases(hefa):
    for username in ("hefa_filer", "baotou_viewer", "miit_official"):
        with pytest.raises(NotPermitted):
            services.case_open(actor=U(username), enterprise=hefa, origin="inspection")


def test_penalty_cannot_be_decided_during_statement_period(hefa):
    penalty = _notice(hefa, fine_cny="50000", deductions=[])  # below the hearing threshold, no deduction
    with pytest.raises(Conflict):
        services.penalty_decide(actor=U("jiuyuan_reviewer"), penalty=penalty, consideration="x")
    # once the period has ended without an answer, it can
    later = penalty.statement_due_at + dt.timedelta(seconds=1)
    p = services.penalty_decide(actor=U("jiuyuan_reviewer"), penalty=penalty,
                                consideration="No statement within the period.", now=later)
    assert p.status == PenaltyStatus.DECIDED


def test_statement_allows_decision_and_is_shown_in_it(hefa, page):
    penalty = _notice(hefa, fine_cny="50000", deductions=[])  # no hearing offered
    services.statement_submit(actor=U("hefa_filer"), penalty=penalty,
                              text="The flow records were entered late because the system was down on the 10th.")
    p = services.penalty_decide(actor=U("jiuyuan_reviewer"), penalty=penalty,
                                consideration="Outage confirmed for one day only; the fine is maintained.")
    assert p.status == PenaltyStatus.DECIDED
    html = page("jiuyuan_reviewer").get(f"/enforcement/cases/{p.case_id}/").content.decode()
    assert "the system was down on the 10th" in html and "Outage confirmed for one day only" in html
    api_view = page("hefa_filer").get(f"/api/v1/cases/{p.case_id}/").json()
    assert api_view["penalties"][0]["statement"]["text"].startswith("The flow records")


def test_statement_after_the_period_is_refused(hefa):
    penalty = _notice(hefa)
    with pytest.raises(DeadlinePassed):
        services.statement_submit(actor=U("hefa_filer"), penalty=penalty, text="late",
                                  now=penalty.statement_due_at + dt.timedelta(minutes=1))


def test_statement_period_from_settings(hefa, settings):
    settings.STATEMENT_PERIOD_DAYS = 7
    penalty = _notice(hefa)
    assert penalty.statement_due_at - penalty.notice_issued_at == dt.timedelta(days=7)


def test_other_enterprise_cannot_state_the_case(hefa):
    penalty = _notice(hefa)
    for username in ("huamei_filer", "north_manager"):  # another enterprise; the group above Hefa
        with pytest.raises(Exception) as exc:
            services.statement_submit(actor=U(username), penalty=penalty, text="not ours")
        assert exc.type.__name__ in ("NotFound", "NotPermitted")


def _decided(hefa):
    penalty = _notice(hefa)
    services.statement_submit(actor=U("hefa_filer"), penalty=penalty, waived=True)
    return services.penalty_decide(actor=U("jiuyuan_reviewer"), penalty=penalty, consideration="Waived.")


def test_four_eyes_on_penalties(hefa):
    penalty = _decided(hefa)
    for username in ("jiuyuan_reviewer", "hefa_filer", "baotou_viewer", "longnan_reviewer"):
        with pytest.raises(Exception) as exc:
            services.penalty_approve(actor=U(username), penalty=penalty)
        assert exc.type.__name__ in ("NotPermitted", "NotFound")
    p = services.penalty_approve(actor=second_reviewer(hefa.county), penalty=penalty)
    assert p.status == PenaltyStatus.APPROVED and p.case.status == CaseStatus.PENALIZED
    assert [d.status for d in p.deductions.all()] == [DeductionStatus.WAITING]


def test_ministry_approver_may_be_the_second_person(hefa):
    p = services.penalty_approve(actor=U("miit_approver"), penalty=_decided(hefa))
    assert p.approved_by.username == "miit_approver"


def test_rule_in_force_on_violation_date_and_fine_warnings(hefa):
    PenaltyRule.objects.create(violation_type="flow_records", valid_from=dt.date(2026, 1, 1),
                               legal_basis="New version", fine_min_cny=Decimal("80000"),
                               fine_max_cny=Decimal("300000"))
    old = services.penalty_rule_in_force(violation_type="flow_records", on=dt.date(2025, 12, 31))
    new = services.penalty_rule_in_force(violation_type="flow_records", on=dt.date(2026, 1, 1))
    assert old.fine_max_cny == Decimal("200000") and new.legal_basis == "New version"
    p = _notice(hefa, fine_cny="250000")  # 2025 violation: the 2024 rule, max 200,000 → warning
    assert p.rule == old and len(p.fine_warnings) == 1 and "legal_basis" not in p.fine_warnings[0]
    assert p.legal_basis == old.legal_basis


def test_fine_within_range_has_no_warning(hefa):
    assert _notice(hefa, fine_cny="150000").fine_warnings == []


def test_illegal_income_multiples(hefa):
    p = _notice(hefa, violation_type="illegal_production", fine_cny="300000", illegal_income_cny="100000")
    assert len(p.fine_warnings) == 1  # 3× the illegal income: below the 5–10× range
    p2 = _notice(hefa, violation_type="illegal_production", fine_cny="700000", illegal_income_cny="100000")
    assert p2.fine_warnings == []


def test_default_deduction_from_the_overrun(demo_orgs):
    huamei = demo_orgs["enterprises"]["huamei"]
    issue(2025, [(huamei, SMELT, 100)])
    file_report(huamei, 2025, 3, smelter_month(130))
    services.flag_scan_quota_usage(year=2025)
    flag = huamei.flags.get(kind=FlagKind.OVERRUN)
    case = services.case_open(actor=U("jiuyuan_reviewer"), flag_ids=[flag.pk])
    p = services.penalty_propose(actor=U("jiuyuan_reviewer"), case=case, violation_type="illegal_production",
                                 violation_date=dt.date(2025, 3, 31), fine_cny="600000", deductions=None)
    # provisional year: the one after the notice; fixed when the decision takes effect
    assert [(d.indicator_type, d.tonnes, d.year) for d in p.deductions.all()] == [
        (SMELT, Decimal("30.000"), timezone.localdate().year + 1)]


def test_correction_workflow_and_close_settles_flags(demo_orgs, api):
    huamei = demo_orgs["enterprises"]["huamei"]
    services.flag_scan_late_reports(now=timezone.make_aware(dt.datetime(2025, 4, 11, 1, 0)))
    flag = huamei.flags.get(kind=FlagKind.MISSING, year=2025, month=3)
    c = api("jiuyuan_reviewer")
    r = c.post("/api/v1/cases/", {"flag_ids": [flag.pk]}, format="json")
    assert r.status_code == 201, r.content
    case_id = r.json()["id"]
    assert r.json()["enterprise"] == huamei.pk
    deadline = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    r = c.post(f"/api/v1/cases/{case_id}/order-correction/", {"order": "File the March report", "deadline": deadline},
               format="json")
    assert r.status_code == 200 and r.json()["status"] == "correction_ordered"
    assert c.post(f"/api/v1/cases/{case_id}/record-correction/", {"note": "Filed on the 15th"},
                  format="json").json()["status"] == "corrected"
    r = c.post(f"/api/v1/cases/{case_id}/close/", {"comment": "Corrected, no penalty"}, format="json")
    assert r.json()["status"] == "closed"
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    kinds = [e["kind"] for e in r.json()["events"]]
    assert kinds == ["opened", "correction_ordered", "correction_recorded", "closed"]


def test_api_penalty_flow_and_errors(hefa, api):
    c = api("jiuyuan_reviewer")
    case_id = c.post("/api/v1/cases/", {"enterprise": hefa.pk, "origin": "inspection_obstructed"},
                     format="json").json()["id"]
    r = c.post(f"/api/v1/cases/{case_id}/penalize/", {"violation_type": "inspection_refused",
                                                      "violation_date": "2025-06-01", "fine_cny": "abc"},
               format="json")
    assert r.status_code == 400 and "fine_cny" in r.json()["errors"]
    r = c.post(f"/api/v1/cases/{case_id}/penalize/", {
        "violation_type": "inspection_refused", "violation_date": "2025-06-01", "fine_cny": "100000",
        "deductions": [{"indicator_type": SMELT, "tonnes": "10.000"}]}, format="json")
    assert r.status_code == 200, r.content
    assert c.post(f"/api/v1/cases/{case_id}/decide-penalty/", {"consideration": "x"},
                  format="json").status_code == 409
    assert api("hefa_filer").post(f"/api/v1/cases/{case_id}/statement/", {"text": "We object."},
                                  format="json").status_code == 200
    # the notice offered a hearing (it reduces an indicator): no decision until it is held or waived
    assert c.post(f"/api/v1/cases/{case_id}/decide-penalty/", {"consideration": "Objection rejected."},
                  format="json").json()["code"] == "hearing_pending"
    assert api("hefa_filer").post(f"/api/v1/cases/{case_id}/hearing/", {"waive": True},
                                  format="json").status_code == 200
    assert c.post(f"/api/v1/cases/{case_id}/decide-penalty/", {"consideration": "Objection rejected."},
                  format="json").status_code == 200
    assert c.post(f"/api/v1/cases/{case_id}/approve-penalty/").status_code == 403
    second_reviewer(hefa.county)
    r = api("jiuyuan_reviewer2").post(f"/api/v1/cases/{case_id}/approve-penalty/")
    assert r.status_code == 200 and r.json()["penalties"][0]["status"] == "approved"


def test_retry_after_a_lost_acknowledgement_records_no_second_deduction(hefa):
    """A retry of apply_deductions after the allocations deduction was already recorded (e.g. a redelivered
    task) finds it by (penalty, year, type) and only marks the waiting deduction applied."""
    issue(2026, [(hefa, SMELT, 1000)])
    penalty = services.penalty_approve(actor=U("miit_approver"), penalty=_decided(hefa), now=bj(2025, 12, 15, 10))
    record_deduction(actor=None, enterprise=hefa, year=2026, indicator_type=SMELT, tonnes=Decimal("50"),
                     penalty_id=penalty.pk)
    assert services.deduction_apply_waiting(year=2026) == 1
    assert services.deduction_apply_waiting(year=2026) == 0
    assert Deduction.objects.filter(penalty_id=penalty.pk).count() == 1
    assert penalty.deductions.get().status == DeductionStatus.APPLIED

    assert quota_get(enterprise=hefa, year=2026, indicator_type=SMELT).effective == Decimal("950.000")


def test_deduction_waits_without_next_year_indicator(hefa):
    penalty = services.penalty_approve(actor=U("miit_approver"), penalty=_decided(hefa), now=bj(2025, 12, 15, 10))
    assert services.deduction_apply_waiting(year=2026) == 0
    assert penalty.deductions.get().status == DeductionStatus.WAITING


def test_deduction_tonnes_with_four_decimals_are_refused_not_rounded(hefa):
    """Issue 11 bug: penalty deduction tonnes were silently rounded to 3 decimals; now they are refused (400) and
    nothing is written. Full-width digits are accepted."""
    with translation.override("en"), pytest.raises(DomainValidationError) as exc:  # the message is translated
        _notice(hefa, deductions=[{"indicator_type": SMELT, "tonnes": "12.3456"}])
    assert list(exc.value.errors) == ["deductions[0].tonnes"]
    assert "3 decimals" in exc.value.errors["deductions[0].tonnes"][0]
    assert not PenaltyDeduction.objects.exists() and not Penalty.objects.exists()
    with pytest.raises(DomainValidationError) as exc:
        _notice(hefa, deductions=[{"indicator_type": SMELT, "tonnes": "1e3"}])
    assert "deductions[0].tonnes" in exc.value.errors["deductions[0].tonnes"][0]
    p = _notice(hefa, deductions=[{"indicator_type": SMELT, "tonnes": "１２．３４５"}])
    assert [d.tonnes for d in p.deductions.all()] == [Decimal("12.345")]


def test_deduction_tonnes_with_four_decimals_via_the_api_are_400(hefa, api):
    case = services.case_open(actor=U("jiuyuan_reviewer"), enterprise=hefa, origin="inspection", title="t")
    r = api("jiuyuan_reviewer").post(f"/api/v1/cases/{case.pk}/penalize/", {
        "violation_type": "flow_records", "violation_date": "2025-05-01", "fine_cny": "100000",
        "legal_basis": "x", "deductions": [{"indicator_type": SMELT, "tonnes": "12.3456"}]}, format="json")
    assert r.status_code == 400, r.content
    assert not Penalty.objects.exists()
