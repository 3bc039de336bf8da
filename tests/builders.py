"""Test data builders shared by every test package. Everything is built through the real services (allocations,
reporting), acting as the demo users of ``organizations.demo`` — never by writing rows directly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model

from allocations import services as alloc
from allocations.models import NationalPlan, PlanStatus
from organizations.services import user_with_membership_upsert
from reporting import services as rep
from reporting.periods import BEIJING

BJ = BEIJING


def bj(*args) -> dt.datetime:
    """An aware datetime in Beijing time: ``bj(2025, 4, 11, 0, 15)``."""
    return dt.datetime(*args, tzinfo=BJ)


def U(username):
    """The user of that name."""
    return get_user_model().objects.get(username=username)


# --- organisations -----------------------------------------------------------------------------------------


def second_reviewer(county, username="jiuyuan_reviewer2"):
    """Another reviewer of the same county (the four-eyes approver)."""
    return user_with_membership_upsert(username=username, password=None, role="authority_reviewer", authority=county)


def filer_of(ent, username=None):
    """The enterprise's filer (created as ``username``, default ``filer_<id>``, if it has none)."""
    user = get_user_model().objects.filter(membership__enterprise=ent, membership__role="enterprise_filer").first()
    return user or user_with_membership_upsert(username=username or f"filer_{ent.pk}", password=None,
                                               role="enterprise_filer", enterprise=ent)


def reviewer_of(ent):
    """A reviewer of the enterprise's county (created as ``rev_<county code>`` if it has none)."""
    user = get_user_model().objects.filter(membership__authority=ent.county,
                                           membership__role="authority_reviewer").order_by("pk").first()
    return user or user_with_membership_upsert(username=f"rev_{ent.county.code}", password=None,
                                               role="authority_reviewer", authority=ent.county)


# --- allocations ---------------------------------------------------------------------------------------------


def approved_plan(year, indicator_type, total, reserve=0, *, official="miit_official", approver="miit_approver",
                  basis=""):
    """An approved national plan (drafted by ``official``, approved by ``approver``)."""
    kw = {"basis": basis} if basis else {}
    plan = alloc.plan_create(actor=U(official), year=year, indicator_type=indicator_type, total_t=Decimal(total),
                             reserve_t=Decimal(reserve), **kw)
    return alloc.plan_approve(actor=U(approver), plan=plan)


def issue_batch(year, lines, *, title="Batch", document_no="", issued_at=None, official="miit_official",
                submitter=None, approver="miit_approver", capacity_reason=""):
    """A batch with ``lines`` (dicts: enterprise or group, indicator_type, tonnes) drafted, submitted and
    approved (= issued). The plans must exist."""
    batch = alloc.batch_create(actor=U(official), year=year, title=title, document_no=document_no, lines=lines)
    batch = alloc.batch_submit(actor=U(submitter or official), batch=batch)
    return alloc.batch_approve(actor=U(approver), batch=batch, issued_at=issued_at, capacity_reason=capacity_reason)


def issue(year: int, lines: list[tuple], *, issued_at=None):
    """Issue one batch for ``year`` with lines (enterprise, indicator_type, tonnes), plans created as needed."""
    for itype in {t for _e, t, _x in lines}:
        if not NationalPlan.objects.filter(year=year, indicator_type=itype, status=PlanStatus.APPROVED).exists():
            approved_plan(year, itype, "1000000")
    return issue_batch(year, [{"enterprise": e, "indicator_type": t, "tonnes": Decimal(str(x))} for e, t, x in lines],
                       title=f"{year} batch", submitter="miit_official2", issued_at=issued_at,
                       # the figures serve the feature under test, not capacity (tests/allocations/test_eligibility)
                       capacity_reason="test figures")


# --- reporting -----------------------------------------------------------------------------------------------


def payload(*, production=(), inputs=(), shipments=(), inventory=(), comment="", nil=False):
    """production: (indicator_type, product, tonnes); inputs: (source, country, product, tonnes);
    shipments: (direction, credit_code, name, country, product, tonnes, date); inventory: (product, opening, closing)."""
    return {
        "nil": nil,
        "comment": comment,
        "production": [{"indicator_type": t, "product": p, "tonnes": str(x)} for t, p, x in production],
        "inputs": [{"source": s, "country": c, "product": p, "tonnes": str(x)} for s, c, p, x in inputs],
        "shipments": [{"direction": d, "counterparty_credit_code": code, "counterparty_name": name,
                       "counterparty_country": country, "product": p, "tonnes": str(x), "date": str(date),
                       "document_no": f"DOC-{i}"}
                      for i, (d, code, name, country, p, x, date) in enumerate(shipments)],
        "inventory": [{"product": p, "opening": str(o), "closing": str(c)} for p, o, c in inventory],
    }


def smelter_month(produced, *, year=2025, month=3, prnd_opening=0, product="PRND_OXIDE",
                  feed="BAST_CONC"):
    """A balanced smelter month: imports its feedstock, consumes it, and keeps the oxide in stock."""
    produced = Decimal(str(produced))
    opening = Decimal(str(prnd_opening))
    return payload(
        production=[("smelting_separation", product, produced)],
        inputs=[("imported_ore", "MM", feed, produced)],
        shipments=[("in", "", "Myanmar Mining Ltd", "MM", feed, produced, dt.date(year, month, 2))],
        inventory=[(feed, 0, 0), (product, opening, opening + produced)],
    )


def file_report(ent, year, month, data, *, submit=True, accept=True, submitted_at=None, accepted_at=None):
    """File (and by default submit and accept) a report of ``ent`` with ``data`` as its filer and county reviewer."""
    filer = filer_of(ent)
    report = rep.report_create(actor=filer, enterprise=ent, year=year, month=month, data=data, now=submitted_at)
    if submit:
        report = rep.report_submit(attest=True, actor=filer, report=report, confirm_warnings=True,
                                 warnings_explanation="test data", now=submitted_at)
    if accept:
        report = rep.report_accept(actor=reviewer_of(ent), report=report, now=accepted_at)
    return report
