"""Approving a plan or a batch asks for confirmation with a summary of what will happen; an approver returns a
batch with a reason; the feedback says what happened."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from allocations import services as alloc
from allocations.models import BatchStatus
from organizations.models import AuditEntry, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(demo_orgs):
    users = {u.username: u for u in get_user_model().objects.all()}
    plan = alloc.plan_create(actor=users["miit_official"], year=2027, indicator_type="smelting_separation",
                             total_t=Decimal("200000"))
    return {"users": users, "plan": plan, "huamei": demo_orgs["enterprises"]["huamei"]}


def test_plan_approval_is_confirmed_with_its_figures(world, page):
    approver = page("miit_approver")
    url = f"/allocations/plans/{world['plan'].pk}/"
    html = approver.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-confirm="确认批准2027年冶炼分离全国总量200,000.000吨（预留0.000吨）？' in html
    r = approver.post(url, {"action": "approve"}, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
    assert "全国总量控制指标已批准：2027年冶炼分离全国总量200,000.000吨" in r.content.decode()


def test_batch_approval_confirmed_return_needs_a_reason(world, page):
    u = world["users"]
    alloc.plan_approve(actor=u["miit_approver"], plan=world["plan"])
    batch = alloc.batch_create(actor=u["miit_official"], year=2027, title="2027年第一批", lines=[
        {"enterprise": world["huamei"], "indicator_type": "smelting_separation", "tonnes": Decimal("1234.5")}])
    alloc.batch_submit(actor=u["miit_official"], batch=batch)
    approver = page("miit_approver")
    url = f"/allocations/batches/{batch.pk}/"
    html = approver.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "确认批准并下达“2027年第一批”？共1条明细：冶炼分离 1,234.500吨。指标下达后不能撤回" in html

    # returning without a reason is refused and changes nothing; with a reason the drafter gets it back
    r = approver.post(url, {"action": "return", "comment": " "}, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
    assert "请说明退回批次的理由。" in r.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SUBMITTED
    r = approver.post(url, {"action": "return", "comment": "华美指标超出产能，请核减。"},
                      HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
    assert "批次已退回起草人：华美指标超出产能，请核减。" in r.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT
    entry = AuditEntry.objects.filter(action="batch.return").latest("id")
    assert entry.after["comment"] == "华美指标超出产能，请核减。"


def test_notice_names_only_the_indicator_types_it_contains(world, page):
    u = world["users"]
    alloc.plan_approve(actor=u["miit_approver"], plan=world["plan"])
    batch = alloc.batch_create(actor=u["miit_official"], year=2027, title="2027年第一批冶炼分离指标", lines=[
        {"enterprise": world["huamei"], "indicator_type": "smelting_separation", "tonnes": Decimal("1000")}])
    alloc.batch_submit(actor=u["miit_official"], batch=batch)
    alloc.batch_approve(actor=u["miit_approver"], batch=batch)
    html = page("miit_official").get(f"/allocations/batches/{batch.pk}/notice/").content.decode()
    assert "批稀土冶炼分离总量控制指标" in html
    body = html.replace("《稀土开采和稀土冶炼分离总量调控管理暂行办法》", "")  # the Measures' title names both
    assert "开采" not in body  # neither in the text nor as an empty mining total


def test_approver_returns_a_plan_with_a_reason(world, page):
    approver = page("miit_approver")
    url = f"/allocations/plans/{world['plan'].pk}/"
    r = approver.post(url, {"action": "return", "reason": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
    assert "请说明退回全国总量控制指标的理由。" in r.content.decode()
    r = approver.post(url, {"action": "return", "reason": "预留量偏低，请按储备需要调整。"}, HTTP_ACCEPT_LANGUAGE="zh-hans",
                      follow=True)
    html = r.content.decode()
    assert "已退回起草人：预留量偏低，请按储备需要调整。" in html
    world["plan"].refresh_from_db()
    assert world["plan"].status == "draft"
    drafter = page("miit_official").get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "退回意见" in drafter and "预留量偏低" in drafter
    assert Notification.objects.filter(user=world["users"]["miit_official"], kind="plan_returned").exists()
