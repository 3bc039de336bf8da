"""Issue 14 — deductions hit the right year, and the penalty procedure as the law has it: hearing right, decision
document, payment, reconsideration/litigation with annulment reversing deductions exactly once, escalation."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from allocations.models import Adjustment, Deduction
from allocations.selectors import quota_get
from enforcement import services
from enforcement.models import (
    Case,
    CaseOrigin,
    CaseStatus,
    DeductionStatus,
    Flag,
    FlagKind,
    Hearing,
    Penalty,
    PenaltyDeduction,
    PenaltyStatus,
)
from organizations.models import AuditEntry, Notification
from quota_portal.errors import Conflict, DeadlinePassed, DomainValidationError, InvalidTransition
from reporting import annual
from tests.builders import U, bj, file_report, filer_of, issue, second_reviewer, smelter_month

pytestmark = pytest.mark.django_db
SMELT = "smelting_separation"


@pytest.fixture
def hefa(demo_orgs):
    return demo_orgs["enterprises"]["hefa"]


def _notice(hefa, *, now=None, **kw):
    case = services.case_open(actor=U("jiuyuan_reviewer"), enterprise=hefa, origin="inspection",
                              title="Inspection findings")
    args = {"violation_type": "illegal_production", "violation_date": dt.date(2025, 6, 1), "fine_cny": "600000",
            "deductions": [{"indicator_type": SMELT, "tonnes": "50"}]}
    args.update(kw)
    return services.penalty_propose(actor=U("jiuyuan_reviewer"), case=case, now=now, **args)


def _approved(hefa, *, notice_at, approve_at, **kw):
    penalty = _notice(hefa, now=notice_at, **kw)
    services.statement_submit(actor=U("hefa_filer"), penalty=penalty, waived=True, now=notice_at)
    services.penalty_decide(actor=U("jiuyuan_reviewer"), penalty=penalty, consideration="Waived.", now=notice_at)
    return services.penalty_approve(actor=second_reviewer(hefa.county), penalty=penalty, now=approve_at)


# --- 3. deduction year -------------------------------------------------------------------------------------


def test_a_2025_violation_decided_2026_03_10_deducts_from_2027(hefa):
    p = _approved(hefa, notice_at=bj(2026, 2, 20, 10), approve_at=bj(2026, 3, 10, 10),
                  violation_date=dt.date(2025, 11, 3))
    assert p.deduction_year == 2027
    assert list(p.deductions.values_list("year", flat=True)) == [2027]
    assert p.document_no.startswith("150207罚决〔2026〕") and p.payment_due == dt.date(2026, 3, 25)


def test_decision_taking_effect_on_new_years_eve_beijing_time(hefa):
    # 2026-12-31 23:30 Beijing is still 2026 there (15:30 UTC): the next year is 2027
    p = _approved(hefa, notice_at=bj(2026, 12, 1, 10), approve_at=bj(2026, 12, 31, 23, 30))
    assert p.deduction_year == 2027


def test_a_stated_later_year_is_kept_and_a_past_one_refused(hefa):
    p = _approved(hefa, notice_at=bj(2026, 2, 20, 10), approve_at=bj(2026, 3, 10, 10), deduction_year=2028)
    assert p.deduction_year == 2028 and p.deduction_year_stated == 2028
    before = (Penalty.objects.count(), PenaltyDeduction.objects.count(), AuditEntry.objects.count())
    for past in (2025, 2026):
        with pytest.raises(DomainValidationError) as exc:
            _notice(hefa, now=bj(2026, 3, 1, 10), deduction_year=past)
        assert "deduction_year" in exc.value.errors
    # nothing written (the case opened in the helper is rolled back with the refused proposal's transaction
    # only if in one; count penalties and deductions)
    assert (Penalty.objects.count(), PenaltyDeduction.objects.count()) == before[:2]


def test_api_refuses_a_past_deduction_year(hefa, api):
    c = api("jiuyuan_reviewer")
    case_id = c.post("/api/v1/cases/", {"enterprise": hefa.pk, "origin": "inspection"}, format="json").json()["id"]
    r = c.post(f"/api/v1/cases/{case_id}/penalize/", {
        "violation_type": "illegal_production", "violation_date": "2025-06-01", "fine_cny": "600000",
        "deduction_year": 2025, "deductions": [{"indicator_type": SMELT, "tonnes": "5"}]}, format="json")
    assert r.status_code == 400 and "deduction_year" in r.json()["errors"]
    assert not Penalty.objects.exists()


def test_data_migration_corrects_waiting_deductions_and_audits(hefa):
    """Penalties approved before the fix carry the old default (violation year + 1); the correction moves the
    waiting ones to the year after approval, records each change in the audit chain, and leaves the rest."""
    old = _approved(hefa, notice_at=bj(2026, 2, 20, 10), approve_at=bj(2026, 3, 10, 10),
                    violation_date=dt.date(2024, 11, 3))
    stated = _approved(hefa, notice_at=bj(2026, 2, 20, 10), approve_at=bj(2026, 3, 10, 10),
                       violation_date=dt.date(2024, 11, 3), deduction_year=2028)
    # simulate the old computation on the first: 2024 violation → 2025 (already past)
    Penalty.objects.filter(pk=old.pk).update(deduction_year=2025)
    PenaltyDeduction.objects.filter(penalty=old).update(year=2025)
    changes = services.correct_legacy_deduction_years()
    assert [(c["penalty"], c["from"], c["to"]) for c in changes] == [(old.pk, 2025, 2027)]
    old.refresh_from_db()
    assert old.deduction_year == 2027 and list(old.deductions.values_list("year", flat=True)) == [2027]
    assert list(stated.deductions.values_list("year", flat=True)) == [2028]
    entry = AuditEntry.objects.get(action="deduction.year_corrected")
    assert entry.before["year"] == 2025 and entry.after["year"] == 2027 and entry.object_id == str(
        old.deductions.get().pk)
    assert services.correct_legacy_deduction_years() == []  # idempotent


def test_the_migration_module_applies_the_correction(hefa):
    old = _approved(hefa, notice_at=bj(2026, 2, 20, 10), approve_at=bj(2026, 3, 10, 10),
                    violation_date=dt.date(2024, 11, 3))
    PenaltyDeduction.objects.filter(penalty=old).update(year=2025)
    mig = importlib.import_module("enforcement.migrations.0006_correct_deduction_years")
    mig.forwards(apps, None)
    assert list(old.deductions.values_list("year", flat=True)) == [2027]
    assert AuditEntry.objects.filter(action="deduction.year_corrected").count() == 1


# --- 4a. hearing ---------------------------------------------------------------------------------------------


def test_hearing_offered_by_threshold_or_deduction(hefa, settings):
    settings.HEARING_FINE_THRESHOLDS = "2021-07-15:100000,2026-06-01:200000"
    small = _notice(hefa, now=bj(2026, 3, 2, 10), fine_cny="150000", deductions=[])
    assert small.hearing_offered  # 150,000 ≥ 100,000 in force in March 2026
    after = _notice(hefa, now=bj(2026, 7, 1, 10), fine_cny="150000", deductions=[])
    assert not after.hearing_offered  # the threshold rose to 200,000 on 2026-06-01
    deduct = _notice(hefa, now=bj(2026, 7, 1, 10), fine_cny="1000")
    assert deduct.hearing_offered  # reduces an indicator
    # 5 working days of the official calendar: Monday 2 March 2026 → Monday 9 March
    assert small.hearing_request_due == dt.date(2026, 3, 9)


def test_no_decision_while_a_requested_hearing_is_pending(hefa):
    p = _notice(hefa, now=bj(2026, 3, 2, 10))
    after_statement = p.statement_due_at + dt.timedelta(minutes=1)
    with pytest.raises(Conflict) as exc:  # the request period is still running
        services.penalty_decide(actor=U("jiuyuan_reviewer"), penalty=p, consideration="x", now=after_statement)
    assert exc.value.code == "hearing_pending"
    services.hearing_request(actor=U("hefa_filer"), penalty=p, now=bj(2026, 3, 9, 20))
    with pytest.raises(Conflict):
        services.penalty_decide(actor=U("jiuyuan_reviewer"), penalty=p, consideration="x", now=bj(2026, 4, 1))
    services.hearing_schedule(actor=U("jiuyuan_reviewer"), penalty=p, scheduled_for=bj(2026, 3, 20, 9),
                              participants="Hefa legal rep; county hearing officer")
    with pytest.raises(Conflict):  # scheduled is not held
        services.penalty_decide(actor=U("jiuyuan_reviewer"), penalty=p, consideration="x", now=bj(2026, 4, 1))
    with pytest.raises(DomainValidationError):
        services.hearing_record(actor=U("jiuyuan_reviewer"), penalty=p, record="")
    services.hearing_record(actor=U("jiuyuan_reviewer"), penalty=p, record="Heard both sides.",
                            held_at=bj(2026, 3, 20, 11))
    h = Hearing.objects.get(penalty=p)
    assert h.held_at and h.participants.startswith("Hefa") and h.record == "Heard both sides."
    p = services.penalty_decide(actor=U("jiuyuan_reviewer"), penalty=p, consideration="After the hearing.",
                                now=bj(2026, 4, 1))
    assert p.status == PenaltyStatus.DECIDED


def test_hearing_request_after_its_deadline_is_refused_and_writes_nothing(hefa):
    p = _notice(hefa, now=bj(2026, 3, 2, 10))
    before = (Hearing.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DeadlinePassed):
        services.hearing_request(actor=U("hefa_filer"), penalty=p, now=bj(2026, 3, 10, 0, 1))
    assert (Hearing.objects.count(), AuditEntry.objects.count()) == before
    # after the deadline without a request, the decision may follow
    p = services.penalty_decide(actor=U("jiuyuan_reviewer"), penalty=p, consideration="No hearing requested.",
                                now=bj(2026, 3, 10, 9))
    assert p.status == PenaltyStatus.DECIDED


def test_hearing_api(hefa, api):
    p = _notice(hefa)
    case_id = p.case_id
    r = api("hefa_filer").post(f"/api/v1/cases/{case_id}/hearing/", {"waive": False}, format="json")
    assert r.status_code == 200 and r.json()["penalties"][0]["hearing"]["waived"] is False
    assert api("hefa_filer").post(f"/api/v1/cases/{case_id}/hearing/", {}, format="json").status_code == 409
    r = api("jiuyuan_reviewer").post(f"/api/v1/cases/{case_id}/record-hearing/", {"record": "",
                                                                                  "participants": "x"},
                                     format="json")
    assert r.status_code == 400


# --- 4b/4c. decision document and payment -----------------------------------------------------------------


def test_decision_document_page_and_pdf(hefa, page):
    p = _approved(hefa, notice_at=bj(2026, 2, 20, 10), approve_at=bj(2026, 3, 10, 10), facts="超产 50 吨。")
    c = page("hefa_filer")
    html = c.get(f"/enforcement/cases/{p.case_id}/decision/").content.decode()
    for text in (p.document_no, "超产 50 吨", "600,000.00", "60日内", "6个月内", "2027 年度", "50.000", "行政复议",
                 "行政诉讼", p.legal_basis[:10]):
        assert text in html, text
    r = c.get(f"/enforcement/cases/{p.case_id}/decision.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert page("longnan_reviewer").get(f"/enforcement/cases/{p.case_id}/decision/").status_code == 404
    notice = _notice(hefa)  # not decided yet: no document
    assert c.get(f"/enforcement/cases/{notice.case_id}/decision/").status_code == 404


def test_payment_receipt_twice_is_refused_and_overdue_reminded(hefa):
    p = _approved(hefa, notice_at=bj(2026, 2, 20, 10), approve_at=bj(2026, 3, 10, 10))
    assert p.payment_overdue  # due 2026-03-25, today is later and nothing was paid
    assert services.payment_reminders_send(today=dt.date(2026, 3, 26)) == 1
    assert services.payment_reminders_send(today=dt.date(2026, 3, 27)) == 0
    assert Notification.objects.filter(kind="fine_overdue", user=U("hefa_filer")).exists()
    with pytest.raises(DomainValidationError):
        services.payment_record(actor=U("jiuyuan_reviewer"), penalty=p, receipt_no=" ")
    p = services.payment_record(actor=U("jiuyuan_reviewer"), penalty=p, receipt_no="FS-2026-0001",
                                paid_on=dt.date(2026, 3, 20))
    assert p.paid_at and not p.payment_overdue
    other = _approved(hefa, notice_at=bj(2026, 2, 20, 10), approve_at=bj(2026, 3, 10, 10))
    before = AuditEntry.objects.count()
    with pytest.raises(Conflict) as exc:
        services.payment_record(actor=U("jiuyuan_reviewer"), penalty=p, receipt_no="FS-2026-0002")
    assert exc.value.code == "already_paid"
    with pytest.raises(DomainValidationError):  # the same receipt for another penalty
        services.payment_record(actor=U("jiuyuan_reviewer"), penalty=other, receipt_no="FS-2026-0001")
    assert AuditEntry.objects.count() == before
    p.refresh_from_db()
    assert p.receipt_no == "FS-2026-0001"


# --- 4d. reconsideration / litigation ---------------------------------------------------------------------


def _annul(p, *, kind="reconsideration"):
    review = services.review_file(actor=U("jiuyuan_reviewer"), penalty=p, kind=kind, filed_on=dt.date(2026, 4, 1),
                                  body="包头市人民政府")
    return services.review_decide(actor=U("jiuyuan_reviewer"), review=review, outcome="annulled",
                                  decided_on=dt.date(2026, 5, 20), text="Facts not established.")


def test_annulment_cancels_a_waiting_deduction(hefa):
    p = _approved(hefa, notice_at=bj(2026, 2, 20, 10), approve_at=bj(2026, 3, 10, 10))
    _annul(p)
    p.refresh_from_db()
    assert p.status == PenaltyStatus.ANNULLED
    assert p.deductions.get().status == DeductionStatus.CANCELLED
    issue(2027, [(hefa, SMELT, 1000)])  # the year's first batch runs apply_deductions: nothing to apply
    services.deduction_apply_waiting(year=2027)
    assert not Deduction.objects.filter(penalty_id=p.pk).exists()
    assert quota_get(enterprise=hefa, year=2027, indicator_type=SMELT).effective == Decimal("1000.000")


def test_annulled_penalty_applied_deduction_is_reversed_exactly_once_even_when_the_job_runs_twice(hefa):
    p = _approved(hefa, notice_at=bj(2025, 11, 20, 10), approve_at=bj(2025, 12, 10, 10))
    assert p.deduction_year == 2026
    issue(2026, [(hefa, SMELT, 1000)])
    services.deduction_apply_waiting(year=2026)
    assert quota_get(enterprise=hefa, year=2026, indicator_type=SMELT).effective == Decimal("950.000")
    _annul(p, kind="litigation")
    assert p.deductions.get().status == DeductionStatus.REVERSAL_PENDING  # the eager task ran on commit? see below
    assert services.deduction_reverse_annulled() in (0, 1)
    assert services.deduction_reverse_annulled() == 0  # a real second run adds nothing
    assert Adjustment.objects.filter(reverses_penalty_id=p.pk).count() == 1
    adj = Adjustment.objects.get(reverses_penalty_id=p.pk)
    assert adj.tonnes == Decimal("50.000") and adj.status == "approved"
    assert p.deductions.get().status == DeductionStatus.REVERSED
    assert Deduction.objects.filter(penalty_id=p.pk).count() == 1  # the deduction stays on the record
    assert quota_get(enterprise=hefa, year=2026, indicator_type=SMELT).effective == Decimal("1000.000")
    # even if the deduction were marked pending again, the allocations side is unique on (penalty, year, type)
    PenaltyDeduction.objects.filter(penalty=p).update(status=DeductionStatus.REVERSAL_PENDING)
    services.deduction_reverse_annulled()
    assert Adjustment.objects.filter(reverses_penalty_id=p.pk).count() == 1
    assert quota_get(enterprise=hefa, year=2026, indicator_type=SMELT).effective == Decimal("1000.000")
    assert AuditEntry.objects.filter(action="deduction.reverse").count() == 1


def test_review_upheld_changes_nothing_and_outcome_recorded_once(hefa):
    p = _approved(hefa, notice_at=bj(2026, 2, 20, 10), approve_at=bj(2026, 3, 10, 10))
    review = services.review_file(actor=U("jiuyuan_reviewer"), penalty=p, kind="reconsideration",
                                  filed_on=dt.date(2026, 4, 1), body="包头市人民政府")
    services.review_decide(actor=U("jiuyuan_reviewer"), review=review, outcome="upheld",
                           decided_on=dt.date(2026, 5, 1))
    with pytest.raises(InvalidTransition):
        services.review_decide(actor=U("jiuyuan_reviewer"), review=review, outcome="annulled",
                               decided_on=dt.date(2026, 5, 2))
    p.refresh_from_db()
    assert p.status == PenaltyStatus.APPROVED and p.deductions.get().status == DeductionStatus.WAITING


# --- 4e. escalation ---------------------------------------------------------------------------------------


def test_refusing_to_correct_escalates_to_a_further_case(hefa, api):
    case = services.case_open(actor=U("jiuyuan_reviewer"), enterprise=hefa, origin="inspection", title="Flows")
    deadline = timezone.localdate() + dt.timedelta(days=3)
    services.case_order_correction(actor=U("jiuyuan_reviewer"), case=case, order="Enter the flows", deadline=deadline)
    with pytest.raises(InvalidTransition):  # still within the deadline
        services.case_escalate(actor=U("jiuyuan_reviewer"), case=case, reason="No answer")
    later = timezone.now() + dt.timedelta(days=5)
    new = services.case_escalate(actor=U("jiuyuan_reviewer"), case=case, reason="No answer to the order", now=later)
    assert new.origin == CaseOrigin.REFUSED_CORRECTION and new.escalated_from_id == case.pk
    assert new.status == CaseStatus.OPEN
    with pytest.raises(Conflict):
        services.case_escalate(actor=U("jiuyuan_reviewer"), case=case, reason="again", now=later)
    assert Case.objects.filter(escalated_from=case).count() == 1
    assert list(case.events.values_list("kind", flat=True))[-1] == "escalated"


def test_annual_report_missing_and_late_flags(demo_orgs):


    huamei, hefa = demo_orgs["enterprises"]["huamei"], demo_orgs["enterprises"]["hefa"]
    issue(2025, [(huamei, SMELT, 100), (hefa, SMELT, 100)])
    file_report(huamei, 2025, 3, smelter_month(10))
    file_report(hefa, 2025, 3, smelter_month(10))
    assert services.flag_scan_annual_reports(now=bj(2026, 1, 31, 23)) == 0  # not due yet
    r = annual.annual_create(actor=filer_of(huamei), enterprise=huamei, year=2025, now=bj(2026, 2, 3),
                             data={"responsible_person": "张", "explanation": "March only"})
    annual.annual_submit(actor=filer_of(huamei), report=r, attest=True, now=bj(2026, 2, 3))
    assert services.flag_scan_annual_reports(now=bj(2026, 2, 5)) == 2
    assert services.flag_scan_annual_reports(now=bj(2026, 2, 6)) == 0  # idempotent
    flags = {(f.enterprise_id, f.kind) for f in Flag.objects.filter(year=2025, month=0, subject="annual_report")}
    assert flags == {(huamei.pk, FlagKind.LATE), (hefa.pk, FlagKind.MISSING)}
