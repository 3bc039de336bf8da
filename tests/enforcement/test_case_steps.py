"""The case page one step at a time: only the actions possible in the case's state, the correction deadline
labelled as such, a decision that may lower (never raise) the notified fine, an approval that states what it does
and feedback that says what happened."""

import datetime as dt
from decimal import Decimal

import pytest

from enforcement import services
from enforcement.models import CaseStatus, PenaltyStatus
from quota_portal.errors import DomainValidationError
from tests.builders import U, second_reviewer

pytestmark = pytest.mark.django_db
SMELT = "smelting_separation"


@pytest.fixture
def hefa(demo_orgs):
    return demo_orgs["enterprises"]["hefa"]


def _notice(hefa):
    case = services.case_open(actor=U("jiuyuan_reviewer"), enterprise=hefa, origin="inspection", title="现场检查")
    return services.penalty_propose(actor=U("jiuyuan_reviewer"), case=case, violation_type="flow_records",
                                    violation_date=dt.date(2025, 5, 1), fine_cny="100000",
                                    deductions=[{"indicator_type": SMELT, "tonnes": "50"}])


def test_only_possible_actions_and_the_deadline_labelled(hefa, page):
    reviewer = page("jiuyuan_reviewer")
    case = services.case_open(actor=U("jiuyuan_reviewer"), enterprise=hefa, origin="inspection", title="现场检查")
    url = f"/enforcement/cases/{case.pk}/"
    html = reviewer.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "/order/" in html and "/record/" not in html
    r = reviewer.post(f"{url}order/", {"order": "补录9月流向信息", "deadline": (dt.date.today() + dt.timedelta(days=10))
                                       .isoformat()}, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
    html = r.content.decode()
    assert "已责令改正，并通知企业。" in html and "已保存" not in html
    assert "改正期限" in html and "经办人" not in html
    # ordered once: now the correction is recorded, not ordered again
    assert "/record/" in html and f"/enforcement/cases/{case.pk}/order/" not in html
    case.refresh_from_db()
    assert case.status == CaseStatus.CORRECTION_ORDERED


def test_decision_may_lower_the_fine_never_raise_it(hefa, page):
    penalty = _notice(hefa)
    services.statement_submit(actor=U("hefa_filer"), penalty=penalty, text="系统故障导致延迟录入。")
    services.hearing_request(actor=U("hefa_filer"), penalty=penalty, waive=True)  # no decision before that
    with pytest.raises(DomainValidationError) as exc:
        services.penalty_decide(actor=U("jiuyuan_reviewer"), penalty=penalty, consideration="x",
                                fine_cny=Decimal("150000"))
    assert "fine_cny" in exc.value.errors
    r = page("jiuyuan_reviewer").post(f"/enforcement/cases/{penalty.case_id}/decide/",
                                      {"consideration": "故障属实，酌情减轻。", "fine_cny": "60000"},
                                      HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
    assert "处罚决定已记录" in r.content.decode()
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.DECIDED and penalty.fine_cny == Decimal("60000")


def test_approval_states_what_it_does_and_what_happened(hefa, page):
    penalty = _notice(hefa)
    services.statement_submit(actor=U("hefa_filer"), penalty=penalty, waived=True)
    services.penalty_decide(actor=U("jiuyuan_reviewer"), penalty=penalty, consideration="放弃陈述申辩。")
    approver = page(second_reviewer(hefa.county).username)
    url = f"/enforcement/cases/{penalty.case_id}/"
    html = approver.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    summary = f"罚款100,000元。 核减{penalty.deduction_year}年指标：冶炼分离 50.000吨。 批准后处罚即生效，不能撤回。"
    assert f'data-confirm="{summary}"' in html, html
    r = approver.post(f"{url}approve/", HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
    assert f"处罚已批准并生效。 罚款100,000元。 核减{penalty.deduction_year}年指标：冶炼分离 50.000吨。" in r.content.decode()
